// Project queries: one page of the projects matching a set of filters (tags,
// a collection, a folder name, as GET /projects lists them; a search
// query goes through search.h instead).
// The plan is made here: one project by name; a collection in its own
// order; projects carrying tags from the tag indexes; otherwise the name
// index. Projects carrying every one of several tags come in name order,
// planned so that a page costs about what the rarest tag holds rather than
// what the library does:
//  - the tags' project lists (tag_projects) are intersected (id_streams.h);
//    when the intersection is small (up to kSmallTagSet projects) it is
//    read whole and sorted by name;
//  - when it is larger, the name index is walked from where the page
//    starts, each project checked against each tag (project_tags), so a
//    page of n takes about n / share steps, the share being at least
//    kSmallTagSet / projects.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "index/catalog.h"

namespace lima::index {

/// Past this many projects, a tag intersection is not sorted but found by
/// walking the name index.
inline constexpr std::size_t kSmallTagSet = 4096;

/// Calls fn for each live project tagged with every tag in `tags` (not
/// empty) whose name sorts after `after` ("" = from the first), in name
/// order, until fn returns false.
void projects_with_tags(const Catalog& c, const Txn& t, std::span<const TagId> tags, std::string_view after,
                        const std::function<bool(const Project&)>& fn);

/// True when project p carries every tag in `tags` (one lookup per tag).
bool has_all_tags(const Catalog& c, const Txn& t, ProjectId p, std::span<const TagId> tags);

/// Calls fn for the id of each project (tombstones too) carrying every tag
/// in `tags` (not empty), in id order, until fn returns false; read from
/// the tag indexes (tag_projects), at the cost of the rarest tag.
void tagged_project_ids(const Catalog& c, const Txn& t, std::span<const TagId> tags,
                        const std::function<bool(ProjectId)>& fn);

/// What GET /projects filters by. Every filter given must hold.
struct ProjectQuery {
  /// Carrying every one of these tags.
  std::vector<TagId> tags;
  /// Members of this collection, listed in its order (not by name).
  std::optional<Collection> collection;
  /// The project whose folder has exactly this name.
  std::optional<std::string> name;
};

/// One page of projects.
struct ProjectPage {
  std::vector<Project> items;
  /// Where the next page starts: the `after` to pass for it; nullopt when
  /// this page is the last.
  std::optional<std::string> next;
};

/// The live projects matching `q`, in name order (in a collection: its
/// order), at most `limit` (at least 1) of them, resuming after `after`
/// ("" = from the first): a name, or in a collection a position. With
/// `q.name`, only a first page holds anything.
ProjectPage query_projects(Catalog& c, const Txn& t, const ProjectQuery& q, std::string_view after, std::size_t limit);

}  // namespace lima::index
