// Projects, assets, tags, collections and search.
#include <algorithm>
#include <charconv>

#include "http/input.h"
#include "http/query_params.h"
#include "http/search_results.h"
#include "http/views.h"
#include "http/write.h"
#include "index/asset_query.h"
#include "index/kinds.h"
#include "index/names.h"
#include "index/project_query.h"
#include "index/search.h"

namespace lima::http {

using nlohmann::json;
using index::ReadTxn;

namespace {

index::Catalog& cat(Call& c) { return *c.ctx.catalog; }

index::Project need_project(const index::Txn& t, Call& c, std::string_view id_text) {
  const auto id = parse_id(id_text, "project");
  auto p = cat(c).project(t, id);
  if (!p) throw_not_found("no project with id " + std::to_string(id));
  return *p;
}

index::Asset need_asset(const index::Txn& t, Call& c, std::string_view id_text) {
  const auto id = parse_id(id_text, "asset");
  auto a = cat(c).asset(t, id);
  if (!a) throw_not_found("no asset with id " + std::to_string(id));
  return *a;
}

index::Collection need_collection(const index::Txn& t, Call& c, std::string_view id_text) {
  const auto id = parse_id(id_text, "collection");
  auto col = index::Metadata(cat(c)).collection(t, id);
  if (!col) throw_not_found("no collection with id " + std::to_string(id));
  return *col;
}

// A tag name from a path or a field that may name an existing tag: only
// what no index can hold is refused here, so a tag named under an older
// rule stays reachable. A tag made by the request is checked against the
// naming rule by the index (Metadata::ensure_tag).
std::string tag_name(std::string_view raw) {
  if (auto ok = index::validate_lookup_name(raw, "tag"); !ok) throw to_api_error(ok.error());
  return std::string(raw);
}

// A tag name a tag is renamed to: the whole naming rule.
std::string new_tag_name(std::string_view raw) {
  if (auto ok = index::validate_name(raw, "tag"); !ok) throw to_api_error(ok.error());
  return std::string(raw);
}

json page(json items, std::optional<std::string> next) {
  return {{"items", std::move(items)}, {"next_cursor", next ? json(*next) : json(nullptr)}};
}

// tag=a&tag=b…: the ids of every tag asked for (all must exist).
std::vector<index::TagId> tag_filter(const index::Txn& t, index::Metadata& meta, const httplib::Request& req) {
  std::vector<index::TagId> ids;
  for (const auto& name : repeated_param(req, "tag")) {
    if (name.empty()) throw_invalid("parameter 'tag' must name a tag, and is empty");
    auto id = meta.tag_id(t, name);
    if (!id) throw_not_found("no tag named '" + index::printable(name) + "'");
    ids.push_back(*id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// The query of parameter q, parsed: a malformed one is 400 invalid_query,
// naming what is wrong and where.
index::Query need_query(const httplib::Request& req) {
  return http::need_query(req.get_param_value("q"), "parameter 'q'");
}

// A page of search hits, each item's JSON with "type" and the fields that
// matched ("matched").
json search_page(Call& c, const index::Txn& t, index::Query q, index::SearchRequest r, const std::string& list) {
  return search_results_json(cat(c), t, std::move(q), std::move(r), read_page(c.req, list), list);
}

// -- projects --

void list_projects(Call& c) {
  refuse_repeats(c.req, {"collection", "q", "name", "limit", "cursor"});
  ReadTxn t(cat(c).env());
  index::Metadata meta(cat(c));
  index::ProjectQuery q;
  q.tags = tag_filter(t, meta, c.req);
  if (c.req.has_param("collection")) {
    const auto v = c.req.get_param_value("collection");
    // By name first (a collection may be called "2026"), then by id.
    q.collection = meta.collection_by_name(t, v);
    const bool numeric = !v.empty() && std::all_of(v.begin(), v.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (!q.collection && numeric) q.collection = meta.collection(t, parse_id(v, "collection"));
    if (!q.collection) throw_not_found("no collection '" + index::printable(v) + "'");
  }
  if (c.req.has_param("name")) q.name = c.req.get_param_value("name");
  if (c.req.has_param("q")) {
    // Searched, best first; the other parameters narrow the hits.
    auto query = need_query(c.req);
    index::SearchRequest r;
    r.scope = index::Scope::projects;
    r.keep = [&](index::ItemKey item) {
      const auto id = index::id_of(item);
      if (!q.tags.empty() && !index::has_all_tags(cat(c), t, id, q.tags)) return false;
      if (q.collection && std::find(q.collection->projects.begin(), q.collection->projects.end(), id) ==
                              q.collection->projects.end())
        return false;
      if (q.name) {
        auto p = cat(c).project(t, id);
        return p && p->name == *q.name;
      }
      return true;
    };
    reply(c.res, 200, search_page(c, t, std::move(query), std::move(r), "projects-search"));
    return;
  }
  // Name order, or collection order: cursors of one do not fit the other.
  const std::string list = q.collection ? "projects-in-" + std::to_string(q.collection->id) : "projects";
  const auto pg = read_page(c.req, list);
  const auto found = index::query_projects(cat(c), t, q, pg.after, pg.limit);
  json items = json::array();
  for (const auto& p : found.items) items.push_back(project_summary(t, meta, p));
  std::optional<std::string> next;
  if (found.next) next = make_cursor(list, *found.next);
  reply(c.res, 200, page(std::move(items), next));
}

void get_project(Call& c) {
  ReadTxn t(cat(c).env());
  const auto p = need_project(t, c, c.params[0]);
  reply(c.res, 200, project_detail(t, cat(c), c.ctx.library, p, picture_store(c)));
}

void patch_project(Call& c) {
  const auto body = json_object(c.body, {"note", "main_image"});
  const auto id = parse_id(c.params[0], "project");
  const auto note = opt_string(body, "note");
  std::optional<std::optional<index::AssetId>> image;
  if (body.contains("main_image")) {
    if (body["main_image"].is_null()) image.emplace(std::nullopt);
    else if (auto v = opt_u64(body, "main_image"); v && *v > 0) image.emplace(*v);
    else throw_invalid("field 'main_image' must be an image asset id, or null to go back to the automatic choice");
  }
  if (note)
    if (auto ok = index::validate_note(*note); !ok) throw to_api_error(ok.error());
  commit(c, [&](index::WriteTxn& t, index::Metadata& meta) -> index::Result<void> {
    if (!cat(c).project(t, id)) return index::fail(index::Errc::not_found, "no project with id " + std::to_string(id));
    if (image && *image) {
      auto a = cat(c).asset(t, **image);
      if (a && a->state != index::ItemState::live)
        return index::fail(index::Errc::invalid_argument,
                           "asset " + std::to_string(**image) + " is gone from the library; choose a live image");
    }
    if (note)
      if (auto r = meta.set_note(t, {index::NoteTarget::Type::project, id}, *note); !r) return r;
    if (image) return meta.set_main_image(t, id, *image);
    return {};
  });
  ReadTxn t(cat(c).env());
  reply(c.res, 200, project_detail(t, cat(c), c.ctx.library, *cat(c).project(t, id), picture_store(c)));
}

// -- assets --

std::optional<index::Kind> kind_filter(const httplib::Request& req) {
  const auto v = single_param(req, "kind");
  if (!v) return std::nullopt;
  auto kind = index::parse_kind(*v);
  if (!kind) throw_invalid("parameter 'kind' must be model, image, document or other");
  return kind;
}

// ext=stl (or .stl, STL): one extension, as the index keeps it.
std::optional<std::string> ext_filter(const httplib::Request& req) {
  const auto v = single_param(req, "ext");
  if (!v) return std::nullopt;
  std::string_view e = *v;
  if (e.starts_with('.')) e.remove_prefix(1);
  if (e.empty() || e.find_first_of("./") != std::string_view::npos || e.find('\0') != std::string_view::npos)
    throw_invalid("parameter 'ext' must be one file extension, such as stl or .stl");
  return index::extension_of("x." + std::string(e));
}

void list_assets(Call& c) {
  refuse_repeats(c.req, {"path", "limit", "cursor"});
  index::ProjectAssetFilter f;
  f.kind = kind_filter(c.req);
  f.ext = ext_filter(c.req);
  ReadTxn t(cat(c).env());
  index::Metadata meta(cat(c));
  const auto p = need_project(t, c, c.params[0]);
  f.tags = tag_filter(t, meta, c.req);
  const std::string list = "assets-of-" + std::to_string(p.id);
  const auto pg = read_page(c.req, list);
  if (c.req.has_param("path")) f.path = c.req.get_param_value("path");
  const auto found = index::query_project_assets(cat(c), t, p.id, f, pg.after, pg.limit);
  json items = json::array();
  for (const auto& a : found.items) items.push_back(asset_json(t, cat(c), a, false));
  std::optional<std::string> next;
  if (found.next) next = make_cursor(list, *found.next);
  reply(c.res, 200, page(std::move(items), next));
}

// Every live asset of the library, in id order, filtered by kind, ext,
// tag (all), project (an id) and hash; each filter is read from its index
// (asset_query.h). A cursor names the filters it was made with.
void list_library_assets(Call& c) {
  refuse_repeats(c.req, {"q", "limit", "cursor"});
  index::AssetFilter f;
  f.kind = kind_filter(c.req);
  f.ext = ext_filter(c.req);
  std::string list = "assets";
  if (f.kind) list += "|kind=" + std::string(index::to_string(*f.kind));
  if (f.ext) list += "|ext=" + *f.ext;
  if (auto v = single_param(c.req, "hash")) {
    f.hash = index::ContentHash::parse(*v);
    if (!f.hash) throw_invalid("parameter 'hash' must be a content hash: xxh3: and the 32 hex digits xxhsum -H2 prints");
    list += "|hash=" + f.hash->hex();
  }
  const auto project = single_param(c.req, "project");
  if (project) f.project = parse_id(*project, "parameter 'project': a project");
  ReadTxn t(cat(c).env());
  index::Metadata meta(cat(c));
  if (f.project) {
    if (!cat(c).project(t, *f.project)) throw_not_found("no project with id " + std::to_string(*f.project));
    list += "|project=" + std::to_string(*f.project);
  }
  f.tags = tag_filter(t, meta, c.req);
  for (auto tag : f.tags) list += "|tag=" + std::to_string(tag);
  if (c.req.has_param("q")) {
    // Searched, best first; the other parameters narrow the hits.
    auto query = need_query(c.req);
    index::SearchRequest r;
    r.scope = index::Scope::assets;
    r.keep = [&](index::ItemKey item) {
      auto a = cat(c).asset(t, index::id_of(item));
      if (!a) return false;
      if (f.kind && a->kind != *f.kind) return false;
      if (f.ext && index::extension_of(a->path) != *f.ext) return false;
      if (f.project && a->project != *f.project) return false;
      if (f.hash && !(a->hash == *f.hash)) return false;
      return f.tags.empty() || index::asset_has_all_tags(cat(c), t, a->id, f.tags);
    };
    reply(c.res, 200, search_page(c, t, std::move(query), std::move(r), "search-" + list));
    return;
  }
  const auto pg = read_page(c.req, list);
  index::AssetId after = 0;
  if (pg.has_cursor) {
    const auto [end, ec] = std::from_chars(pg.after.data(), pg.after.data() + pg.after.size(), after);
    if (ec != std::errc() || end != pg.after.data() + pg.after.size())
      throw_invalid("parameter 'cursor' is not a cursor of this list (pass back the next_cursor of a page)");
  }
  const auto found = index::query_asset_page(cat(c), t, f, after, pg.limit);
  json items = json::array();
  for (const auto& a : found.items) items.push_back(asset_json(t, cat(c), a, false));
  std::optional<std::string> next;
  if (found.next) next = make_cursor(list, std::to_string(*found.next));
  reply(c.res, 200, page(std::move(items), next));
}

void get_asset(Call& c) {
  ReadTxn t(cat(c).env());
  reply(c.res, 200, asset_json(t, cat(c), need_asset(t, c, c.params[0]), true));
}

void patch_asset(Call& c) {
  const auto body = json_object(c.body, {"note"});
  const auto id = parse_id(c.params[0], "asset");
  const auto note = opt_string(body, "note");
  if (note)
    if (auto ok = index::validate_note(*note); !ok) throw to_api_error(ok.error());
  commit(c, [&](index::WriteTxn& t, index::Metadata& meta) -> index::Result<void> {
    if (!cat(c).asset(t, id)) return index::fail(index::Errc::not_found, "no asset with id " + std::to_string(id));
    if (note) return meta.set_note(t, {index::NoteTarget::Type::asset, id}, *note);
    return {};
  });
  ReadTxn t(cat(c).env());
  reply(c.res, 200, asset_json(t, cat(c), *cat(c).asset(t, id), true));
}

// -- tag links --

void put_project_tag(Call& c) {
  const auto id = parse_id(c.params[0], "project");
  const auto tag = tag_name(c.params[1]);
  commit(c, [&](index::WriteTxn& t, index::Metadata& meta) { return meta.tag_project(t, id, tag); });
  ReadTxn t(cat(c).env());
  reply(c.res, 200, json{{"tags", index::Metadata(cat(c)).project_tags(t, id)}});
}

void delete_project_tag(Call& c) {
  const auto id = parse_id(c.params[0], "project");
  const auto tag = tag_name(c.params[1]);
  commit(c, [&](index::WriteTxn& t, index::Metadata& meta) { return meta.untag_project(t, id, tag); });
  ReadTxn t(cat(c).env());
  reply(c.res, 200, json{{"tags", index::Metadata(cat(c)).project_tags(t, id)}});
}

void put_asset_tag(Call& c) {
  const auto id = parse_id(c.params[0], "asset");
  const auto tag = tag_name(c.params[1]);
  commit(c, [&](index::WriteTxn& t, index::Metadata& meta) { return meta.tag_asset(t, id, tag); });
  ReadTxn t(cat(c).env());
  reply(c.res, 200, json{{"tags", index::Metadata(cat(c)).asset_tags(t, id)}});
}

void delete_asset_tag(Call& c) {
  const auto id = parse_id(c.params[0], "asset");
  const auto tag = tag_name(c.params[1]);
  commit(c, [&](index::WriteTxn& t, index::Metadata& meta) { return meta.untag_asset(t, id, tag); });
  ReadTxn t(cat(c).env());
  reply(c.res, 200, json{{"tags", index::Metadata(cat(c)).asset_tags(t, id)}});
}

// -- tags --

json tag_json(const index::TagInfo& info) {
  return {{"id", info.id}, {"name", info.name}, {"projects", info.projects}, {"assets", info.assets}};
}

json tag_by_name(Call& c, const std::string& name) {
  ReadTxn t(cat(c).env());
  for (const auto& info : index::Metadata(cat(c)).tags(t))
    if (info.name == name) return tag_json(info);
  throw_not_found("no tag named '" + index::printable(name) + "'");
}

void list_tags(Call& c) {
  const auto pg = read_page(c.req, "tags");
  ReadTxn t(cat(c).env());
  json items = json::array();
  std::optional<std::string> next;
  std::string last;
  for (const auto& info : index::Metadata(cat(c)).tags(t)) {
    if (pg.has_cursor && info.name <= pg.after) continue;
    if (items.size() == pg.limit) {
      next = make_cursor("tags", last);
      break;
    }
    items.push_back(tag_json(info));
    last = info.name;
  }
  reply(c.res, 200, page(std::move(items), next));
}

void rename_tag(Call& c) {
  const auto from = tag_name(c.params[0]);
  const auto body = json_object(c.body, {"name"});
  const auto to = new_tag_name(need_string(body, "name"));
  commit(c, [&](index::WriteTxn& t, index::Metadata& meta) { return meta.rename_tag(t, from, to); });
  reply(c.res, 200, tag_by_name(c, to));
}

void merge_tag(Call& c) {
  const auto from = tag_name(c.params[0]);
  const auto body = json_object(c.body, {"into"});
  const auto into = tag_name(need_string(body, "into"));
  commit(c, [&](index::WriteTxn& t, index::Metadata& meta) { return meta.merge_tags(t, from, into); });
  reply(c.res, 200, tag_by_name(c, into));
}

void delete_tag(Call& c) {
  const auto name = tag_name(c.params[0]);
  commit(c, [&](index::WriteTxn& t, index::Metadata& meta) { return meta.delete_tag(t, name); });
  c.res.status = 204;
}

// -- collections --

// A collection name being created or renamed to: the whole naming rule.
std::string collection_name(std::string_view raw) {
  if (auto ok = index::validate_name(raw, "collection"); !ok) throw to_api_error(ok.error());
  return std::string(raw);
}

void reply_collection(Call& c, index::CollectionId id, int status) {
  ReadTxn t(cat(c).env());
  auto col = index::Metadata(cat(c)).collection(t, id);
  if (!col) throw_not_found("no collection with id " + std::to_string(id));
  reply(c.res, status, collection_json(t, cat(c), *col, true));
}

std::vector<index::ProjectId> id_list(const json& body, std::string_view key) {
  const auto it = body.find(std::string(key));
  if (it == body.end() || it->is_null()) return {};
  if (!it->is_array()) throw_invalid("field '" + std::string(key) + "' must be an array of project ids");
  std::vector<index::ProjectId> ids;
  for (const auto& v : *it) {
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() == 0)
      throw_invalid("field '" + std::string(key) + "' must hold positive project ids only");
    ids.push_back(v.get<std::uint64_t>());
  }
  return ids;
}

void list_collections(Call& c) {
  const auto pg = read_page(c.req, "collections");
  ReadTxn t(cat(c).env());
  json items = json::array();
  std::optional<std::string> next;
  std::string last;
  for (const auto& col : index::Metadata(cat(c)).collections(t)) {
    if (pg.has_cursor && col.name <= pg.after) continue;
    if (items.size() == pg.limit) {
      next = make_cursor("collections", last);
      break;
    }
    items.push_back(collection_json(t, cat(c), col, false));
    last = col.name;
  }
  reply(c.res, 200, page(std::move(items), next));
}

void create_collection(Call& c) {
  const auto body = json_object(c.body, {"name", "projects"});
  const auto name = collection_name(need_string(body, "name"));
  const auto members = id_list(body, "projects");
  const auto id = commit(c, [&](index::WriteTxn& t, index::Metadata& meta) -> index::Result<index::CollectionId> {
    auto created = meta.create_collection(t, name);
    if (!created) return created;
    for (auto p : members)
      if (auto r = meta.add_to_collection(t, *created, p); !r) return tl::unexpected(r.error());
    return created;
  });
  c.res.set_header("Location", "/api/v1/collections/" + std::to_string(id));
  reply_collection(c, id, 201);
}

void get_collection(Call& c) {
  ReadTxn t(cat(c).env());
  reply(c.res, 200, collection_json(t, cat(c), need_collection(t, c, c.params[0]), true));
}

void patch_collection(Call& c) {
  const auto id = parse_id(c.params[0], "collection");
  const auto body = json_object(c.body, {"name"});
  const auto name = collection_name(need_string(body, "name"));
  commit(c, [&](index::WriteTxn& t, index::Metadata& meta) { return meta.rename_collection(t, id, name); });
  reply_collection(c, id, 200);
}

void delete_collection(Call& c) {
  const auto id = parse_id(c.params[0], "collection");
  commit(c, [&](index::WriteTxn& t, index::Metadata& meta) { return meta.delete_collection(t, id); });
  c.res.status = 204;
}

void add_member(Call& c) {
  const auto id = parse_id(c.params[0], "collection");
  const auto project = parse_id(c.params[1], "project");
  std::optional<std::size_t> position;
  if (auto pos = query_u64(c.req, "position")) position = static_cast<std::size_t>(*pos);
  commit(c, [&](index::WriteTxn& t, index::Metadata& meta) { return meta.add_to_collection(t, id, project, position); });
  reply_collection(c, id, 200);
}

void remove_member(Call& c) {
  const auto id = parse_id(c.params[0], "collection");
  const auto project = parse_id(c.params[1], "project");
  {
    ReadTxn t(cat(c).env());
    if (!cat(c).project(t, project)) throw_not_found("no project with id " + std::to_string(project));
  }
  commit(c, [&](index::WriteTxn& t, index::Metadata& meta) { return meta.remove_from_collection(t, id, project); });
  reply_collection(c, id, 200);
}

void reorder(Call& c) {
  const auto id = parse_id(c.params[0], "collection");
  const auto body = json_object(c.body, {"projects"});
  if (!body.contains("projects")) throw_invalid("field 'projects' is required");
  const auto order = id_list(body, "projects");
  commit(c, [&](index::WriteTxn& t, index::Metadata& meta) { return meta.reorder_collection(t, id, order); });
  reply_collection(c, id, 200);
}

// -- search --

void search(Call& c) {
  refuse_repeats(c.req, {"q", "limit", "cursor"});
  if (!c.req.has_param("q")) throw_invalid("parameter 'q' is required");
  auto q = need_query(c.req);
  ReadTxn t(cat(c).env());
  auto out = search_page(c, t, std::move(q), {}, "search");
  out["query"] = c.req.get_param_value("q");
  reply(c.res, 200, out);
}

}  // namespace

void add_catalog_routes(std::vector<Route>& out) {
  out.insert(out.end(), {
      {"GET", "/api/v1/projects", Body::none, list_projects},
      {"GET", "/api/v1/projects/{id}", Body::none, get_project},
      {"PATCH", "/api/v1/projects/{id}", Body::json, patch_project},
      {"GET", "/api/v1/projects/{id}/assets", Body::none, list_assets},
      {"PUT", "/api/v1/projects/{id}/tags/{tag}", Body::none, put_project_tag},
      {"DELETE", "/api/v1/projects/{id}/tags/{tag}", Body::none, delete_project_tag},
      {"GET", "/api/v1/assets", Body::none, list_library_assets},
      {"GET", "/api/v1/assets/{id}", Body::none, get_asset},
      {"PATCH", "/api/v1/assets/{id}", Body::json, patch_asset},
      {"PUT", "/api/v1/assets/{id}/tags/{tag}", Body::none, put_asset_tag},
      {"DELETE", "/api/v1/assets/{id}/tags/{tag}", Body::none, delete_asset_tag},
      {"GET", "/api/v1/tags", Body::none, list_tags},
      {"POST", "/api/v1/tags/{tag}/merge", Body::json, merge_tag},
      {"PATCH", "/api/v1/tags/{tag}", Body::json, rename_tag},
      {"DELETE", "/api/v1/tags/{tag}", Body::none, delete_tag},
      {"GET", "/api/v1/collections", Body::none, list_collections},
      {"POST", "/api/v1/collections", Body::json, create_collection},
      {"GET", "/api/v1/collections/{id}", Body::none, get_collection},
      {"PATCH", "/api/v1/collections/{id}", Body::json, patch_collection},
      {"DELETE", "/api/v1/collections/{id}", Body::none, delete_collection},
      {"PUT", "/api/v1/collections/{id}/projects/{project}", Body::none, add_member},
      {"DELETE", "/api/v1/collections/{id}/projects/{project}", Body::none, remove_member},
      {"PUT", "/api/v1/collections/{id}/order", Body::json, reorder},
      {"GET", "/api/v1/search", Body::none, search},
  });
}

}  // namespace lima::http
