// A first index writes its content and inode keys (and shared_content) at
// its end, in key order (deferred_keys.h): what it leaves must be what
// writing them file by file leaves, whether it ends, is cancelled, or
// stops before writing them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

#include "index/derived_stats.h"
#include "index/schema.h"
#include "index/sync.h"
#include "support/indexed_library.h"
#include "test_support.h"

using namespace lima::index;
using lima::test::write_file;
namespace stdfs = std::filesystem;

namespace {

struct Keys {
  std::vector<std::string> hashes, inodes, shared;
  bool pending = false;
  bool operator==(const Keys&) const = default;
};

Keys keys_of(Catalog& cat) {
  Keys k;
  ReadTxn t(cat.env());
  t.scan_prefix(cat.db().asset_hashes, {}, [&](std::string_view key, std::string_view) {
    k.hashes.emplace_back(key);
    return true;
  });
  t.scan_prefix(cat.db().asset_inodes, {}, [&](std::string_view key, std::string_view) {
    k.inodes.emplace_back(key);
    return true;
  });
  for_each_shared_content(t, cat.db(), [&](const ContentHash& h) { return k.shared.push_back(h.hex()), true; });
  k.pending = t.get(cat.db().meta, schema::kMetaKeysPending).has_value();
  return k;
}

// Three projects, one batch each; "same" is in two of them, "twin" twice in one.
void fill(const stdfs::path& root) {
  write_file(root / "A/same.stl", "shared bytes");
  write_file(root / "A/twin1.stl", "twin");
  write_file(root / "A/twin2.stl", "twin");
  write_file(root / "B/same-too.stl", "shared bytes");
  write_file(root / "B/empty.stl", "");
  write_file(root / "C/empty.stl", "");
  write_file(root / "C/own.stl", "own");
}

}  // namespace

TEST_CASE("a first index finds its files by content and inode, and knows shared content, as file-by-file writes do") {
  lima::test::IndexedLibrary first;
  fill(first.root);
  SyncOptions o;
  o.batch_files = 1;
  REQUIRE(first.sync_with(o).status == RunStatus::ok);
  const Keys got = keys_of(*first.cat);
  CHECK(got.hashes.size() == 7);
  CHECK(got.inodes.size() == 7);
  REQUIRE(got.shared.size() == 1);  // "shared bytes"; not the twins (one project), not empty files
  CHECK_FALSE(got.pending);
  {
    ReadTxn t(first.cat->env());
    const auto a = first.asset_at("B", "same-too.stl");
    REQUIRE(a);
    CHECK(first.cat->assets_with_hash(t, a->hash).size() == 2);
    CHECK(first.cat->assets_with_inode(t, a->dev, a->ino) == std::vector<AssetId>{a->id});
  }

  // The same library indexed in two steps (the second sync writes its
  // keys as it goes) holds the same keys but for the ids and inodes.
  lima::test::IndexedLibrary stepwise;
  write_file(stepwise.root / "Z/seed.stl", "seed");
  REQUIRE(stepwise.sync_with(SyncOptions{}).status == RunStatus::ok);
  stdfs::remove_all(stepwise.root / "Z");
  fill(stepwise.root);
  REQUIRE(stepwise.sync_with(SyncOptions{}).status == RunStatus::ok);
  const Keys step = keys_of(*stepwise.cat);
  CHECK(step.shared == got.shared);
  CHECK(step.hashes.size() == got.hashes.size() + 1);  // the seed's tombstone
}

TEST_CASE("an index whose first sync stopped before writing its keys has them rebuilt when next opened") {
  lima::test::IndexedLibrary lib;
  fill(lib.root);
  REQUIRE(lib.sync_with(SyncOptions{}).status == RunStatus::ok);
  const Keys whole = keys_of(*lib.cat);
  // What a first sync that stopped short leaves: records without keys.
  lib.cat->env().write([&](WriteTxn& t) {
    t.clear(lib.cat->db().asset_hashes);
    t.clear(lib.cat->db().asset_inodes);
    t.clear(lib.cat->db().shared_content);
    t.put(lib.cat->db().meta, schema::kMetaKeysPending, {});
  });
  CHECK(keys_of(*lib.cat).hashes.empty());
  lib.open();
  CHECK(keys_of(*lib.cat) == whole);
}

TEST_CASE("a cancelled first index writes the keys of the files it indexed") {
  lima::test::IndexedLibrary lib;
  for (unsigned d = 0; d < 300; ++d)
    write_file(lib.root / ("P" + std::to_string(d)) / "part.stl", "part " + std::to_string(d % 7));
  std::atomic<bool> cancel{false}, done{false};
  SyncProgress progress;
  std::thread canceller([&] {
    while (!done && progress.items_written.load() < 20) std::this_thread::yield();
    cancel = true;
  });
  SyncOptions o;
  o.batch_files = 1;
  o.cancel_run = &cancel;
  o.progress = &progress;
  const Run r = lib.sync_with(o);
  done = true;
  canceller.join();
  const Keys k = keys_of(*lib.cat);
  CHECK_FALSE(k.pending);
  ReadTxn t(lib.cat->env());
  const auto files = lib.cat->counts(t).assets;
  CHECK(files > 0);
  CHECK(k.hashes.size() == files);
  CHECK(k.inodes.size() == files);
  if (r.status == RunStatus::cancelled) CHECK(files < 300);
}
