// What the mount's tag directories hold, each read in one call: a tag set
// (tags/<tag>/+<other>/…) lists the projects and the files carrying every
// tag of its path, and the tags that would narrow it further; untagged/
// lists the projects that carry no tag. Names are the mount's concern
// (fs/tree.cpp): these are the members.
#pragma once

#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "index/catalog.h"

namespace lima::index {

struct TagSetListing {
  /// Live projects carrying every tag, in id order.
  std::vector<Project> projects;
  /// Live assets carrying every tag whose project is live (or loose files
  /// at the top of the library), in id order.
  std::vector<Asset> assets;
  /// The folder name of each project `assets` belong to ("" for loose files).
  std::unordered_map<ProjectId, std::string> project_names;
  /// The tags, not among those asked for, that some members carry and some
  /// do not, as (id, name), in id order.
  std::vector<std::pair<TagId, std::string>> narrowing;
};

/// The members of the set of items carrying every tag in `tags` (none: an
/// empty listing). Read from the tag indexes at the cost of the rarest tag.
TagSetListing list_tag_set(const Catalog& c, const Txn& t, std::span<const TagId> tags);

/// True when project p carries no tag.
bool is_untagged(const Catalog& c, const Txn& t, ProjectId p);

/// The live projects (the top of the library aside) that carry no tag, in
/// name order.
std::vector<Project> untagged_projects(const Catalog& c, const Txn& t);

}  // namespace lima::index
