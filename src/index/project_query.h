// Projects carrying every one of several tags, in name order (the order of
// GET /projects), planned so that a page costs about what the rarest tag
// holds rather than what the library does:
//  - the tags' project lists (tag_projects) are intersected (id_streams.h);
//    when the intersection is small (up to kSmallTagSet projects) it is
//    read whole and sorted by name;
//  - when it is larger, the name index is walked from where the page
//    starts, each project checked against each tag (project_tags), so a
//    page of n takes about n / share steps, the share being at least
//    kSmallTagSet / projects.
#pragma once

#include <functional>
#include <span>
#include <string_view>

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

}  // namespace lima::index
