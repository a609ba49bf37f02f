// Sorted streams of ids and their intersection: how a query with several
// filters reads only what the rarest of them holds. Each filter that has an
// index is a stream of ids in increasing order (the keys under one prefix of
// a sub-database whose keys end in a big-endian u64, such as
// tag_assets:tag_id,asset_id), and the intersection leapfrogs: every stream
// seeks to the largest id any other stands on, so the number of seeks
// follows the smallest stream, not the largest, nor the library.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "index/lmdb_txn.h"

namespace lima::index {

/// Ids in increasing order, with a seek.
class IdStream {
 public:
  virtual ~IdStream() = default;
  /// Moves to the first id >= `id`; false when there is none.
  virtual bool seek(std::uint64_t id) = 0;
  /// The id it stands on (after a seek that returned true).
  virtual std::uint64_t id() const = 0;
};

/// The ids of the keys `prefix` + u64 of a sub-database, in key order.
class PrefixIdStream final : public IdStream {
 public:
  PrefixIdStream(const Txn& t, const Dbi& db, std::string prefix);
  bool seek(std::uint64_t id) override;
  std::uint64_t id() const override { return id_; }

 private:
  Cursor cursor_;
  std::string prefix_, key_;
  std::uint64_t id_ = 0;
};

/// The ids of a sorted vector.
class VectorIdStream final : public IdStream {
 public:
  /// `ids` must be sorted (duplicates are harmless).
  explicit VectorIdStream(std::vector<std::uint64_t> ids) : ids_(std::move(ids)) {}
  bool seek(std::uint64_t id) override;
  std::uint64_t id() const override { return ids_[pos_]; }

 private:
  std::vector<std::uint64_t> ids_;
  std::size_t pos_ = 0;
};

/// The ids every stream holds, in increasing order, from `from` on.
class Intersection {
 public:
  /// `streams` must not be empty.
  Intersection(std::vector<std::unique_ptr<IdStream>> streams, std::uint64_t from);
  /// The next id held by every stream; nullopt at the end.
  std::optional<std::uint64_t> next();
  /// Seeks made so far: what the intersection cost.
  std::uint64_t seeks() const { return seeks_; }

 private:
  std::vector<std::unique_ptr<IdStream>> streams_;
  std::uint64_t candidate_;
  std::uint64_t seeks_ = 0;
  bool done_ = false;
};

}  // namespace lima::index
