// The pictures kept under the state directory (never in the library), and
// the failures, so that a file is tried once per content and a restart
// redoes nothing. Named by content hash, size and picture version, so a
// moved or renamed file keeps its picture.
//
// On disk, under ROOT (STATE/pictures):
//   v<kPictureVersion>/<hh>/<hash>-<size>.webp   a picture (hh: the hash's first two hex digits)
//   v<kPictureVersion>/<hh>/<hash>.failed        why none could be made: "<kind>\n<reason>\n"
// Files are written to a temporary name and renamed, so a reader never sees
// half a picture. Directories of other versions are old pictures: collect()
// removes them.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "thumbs/picture.h"

namespace lima::thumbs {

class PictureStore {
 public:
  explicit PictureStore(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }
  /// Where the picture of `hash` (32 hex digits) at `size` is or would be.
  std::filesystem::path picture_path(std::string_view hash, int size) const;
  /// The stored picture's path, when there is one.
  std::optional<std::filesystem::path> find(std::string_view hash, int size) const;
  /// Stores a picture (replacing one). Errors: the state directory cannot be written.
  tl::expected<void, std::string> put(std::string_view hash, int size, const Picture& picture);
  /// Why no picture of `hash` could be made, when that was tried.
  std::optional<Failure> failure(std::string_view hash) const;
  tl::expected<void, std::string> put_failure(std::string_view hash, const Failure& failure);

  /// Removes the pictures (every size) and the failure of `hash`.
  void forget(std::string_view hash);

  struct Collected {
    std::uint64_t kept = 0, removed = 0, bytes_removed = 0;
  };
  /// Removes the pictures and failures whose hash `needed` says no live file
  /// has any more, and whatever other versions left. Walks the store once;
  /// `stop` set ends it early (what was removed stays removed).
  Collected collect(const std::function<bool(std::string_view hash)>& needed, const std::atomic<bool>& stop);

 private:
  std::filesystem::path dir_of(std::string_view hash) const;
  std::filesystem::path root_, current_;
};

/// True for 32 lower-case hex digits.
bool is_hash(std::string_view hash);

}  // namespace lima::thumbs
