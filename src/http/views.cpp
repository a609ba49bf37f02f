#include "http/views.h"

#include "http/pictures.h"
#include "index/records_json.h"

namespace lima::http {

using nlohmann::json;

namespace {

std::string_view state_name(index::ItemState s) { return s == index::ItemState::live ? "live" : "tombstone"; }

}  // namespace

json project_summary(const index::Txn& t, index::Metadata& meta, const index::Project& p) {
  return {{"id", p.id}, {"name", p.name}, {"tags", meta.project_tags(t, p.id)}, {"mtime", index::format_time(p.mtime_ns)}};
}

json project_detail(const index::Txn& t, index::Catalog& c, const std::filesystem::path& library,
                    const index::Project& p, const thumbs::PictureStore* store) {
  index::Metadata meta(c);
  json j = project_summary(t, meta, p);
  j["state"] = state_name(p.state);
  j["path"] = (library / p.name).string();
  j["note"] = meta.note(t, {index::NoteTarget::Type::project, p.id});
  j["added"] = index::format_time(p.added_ns);
  json image = nullptr;
  if (auto id = meta.main_image(t, p.id))
    if (auto a = c.asset(t, *id))
      image = {{"id", a->id}, {"path", a->path}, {"chosen", meta.main_image_is_chosen(t, p.id)}};
  j["main_image"] = image;
  json cover = nullptr;
  if (auto a = project_cover(c, meta, t, p.id, store))
    cover = {{"id", a->id}, {"path", a->path}, {"kind", index::to_string(a->kind)}};
  j["cover"] = cover;
  json collections = json::array();
  for (auto cid : meta.collections_of(t, p.id))
    if (auto col = meta.collection(t, cid)) collections.push_back({{"id", col->id}, {"name", col->name}});
  j["collections"] = collections;
  std::uint64_t assets = 0, bytes = 0;
  c.assets_under(t, p.id, "", [&](const index::Asset& a) {
    ++assets;
    bytes += a.size;
  });
  j["assets"] = assets;
  j["bytes"] = bytes;
  return j;
}

json asset_json(const index::Txn& t, index::Catalog& c, const index::Asset& a, bool detail) {
  index::Metadata meta(c);
  std::string project_name;
  if (a.project != index::kRootProject)
    if (auto p = c.project(t, a.project)) project_name = p->name;
  json j = {{"id", a.id},
            {"project", a.project},
            {"project_name", project_name},
            {"path", a.path},
            {"kind", index::to_string(a.kind)},
            {"size", a.size},
            {"mtime", index::format_time(a.mtime_ns)},
            {"hash", a.hash.to_string()},
            {"tags", meta.asset_tags(t, a.id)},
            {"state", state_name(a.state)}};
  const auto px = a.pixels();
  j["width"] = px ? json(px->first) : json(nullptr);
  j["height"] = px ? json(px->second) : json(nullptr);
  if (detail) {
    j["library_path"] = index::library_path(project_name, a.path);
    j["note"] = meta.note(t, {index::NoteTarget::Type::asset, a.id});
  }
  return j;
}

json collection_json(const index::Txn& t, index::Catalog& c, const index::Collection& col, bool detail) {
  json j = {{"id", col.id}, {"name", col.name}, {"size", col.projects.size()}};
  if (detail) {
    json members = json::array();
    for (auto pid : col.projects) {
      auto p = c.project(t, pid);
      members.push_back({{"id", pid}, {"name", p ? p->name : ""}, {"state", p ? state_name(p->state) : "tombstone"}});
    }
    j["projects"] = members;
  }
  return j;
}

}  // namespace lima::http
