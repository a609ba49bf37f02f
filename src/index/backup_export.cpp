#include "index/backup.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "index/backup_internal.h"
#include "index/key_codec.h"
#include "index/metadata.h"
#include "index/records_json.h"
#include "index/saved_searches.h"

namespace lima::index {

using nlohmann::json;
using backup_detail::now_ns;

// ---- export ---------------------------------------------------------------

namespace {

const char* state_name(ItemState s) { return s == ItemState::live ? "live" : "tombstone"; }

// Content hashes of a project's assets ("hashes" of the format), memoized.
class ProjectHashes {
 public:
  ProjectHashes(Catalog& c, const Txn& t) : c_(c), t_(t) {}

  json of(const Project& p) {
    auto it = memo_.find(p.id);
    if (it != memo_.end()) return it->second;
    std::vector<std::string> out;
    auto add = [&](const Asset& a) {
      if (!a.hash.is_zero()) out.push_back(a.hash.to_string());
    };
    if (p.state == ItemState::live) {
      c_.assets_under(t_, p.id, "", add);
    } else {
      if (!tombstones_) {  // one pass over every asset, on first need
        tombstones_.emplace();
        c_.for_each_asset(t_, [&](const Asset& a) {
          if (!a.hash.is_zero()) (*tombstones_)[a.project].push_back(a.hash.to_string());
        });
      }
      out = (*tombstones_)[p.id];
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return memo_[p.id] = json(out);
  }

 private:
  Catalog& c_;
  const Txn& t_;
  std::unordered_map<ProjectId, json> memo_;
  std::optional<std::unordered_map<ProjectId, std::vector<std::string>>> tombstones_;
};

// Every (first, second) u64 pair of a link table such as project_tags.
template <class F>
void scan_pairs(const Txn& t, const Dbi& db, F fn) {
  t.scan_prefix(db, {}, [&](std::string_view k, std::string_view) {
    if (k.size() == 16) fn(get_u64(k), get_u64(k, 8));
    return true;
  });
}

// What each project and asset carries, by id.
struct Carried {
  std::vector<std::string> tags;
  std::string note;
  json main_image;
  bool member = false;
};

struct AllCarried {
  std::map<ProjectId, Carried> projects;
  std::map<AssetId, Carried> assets;
};

AllCarried carried_metadata(Catalog& c, const Txn& t, Metadata& md,
                            const std::unordered_map<TagId, std::string>& tag_name,
                            const std::vector<Collection>& collections) {
  const Tables& db = c.db();
  AllCarried all;
  auto& projects = all.projects;
  auto& assets = all.assets;
  scan_pairs(t, db.project_tags, [&](std::uint64_t p, std::uint64_t tag) {
    if (auto n = tag_name.find(tag); n != tag_name.end()) projects[p].tags.push_back(n->second);
  });
  scan_pairs(t, db.asset_tags, [&](std::uint64_t a, std::uint64_t tag) {
    if (auto n = tag_name.find(tag); n != tag_name.end()) assets[a].tags.push_back(n->second);
  });
  t.scan_prefix(db.notes, {}, [&](std::string_view k, std::string_view v) {
    if (k.size() != 9 || v.empty()) return true;
    auto& into = k[0] == static_cast<char>(NoteTarget::Type::project) ? projects : assets;
    if (k[0] == static_cast<char>(NoteTarget::Type::project) || k[0] == static_cast<char>(NoteTarget::Type::asset))
      into[get_u64(k, 1)].note = std::string(v);
    return true;
  });
  t.scan_prefix(db.main_images, {}, [&](std::string_view k, std::string_view v) {
    if (k.size() != 8 || v.size() != 8) return true;
    ProjectId p = get_u64(k);
    if (!md.main_image_is_chosen(t, p)) return true;
    if (auto a = c.asset(t, get_u64(v))) {
      json img = {{"path", a->path}};
      if (!a->hash.is_zero()) img["hash"] = a->hash.to_string();
      projects[p].main_image = std::move(img);
    }
    return true;
  });
  for (const auto& col : collections)
    for (ProjectId p : col.projects) projects[p].member = true;
  return all;
}

void put_common(json& j, Carried& m) {
  std::sort(m.tags.begin(), m.tags.end());
  if (!m.tags.empty()) j["tags"] = m.tags;
  if (!m.note.empty()) j["note"] = m.note;
}

void put_hashes(json& j, ProjectHashes& hashes, const Project& p) {
  json h = hashes.of(p);
  if (!h.empty()) j["hashes"] = std::move(h);
}

// Projects and assets are exported by name, live before tombstones, then by
// id.
struct Row {
  std::string name, path;
  ItemState state;
  std::uint64_t id;
  json j;
};

json in_row_order(std::vector<Row>& rows) {
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.name, a.path, a.state, a.id) < std::tie(b.name, b.path, b.state, b.id);
  });
  json out = json::array();
  for (auto& r : rows) out.push_back(std::move(r.j));
  return out;
}

