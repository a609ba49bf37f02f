// Derived statistics: two tables (schema.h, since 5) that the problem report
// (problems.h) reads instead of a pass over every asset record, kept in the
// same write transaction as each asset write (Catalog::put_assets):
//  - project_stats:project_id  how many live files, images and 3D models a
//    project (or the library root, id 0) holds; a row only while it holds
//    a live file. Counted whatever the project's own state: the report
//    skips projects that are not live.
//  - projects_lacking:project_id  the projects of project_stats with no
//    live image or no live 3D model (since 6), so that the report reads
//    those, not every project.
//  - shared_content:hash       each content of at least one byte live in two
//    projects or more (the library root counting as one), whatever those
//    projects' own state: a superset of the duplicates the report shows,
//    which it checks copy by copy.
// A write costs, besides a row per project it touches, a look at the copies
// (asset_hashes) of each content whose sharing it may change: O(copies).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "index/catalog.h"

namespace lima::index {

/// A project's live files, as project_stats holds them.
struct ProjectStats {
  std::uint64_t files = 0, images = 0, models = 0;
  bool operator==(const ProjectStats&) const = default;
};

/// Brings the tables in step with `changes`, which put_assets has just
/// written in t (the records and asset_hashes hold the new state).
/// `shared_later`, when given, has a flag per change: true leaves that
/// change's sharing to be settled later (deferred_keys.h).
void derived_stats_update(WriteTxn& t, const Tables& db, std::span<const AssetChange> changes,
                          const std::vector<bool>* shared_later = nullptr);

/// Whether the live copies of h (as asset_hashes lists them) lie in two
/// projects or more.
bool content_is_shared(const Txn& t, const Tables& db, const ContentHash& h);

/// Refills the tables from the asset records and asset_hashes: the
/// migration to schema 5. One pass over the assets, one over asset_hashes
/// (reading the records of contents with two copies or more); memory is
/// bounded by the number of projects.
void derived_stats_rebuild(WriteTxn& t, const Tables& db);

/// Refills projects_lacking from project_stats: the migration to schema 6.
/// One pass over project_stats.
void projects_lacking_rebuild(WriteTxn& t, const Tables& db);

/// What a project lacks: no live image, no live 3D model.
struct Lacking {
  bool images = false, models = false;
};

/// Every project that holds live files but lacks images or models, in
/// project id order, with its stats, until fn returns false. Reads only
/// those projects' rows.
void for_each_lacking_project(const Txn& t, const Tables& db,
                              const std::function<bool(ProjectId, const ProjectStats&, Lacking)>& fn);

/// The stats of project p (kRootProject: the loose files); nullopt when it
/// holds no live file.
std::optional<ProjectStats> project_stats(const Txn& t, const Tables& db, ProjectId p);

/// Every project_stats row, in project id order, until fn returns false.
void for_each_project_stats(const Txn& t, const Tables& db,
                            const std::function<bool(ProjectId, const ProjectStats&)>& fn);

/// Every content of shared_content, in hash order, until fn returns false.
void for_each_shared_content(const Txn& t, const Tables& db, const std::function<bool(const ContentHash&)>& fn);

}  // namespace lima::index
