// What one committed write transaction changed, told to whoever caches what
// it read from the index (the mounted view). Coarse by design: it names the
// items touched, never what they looked like before, and may name an item
// that in the end did not change; it never misses one.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

#include "index/records.h"

namespace lima::index {

struct Changes {
  std::vector<ProjectId> projects;        ///< project records written (added, renamed, removed, revived)
  std::vector<ProjectId> project_files;   ///< projects some of whose assets were written
  std::vector<AssetId> assets;            ///< asset records written
  std::vector<TagId> tags;                ///< tags created, renamed, deleted or linked/unlinked
  std::vector<ProjectId> tagged_projects; ///< projects that gained or lost a tag
  std::vector<AssetId> tagged_assets;     ///< assets that gained or lost a tag
  std::vector<CollectionId> collections;  ///< collections created, renamed, deleted, edited
  bool tag_names = false;                 ///< the set of tag names changed
  bool collection_names = false;          ///< the set of collection names changed
  bool notes = false;                     ///< a note or a user-chosen main image was set or cleared
  bool saved_searches = false;            ///< a saved search was created, renamed, changed or deleted

  bool empty() const {
    return projects.empty() && project_files.empty() && assets.empty() && tags.empty() &&
           tagged_projects.empty() && tagged_assets.empty() && collections.empty() && !tag_names &&
           !collection_names && !notes &&
           !saved_searches;
  }
  /// Sorts each list and drops repeats.
  void normalize() {
    for (auto* v : {&projects, &project_files, &assets, &tags, &tagged_projects, &tagged_assets, &collections}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
  }
  /// Adds everything `o` names.
  void merge(const Changes& o) {
    auto add = [](std::vector<std::uint64_t>& to, const std::vector<std::uint64_t>& from) {
      to.insert(to.end(), from.begin(), from.end());
    };
    add(projects, o.projects);
    add(project_files, o.project_files);
    add(assets, o.assets);
    add(tags, o.tags);
    add(tagged_projects, o.tagged_projects);
    add(tagged_assets, o.tagged_assets);
    add(collections, o.collections);
    tag_names |= o.tag_names;
    collection_names |= o.collection_names;
    notes |= o.notes;
    saved_searches |= o.saved_searches;
  }
};

/// Called after each commit that changed something, on the writer's thread:
/// a listener must be quick (queue the work) and must not write.
using ChangeListener = std::function<void(const Changes&)>;

}  // namespace lima::index