json projects_json(Catalog& c, const Txn& t, std::map<ProjectId, Carried>& projects, ProjectHashes& hashes) {
  std::vector<Row> rows;
  for (auto& [id, m] : projects) {
    if (m.tags.empty() && m.note.empty() && m.main_image.is_null() && !m.member) continue;
    auto p = c.project(t, id);
    if (!p) continue;
    json j = {{"name", p->name}, {"state", state_name(p->state)}};
    put_common(j, m);
    if (!m.main_image.is_null()) j["main_image"] = m.main_image;
    put_hashes(j, hashes, *p);
    rows.push_back({p->name, {}, p->state, id, std::move(j)});
  }
  return in_row_order(rows);
}

json assets_json(Catalog& c, const Txn& t, std::map<AssetId, Carried>& assets) {
  std::vector<Row> rows;
  for (auto& [id, m] : assets) {
    if (m.tags.empty() && m.note.empty()) continue;
    auto a = c.asset(t, id);
    if (!a) continue;
    std::string project;
    if (a->project != kRootProject) {
      auto p = c.project(t, a->project);
      if (!p) continue;
      project = p->name;
    }
    json j = {{"project", project}, {"path", a->path}, {"state", state_name(a->state)}};
    if (!a->hash.is_zero()) j["hash"] = a->hash.to_string();
    put_common(j, m);
    rows.push_back({std::move(project), a->path, a->state, id, std::move(j)});
  }
  return in_row_order(rows);
}

json collections_json(Catalog& c, const Txn& t, const std::vector<Collection>& collections, ProjectHashes& hashes) {
  json out = json::array();
  for (const auto& col : collections) {
    json members = json::array();
    for (ProjectId id : col.projects) {
      auto p = c.project(t, id);
      if (!p) continue;
      json m = {{"name", p->name}};
      put_hashes(m, hashes, *p);
      members.push_back(std::move(m));
    }
    out.push_back({{"name", col.name}, {"projects", std::move(members)}});
  }
  return out;
}

json searches_json(Catalog& c, const Txn& t) {
  json out = json::array();
  for (const auto& s : SavedSearches(c).list(t))
    out.push_back({{"name", s.name}, {"query", s.query}, {"created", format_time(s.created_ns)}});
  return out;
}

}  // namespace

json export_metadata(Catalog& c, const Txn& t) {
  Metadata md(c);
  std::unordered_map<TagId, std::string> tag_name;
  std::vector<std::string> all_tags;
  for (auto& [id, name] : md.tag_names(t)) {
    all_tags.push_back(name);
    tag_name.emplace(id, std::move(name));
  }
  std::sort(all_tags.begin(), all_tags.end());
  const auto collections = md.collections(t);
  AllCarried carried = carried_metadata(c, t, md, tag_name, collections);
  ProjectHashes hashes(c, t);
  auto root = c.library_root(t);
  return {{"format", kExportFormat},
          {"version", kExportVersion},
          {"exported_at", format_time(now_ns())},
          {"library", root ? json(*root) : json()},
          {"tags", all_tags},
          {"projects", projects_json(c, t, carried.projects, hashes)},
          {"assets", assets_json(c, t, carried.assets)},
          {"collections", collections_json(c, t, collections, hashes)},
          {"searches", searches_json(c, t)}};
}

}  // namespace lima::index
