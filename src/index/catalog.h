// The catalog: the LMDB index of one library (layout in schema.h). Opens and
// upgrades the database, guards it against a second writer, and reads and
// writes projects and assets while keeping their secondary indexes (names,
// paths, hashes) consistent.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "index/changes.h"
#include "index/error.h"
#include "index/lmdb_txn.h"
#include "index/records.h"

namespace lima::index {

class WordIndex;
class DeferredKeys;

/// Handles of every sub-database of schema.h.
struct Tables {
  Dbi meta, projects, project_names, assets, asset_paths, asset_hashes, asset_inodes, project_tombstones;
  Dbi ext_assets, kind_assets;
  Dbi tags, tag_names, project_tags, tag_projects, asset_tags, tag_assets;
  Dbi collections, collection_names, project_collections, notes, main_images, runs, problems;
  Dbi picture_failures, words, saved_searches;
  Dbi project_stats, shared_content, projects_lacking;  // derived_stats.h
};

enum class OpenMode { read_write, read_only };

struct IndexCounts {
  std::uint64_t projects = 0, assets = 0;
  std::uint64_t tombstoned_projects = 0, tombstoned_assets = 0;
  std::uint64_t tags = 0, collections = 0, runs = 0, problems = 0;
};

class Catalog {
 public:
  /// Opens the index in STATE_DIR/index (creating it in read_write mode).
  /// read_write takes an exclusive lock on STATE_DIR/lock: a second writer
  /// gets Errc::busy. An index of a newer schema gets Errc::newer_schema; an
  /// older one is migrated in one write transaction.
  static Result<std::unique_ptr<Catalog>> open(const std::filesystem::path& state_dir, OpenMode mode);
  ~Catalog();

  Env& env() { return *env_; }
  const Tables& db() const { return db_; }
  const std::filesystem::path& state_dir() const { return state_dir_; }
  std::uint32_t schema_version() const { return schema_version_; }

  // -- writing --
  /// Runs fn in a write transaction (Env::write: repeated when the map grows),
  /// commits, then tells every listener what changed. The one way to write
  /// what views show: writes made through env().write are not announced.
  void write(const std::function<void(WriteTxn&)>& fn);
  /// What the write in progress has changed so far; the catalog's and the
  /// metadata's writers record into it. Only valid inside write().
  Changes& changes() { return pending_; }
  /// Registers a listener; returns a handle for unsubscribe().
  int subscribe(ChangeListener fn);
  void unsubscribe(int handle);

  // -- library identity --
  std::optional<std::string> library_root(const Txn& t) const;
  std::optional<std::uint64_t> library_dev(const Txn& t) const;
  void set_library_root(WriteTxn& t, const std::string& root);
  void set_library_dev(WriteTxn& t, std::uint64_t dev);
  /// A fresh id for the given table name (schema::k*), never reused.
  std::uint64_t next_id(WriteTxn& t, const char* table);

  // -- projects --
  std::optional<Project> project(const Txn& t, ProjectId id) const;
  std::optional<ProjectId> project_id_by_name(const Txn& t, std::string_view name) const;
  /// Live projects by name order; with tombstones too when asked (id order).
  std::vector<Project> projects(const Txn& t, bool with_tombstones = false) const;
  /// Live project ids in name order, starting after the project named
  /// `after` ("" = from the first), until fn returns false. Cheap: reads the
  /// name index only.
  void project_ids_by_name(const Txn& t, std::string_view after, const std::function<bool(ProjectId)>& fn) const;
  /// Writes `now`, updating the name index from `before` (nullptr if new).
  void put_project(WriteTxn& t, const Project& now, const Project* before);

  // -- assets --
  std::optional<Asset> asset(const Txn& t, AssetId id) const;
  std::optional<AssetId> asset_id_by_path(const Txn& t, ProjectId p, std::string_view path) const;
  /// Live assets of a project, in path order.
  std::vector<Asset> assets_of(const Txn& t, ProjectId p) const;
  /// Live assets of a project whose path lies under the folder `dir`
  /// ("" = the whole project), in path order.
  void assets_under(const Txn& t, ProjectId p, std::string_view dir,
                    const std::function<void(const Asset&)>& fn) const;
  /// Every asset record (live and tombstones), in id order.
  void for_each_asset(const Txn& t, const std::function<void(const Asset&)>& fn) const;
  /// Writes `now`, updating path/hash indexes from `before`.
  void put_asset(WriteTxn& t, const Asset& now, const Asset* before);
  /// put_asset for many assets at once: index entries are removed first,
  /// then every table is written in key order (much faster than one asset
  /// at a time on large batches).
  ///
  /// With `later`, the content and inode keys of the assets added live
  /// (no `before`), and their sharing, are kept there to be written at the
  /// end of the run (deferred_keys.h); the index is marked as missing them.
  void put_assets(WriteTxn& t, std::span<const AssetChange> changes, DeferredKeys* later = nullptr);
  /// Asset ids (live and tombstones) with this content.
  std::vector<AssetId> assets_with_hash(const Txn& t, const ContentHash& h) const;
  /// Asset ids (live and tombstones) last seen with this device and inode.
  std::vector<AssetId> assets_with_inode(const Txn& t, std::uint64_t dev, std::uint64_t ino) const;
  /// The tombstoned assets of a project (kRootProject: the loose files').
  std::vector<Asset> tombstones_of(const Txn& t, ProjectId p) const;
  /// Key prefixes of the live assets with this extension (kinds.h's
  /// extension_of) in ext_assets, and of this kind in kind_assets; each key
  /// is the prefix and the asset id (schema.h).
  static std::string ext_prefix(std::string_view ext);
  static std::string kind_prefix(Kind kind);

  IndexCounts counts(const Txn& t) const;

  // -- word index --
  /// The word index of search (word_index.h). The catalog's writes and
  /// Metadata's keep it in the same transaction as the text it indexes.
  const WordIndex& words() const { return *words_; }
  /// The word index for a write to keep, or nullptr when this catalog was
  /// opened under LIMA_BENCH_SKIP_WORD_INDEX (word_index.h): the index is
  /// then marked stale in t, to be rebuilt by the next open without it.
  const WordIndex* word_upkeep(WriteTxn& t);

 private:
  Catalog() = default;
  Result<void> init(OpenMode mode);

  std::filesystem::path state_dir_;
  std::unique_ptr<Env> env_;
  Tables db_;
  std::unique_ptr<const WordIndex> words_;  // over db_
  bool skip_words_ = false;  // LIMA_BENCH_SKIP_WORD_INDEX
  int lock_fd_ = -1;
  std::uint32_t schema_version_ = 0;
  Changes pending_;  // guarded by LMDB's writer lock (only touched inside a write txn)
  std::mutex listeners_mu_;
  std::map<int, ChangeListener> listeners_;
  int next_listener_ = 1;
};

/// The library-relative path of an asset: "Project/sub/file" or, for loose
/// files, "file".
std::string library_path(const std::string& project_name, const std::string& asset_path);

}  // namespace lima::index
