#include "index/tag_listing.h"

#include <algorithm>
#include <map>

#include "index/asset_query.h"
#include "index/key_codec.h"
#include "index/project_query.h"

namespace lima::index {

namespace {

// Calls fn for each tag of `id` in a sub-database keyed "id,tag_id"
// (project_tags, asset_tags).
template <class Fn>
void tags_of(const Txn& t, const Dbi& db, std::uint64_t id, Fn&& fn) {
  t.scan_prefix(db, key_u64(id), [&](std::string_view k, std::string_view) {
    if (k.size() == 16) fn(get_u64(k, 8));
    return true;
  });
}

}  // namespace

TagSetListing list_tag_set(const Catalog& c, const Txn& t, std::span<const TagId> tags) {
  TagSetListing out;
  if (tags.empty()) return out;
  const Tables& db = c.db();
  std::map<TagId, std::size_t> carried;  // tag → members carrying it
  tagged_project_ids(c, t, tags, [&](ProjectId id) {
    if (id == kRootProject) return true;
    auto p = c.project(t, id);
    if (!p || p->state != ItemState::live) return true;
    tags_of(t, db.project_tags, id, [&](TagId tag) { ++carried[tag]; });
    out.projects.push_back(std::move(*p));
    return true;
  });
  AssetFilter filter;
  filter.tags.assign(tags.begin(), tags.end());
  query_assets(c, t, filter, 0, [&](const Asset& a) {
    auto known = out.project_names.find(a.project);
    if (known == out.project_names.end()) {
      std::string name;
      if (a.project != kRootProject) {
        auto p = c.project(t, a.project);
        if (!p || p->state != ItemState::live) return true;  // a file of a project that is gone
        name = p->name;
      }
      out.project_names.emplace(a.project, std::move(name));
    }
    tags_of(t, db.asset_tags, a.id, [&](TagId tag) { ++carried[tag]; });
    out.assets.push_back(a);
    return true;
  });
  // A tag narrows when some members carry it and some do not.
  const std::size_t members = out.projects.size() + out.assets.size();
  for (const auto& [tag, n] : carried) {
    if (n == 0 || n >= members) continue;
    if (std::find(tags.begin(), tags.end(), tag) != tags.end()) continue;
    if (auto name = t.get(db.tags, key_u64(tag))) out.narrowing.emplace_back(tag, std::string(*name));
  }
  return out;
}

bool is_untagged(const Catalog& c, const Txn& t, ProjectId p) {
  bool tagged = false;
  t.scan_prefix(c.db().project_tags, key_u64(p), [&](std::string_view k, std::string_view) {
    tagged = k.size() == 16;
    return !tagged;
  });
  return !tagged;
}

std::vector<Project> untagged_projects(const Catalog& c, const Txn& t) {
  std::vector<Project> out;
  for (auto& p : c.projects(t))
    if (p.id != kRootProject && is_untagged(c, t, p.id)) out.push_back(std::move(p));
  return out;
}

}  // namespace lima::index
