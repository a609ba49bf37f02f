// Deferred keys: the content and inode keys of the files a first index
// adds (asset_hashes, asset_inodes) and the shared_content rows they make,
// kept aside while its batches are written and written once, in key order,
// when it ends. Random keys written batch by batch would touch most pages
// of those tables at each batch (time and memory growing with the
// library); appended in order, each page is written once.
//
// While they are aside, the index says so (schema::kMetaKeysPending): an
// index whose first sync stopped before writing them (a crash) has them
// rebuilt from the asset records when it is next opened for writing
// (Catalog::open). Until then, lookups by content or inode miss the files
// of that first sync.
#pragma once

#include <cstdint>
#include <deque>

#include "index/records.h"

namespace lima::index {

class Catalog;
class WriteTxn;
struct Tables;

class DeferredKeys {
 public:
  /// Keeps the keys of the live asset `a` (added by this run) aside; false
  /// (nothing kept) when they must be written at once instead.
  bool add(const Asset& a);
  bool empty() const { return hashes_.empty() && inodes_.empty(); }
  std::size_t size() const { return hashes_.size(); }

  /// Marks the index as missing keys, in the transaction that first
  /// writes assets whose keys are aside.
  static void mark_pending(WriteTxn& t, const Tables& db);

  /// Writes every key kept and the shared_content rows of their contents,
  /// a slice of keys per transaction, then clears the pending mark; the
  /// keys are forgotten. Throws what Catalog::write throws.
  void write(Catalog& cat);

 private:
  // Small: a first index of a million files keeps a million of each.
  struct HashEntry {
    ContentHash hash;
    std::uint32_t id;  // ids above 2^32 - 1 are not kept aside
  };
  struct InodeEntry {
    std::uint64_t ino;
    std::uint32_t id;
    std::uint32_t dev;  // in devs_
  };
  std::vector<std::uint64_t> devs_;
  std::deque<HashEntry> hashes_;  // no reallocation copying it all while it grows
  std::deque<InodeEntry> inodes_;
};

/// Refills asset_hashes, asset_inodes and shared_content from the asset
/// records, and clears the pending mark: the repair of an index whose
/// deferred keys were never written.
void rebuild_deferred_keys(WriteTxn& t, const Tables& db);

}  // namespace lima::index
