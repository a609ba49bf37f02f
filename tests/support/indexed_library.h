// A library in a temporary directory and its index: the fixture of the
// tests that sync a real library. A test writes its projects under root,
// syncs, and reads the index through cat; the directory goes away with the
// fixture, even when an assertion fails.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "index/catalog.h"
#include "index/sync.h"
#include "test_support.h"

namespace lima::test {

struct IndexedLibrary {
  TempDir tmp;
  std::filesystem::path root = tmp / "library";  ///< the library: one folder per project
  std::filesystem::path state = tmp / "state";   ///< the index's state directory
  std::unique_ptr<index::Catalog> cat;

  /// An empty library and an empty index, open for writing.
  IndexedLibrary() {
    std::filesystem::create_directories(root);
    open();
  }

  /// (Re)opens the index in `state`.
  void open() {
    cat.reset();
    auto c = index::Catalog::open(state, index::OpenMode::read_write);
    REQUIRE(c);
    cat = std::move(*c);
  }

  /// Throws the index away (the state directory goes) and opens an empty one.
  void forget_index() {
    cat.reset();
    std::filesystem::remove_all(state);
    open();
  }

  /// Syncs the library with options `o` (its library set to root); the run
  /// must have happened, whatever its status.
  index::Run sync_with(index::SyncOptions o) {
    o.library = root;
    auto r = index::run_sync(*cat, o);
    REQUIRE(r);
    return *r;
  }

  std::optional<index::ProjectId> project_id_of(const std::string& name) const {
    index::ReadTxn t(cat->env());
    return cat->project_id_by_name(t, name);
  }

  std::optional<index::AssetId> asset_id_of(const std::string& project, const std::string& path) const {
    index::ReadTxn t(cat->env());
    auto p = cat->project_id_by_name(t, project);
    return p ? cat->asset_id_by_path(t, *p, path) : std::nullopt;
  }

  /// The asset at `path` in project `project`, if the index has it.
  std::optional<index::Asset> asset_at(const std::string& project, const std::string& path) const {
    index::ReadTxn t(cat->env());
    auto p = cat->project_id_by_name(t, project);
    if (!p) return std::nullopt;
    auto id = cat->asset_id_by_path(t, *p, path);
    return id ? cat->asset(t, *id) : std::nullopt;
  }
};

}  // namespace lima::test
