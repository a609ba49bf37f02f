// What a sync reads of the index: never all of it. A sync reconciles the
// library a batch of projects at a time (sync.h), and for each batch loads
// only what its files could be: the assets of the projects its folders may
// be (by name, by folder inode), and, for files it does not recognise
// there, the assets with the same inode or the same content anywhere in the
// library (asset_inodes, asset_hashes). The project records are few (one
// per folder) and kept whole in a ProjectBook for the run.
#pragma once

#include <deque>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "index/catalog.h"
#include "index/reconcile.h"

namespace lima::index {

/// The project records a run needs (live and tombstones), by id, live ones
/// by name, all by folder inode; kept in step with what the run writes. A
/// full run reads them all at once (one small record per folder); a scoped
/// run reads those it asks for, and all of them only when it must find a
/// folder by its inode (a folder renamed or replaced).
class ProjectBook {
 public:
  /// Reads every record now (`whole`), or each when first asked for.
  void open(const Catalog& c, bool whole);
  const Project* find(ProjectId id);
  const Project* live_named(std::string_view name);
  /// Projects (live and tombstones) whose folder had this device and inode.
  std::vector<ProjectId> with_inode(std::uint64_t dev, std::uint64_t ino);
  /// The projects a folder seen by the walk may be: the live one of its
  /// name, and those of its inode.
  std::vector<ProjectId> candidates(const SeenProject& s);
  /// Every record (read now if they were not).
  const std::deque<Project>& all();
  /// Takes in what a batch wrote.
  void apply(const std::vector<ProjectChange>& changes);
  std::size_t live_count();

 private:
  void load_all();
  void index(std::size_t i);
  const Catalog* cat_ = nullptr;
  bool whole_ = false;
  std::deque<Project> projects_;  // stable addresses
  std::unordered_map<ProjectId, std::size_t> by_id_;
  std::unordered_map<std::string, std::size_t> live_by_name_;
  std::unordered_multimap<std::uint64_t, std::size_t> by_ino_;
};

/// A snapshot under construction: assets are added once each.
class SnapshotBuilder {
 public:
  SnapshotBuilder(const Catalog& c, const Txn& t, ProjectBook& book) : c_(c), t_(t), book_(book) {}

  /// Adds the project's record and all its assets (live and tombstones).
  void add_project(ProjectId id);
  /// Adds assets already read (while the walk went on): all those of the
  /// projects `whole`. Ones whose ids are in `stale` are read again.
  void add_assets(std::vector<Asset>&& assets, const std::vector<ProjectId>& whole,
                  const std::unordered_set<AssetId>& stale);
  /// Adds the assets last seen with this inode, and their projects' records.
  void add_by_inode(std::uint64_t dev, std::uint64_t ino);
  /// Adds the assets with this content, and their projects' records.
  /// Returns the projects of its tombstones.
  void add_by_hash(const ContentHash& h, std::vector<ProjectId>* tombstone_projects = nullptr);

  Snapshot take(std::uint64_t next_project_id, std::uint64_t next_asset_id);

 private:
  void add_record(ProjectId id);
  void add_asset(Asset&& a);
  void add_asset_id(AssetId id);

  const Catalog& c_;
  const Txn& t_;
  ProjectBook& book_;
  Snapshot snap_;
  std::unordered_set<ProjectId> projects_, whole_;
  std::unordered_map<AssetId, ProjectId> assets_;  // added, and their projects
};

/// The live and tombstoned assets of a project.
std::vector<Asset> assets_of_project(const Catalog& c, const Txn& t, ProjectId id);

}  // namespace lima::index
