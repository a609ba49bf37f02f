// What the picture worker is fed from the index: the files whose pictures
// are neither stored nor failed. The assets a commit wrote come first (a
// sync's new and changed files); then a walk over all assets in id order,
// made at startup and again when more changed than is remembered, so a
// library indexed before has all its pictures made, and a restart redoes
// nothing. Memory: the assets remembered (at most kMaxRemembered) and one
// batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <vector>

#include "index/catalog.h"
#include "thumbs/picture_store.h"
#include "thumbs/picture_worker.h"

namespace lima::daemon {

class PictureFeed {
 public:
  PictureFeed(index::Catalog& catalog, std::filesystem::path library);

  /// Up to `max` jobs (default size) for files without a stored picture or
  /// failure; none when every file has one. A remembered asset that is gone
  /// takes its content's pictures and failure with it, unless another live
  /// file has that content.
  std::vector<thumbs::PictureJob> more(thumbs::PictureStore& store, std::size_t max);
  /// Remembers the assets a commit wrote; true when there is new work.
  bool changed(const index::Changes& changes);
  /// True once the walk has seen every asset (and nothing is remembered).
  bool done() const;
  /// Whether some live asset has content `hash` (32 hex digits): what the
  /// store's collection keeps.
  bool needed(std::string_view hash) const;
  bool needed(const index::Txn& t, const index::ContentHash& hash) const;

  static constexpr std::size_t kMaxRemembered = 100000;
  static constexpr std::size_t kWalkChunk = 4096;  ///< assets looked at per read transaction

 private:
  void consider(const index::Txn& t, const index::Asset& a, const thumbs::PictureStore& store,
                std::vector<thumbs::PictureJob>& out);

  index::Catalog& catalog_;
  std::filesystem::path library_;
  mutable std::mutex mu_;
  std::vector<index::AssetId> remembered_;
  bool walking_ = true;
  index::AssetId cursor_ = 0;  // the walk's last asset id
  std::uint64_t generation_ = 0;  // bumped when the walk starts over
};

}  // namespace lima::daemon
