#include "index/project_query.h"

#include <algorithm>
#include <cstdlib>

#include "index/id_streams.h"
#include "index/key_codec.h"
#include "index/search.h"

namespace lima::index {

bool has_all_tags(const Catalog& c, const Txn& t, ProjectId p, std::span<const TagId> tags) {
  return std::all_of(tags.begin(), tags.end(),
                     [&](TagId tag) { return t.get(c.db().project_tags, key_u64_u64(p, tag)).has_value(); });
}

void tagged_project_ids(const Catalog& c, const Txn& t, std::span<const TagId> tags,
                        const std::function<bool(ProjectId)>& fn) {
  if (tags.empty()) return;
  std::vector<std::unique_ptr<IdStream>> streams;
  for (TagId tag : tags) streams.push_back(std::make_unique<PrefixIdStream>(t, c.db().tag_projects, key_u64(tag)));
  Intersection both(std::move(streams), 1);
  while (auto id = both.next())
    if (!fn(*id)) return;
}

void projects_with_tags(const Catalog& c, const Txn& t, std::span<const TagId> tags, std::string_view after,
                        const std::function<bool(const Project&)>& fn) {
  if (tags.empty()) return;
  std::vector<ProjectId> ids;
  bool small = true;
  tagged_project_ids(c, t, tags, [&](ProjectId id) {
    if (ids.size() == kSmallTagSet) {
      small = false;
      return false;
    }
    ids.push_back(id);
    return true;
  });

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

ProjectPage query_projects(Catalog& c, const Txn& t, const ProjectQuery& q, std::string_view after, std::size_t limit) {
  ProjectPage page;
  static const std::vector<ProjectId> kNone;
  const auto& members = q.collection ? q.collection->projects : kNone;
  // Takes p if it passes the filters; false once the page is full. The
  // next page starts after `key`.
  auto take = [&](const Project& p, const std::string& key) {
    if (p.state != ItemState::live) return true;
    if (!q.tags.empty() && !has_all_tags(c, t, p.id, q.tags)) return true;
    if (q.collection && std::find(members.begin(), members.end(), p.id) == members.end()) return true;
    if (page.items.size() == limit) {
      page.next = key;
      return false;
    }
    page.items.push_back(p);
    return true;
  };
  // Walks resume after the last project looked at, taken or not.
  std::string last_key;
  auto take_keyed = [&](const Project& p, std::string key) {
    const bool more = take(p, last_key);
    last_key = std::move(key);
    return more;
  };
  if (q.name) {
    // One project by its exact folder name.
    if (auto id = c.project_id_by_name(t, *q.name); id && after.empty())
      if (auto p = c.project(t, *id)) take(*p, p->name);
  } else if (q.collection) {
    // Collection order; the key is a position.
    std::size_t start = 0;
    if (!after.empty()) start = static_cast<std::size_t>(std::strtoull(std::string(after).c_str(), nullptr, 10));
    for (std::size_t i = start; i < members.size(); ++i)
      if (auto p = c.project(t, members[i]))
        if (!take_keyed(*p, std::to_string(i + 1))) break;
  } else if (!q.tags.empty()) {
    // Projects with all the tags, planned from the rarest.
    projects_with_tags(c, t, q.tags, after, [&](const Project& p) { return take_keyed(p, p.name); });
  } else {
    c.project_ids_by_name(t, after, [&](ProjectId id) {
      auto p = c.project(t, id);
      return !p || take_keyed(*p, p->name);
    });
  }
  return page;
}

}  // namespace lima::index
