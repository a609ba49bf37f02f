#include "index/project_query.h"

#include <algorithm>

#include "index/id_streams.h"
#include "index/key_codec.h"

namespace lima::index {

bool has_all_tags(const Catalog& c, const Txn& t, ProjectId p, std::span<const TagId> tags) {
  return std::all_of(tags.begin(), tags.end(),
                     [&](TagId tag) { return t.get(c.db().project_tags, key_u64_u64(p, tag)).has_value(); });
}

void projects_with_tags(const Catalog& c, const Txn& t, std::span<const TagId> tags, std::string_view after,
                        const std::function<bool(const Project&)>& fn) {
  if (tags.empty()) return;
  std::vector<std::unique_ptr<IdStream>> streams;
  for (TagId tag : tags) streams.push_back(std::make_unique<PrefixIdStream>(t, c.db().tag_projects, key_u64(tag)));
  Intersection both(std::move(streams), 1);
  std::vector<ProjectId> ids;
  bool small = true;
  while (auto id = both.next()) {
    if (ids.size() == kSmallTagSet) {
      small = false;
      break;
    }
    ids.push_back(*id);
  }

  if (small) {
    std::vector<Project> ps;
    ps.reserve(ids.size());
    for (ProjectId id : ids)
      if (auto p = c.project(t, id); p && p->state == ItemState::live && (after.empty() || p->name > after))
        ps.push_back(std::move(*p));
    std::sort(ps.begin(), ps.end(), [](const Project& a, const Project& b) { return a.name < b.name; });
    for (const auto& p : ps)
      if (!fn(p)) return;
    return;
  }
  c.project_ids_by_name(t, after, [&](ProjectId id) {
    if (!has_all_tags(c, t, id, tags)) return true;
    auto p = c.project(t, id);
    return !p || fn(*p);
  });
}

}  // namespace lima::index
