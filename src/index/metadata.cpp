#include "index/metadata.h"

#include <algorithm>
#include <tuple>
#include <unordered_set>

#include "index/key_codec.h"
#include "index/names.h"
#include "index/schema.h"
#include "index/word_index.h"

namespace lima::index {

namespace {

std::string note_key(NoteTarget t) {
  std::string k(1, static_cast<char>(t.type));
  put_u64(k, t.id);
  return k;
}

// Ids of the second u64 of every key `prefix_id,second` in db.
std::vector<std::uint64_t> seconds_of(const Txn& t, const Dbi& db, std::uint64_t prefix_id) {
  std::vector<std::uint64_t> out;
  t.scan_prefix(db, key_u64(prefix_id), [&](std::string_view k, std::string_view) {
    if (k.size() == 16) out.push_back(get_u64(k, 8));
    return true;
  });
  return out;
}

// The posting a note's item has in the word index, when it is live (only
// live items are indexed).
std::optional<Posting> live_posting(const Catalog& c, const Txn& t, NoteTarget target) {
  if (target.type == NoteTarget::Type::project) {
    if (auto p = c.project(t, target.id); p && p->state == ItemState::live)
      return Posting{item_key(*p), rank_length(p->name)};
  } else if (auto a = c.asset(t, target.id); a && a->state == ItemState::live) {
    return Posting{item_key(*a), rank_length(file_name_of(a->path))};
  }
  return std::nullopt;
}

bool is_preferred_cover(std::string_view path) {
  auto slash = path.rfind('/');
  std::string stem(path.substr(slash == std::string_view::npos ? 0 : slash + 1));
  std::transform(stem.begin(), stem.end(), stem.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  for (const char* w : {"cover", "main", "preview", "thumb", "render"})
    if (stem.find(w) != std::string::npos) return true;
  return false;
}

}  // namespace

// ---- helpers --------------------------------------------------------------

Result<void> Metadata::need_project(const Txn& t, ProjectId p) const {
  if (!t.get(db_.projects, key_u64(p))) return fail(Errc::not_found, "no project with id " + std::to_string(p));
  return {};
}

Result<void> Metadata::need_asset(const Txn& t, AssetId a) const {
  if (!t.get(db_.assets, key_u64(a))) return fail(Errc::not_found, "no asset with id " + std::to_string(a));
  return {};
}

Result<TagId> Metadata::existing_tag(const Txn& t, std::string_view name) const {
  if (auto id = tag_id(t, name)) return *id;
  return fail(Errc::not_found, "no tag named '" + printable(name) + "'");
}

Result<TagId> Metadata::ensure_tag(WriteTxn& t, std::string_view name) {
  // An existing tag is used as it is, even one whose name an older rule let
  // in; only a tag made now must follow today's rule.
  if (auto v = validate_lookup_name(name, "tag"); !v) return tl::unexpected(v.error());
  if (auto id = tag_id(t, name)) return *id;
  if (auto v = validate_name(name, "tag"); !v) return tl::unexpected(v.error());
  TagId id = c_.next_id(t, schema::kTags);
  t.put(db_.tags, key_u64(id), name);
  t.put(db_.tag_names, name, key_u64(id));
  if (auto* w = c_.word_upkeep(t)) w->update_tag_name(t, id, {}, name);
  c_.changes().tags.push_back(id);
  c_.changes().tag_names = true;
  return id;
}

// ---- tags -----------------------------------------------------------------

std::optional<TagId> Metadata::tag_id(const Txn& t, std::string_view name) const {
  auto v = t.get(db_.tag_names, name);
  if (!v || v->size() != 8) return std::nullopt;
  return get_u64(*v);
}

std::optional<std::string> Metadata::tag_name(const Txn& t, TagId id) const {
  if (auto v = t.get(db_.tags, key_u64(id))) return std::string(*v);
  return std::nullopt;
}

std::vector<TagInfo> Metadata::tags(const Txn& t) const {
  std::vector<TagInfo> out;
  t.scan_prefix(db_.tag_names, {}, [&](std::string_view k, std::string_view v) {
    if (v.size() != 8) return true;
    TagInfo info{get_u64(v), std::string(k), 0, 0};
    t.scan_prefix(db_.tag_projects, key_u64(info.id), [&](auto, auto) { return ++info.projects, true; });
    t.scan_prefix(db_.tag_assets, key_u64(info.id), [&](auto, auto) { return ++info.assets, true; });
    out.push_back(std::move(info));
    return true;
  });
  return out;
}

Result<TagId> Metadata::tag_project(WriteTxn& t, ProjectId p, std::string_view tag) {
  if (auto r = need_project(t, p); !r) return tl::unexpected(r.error());
  auto id = ensure_tag(t, tag);
  if (!id) return id;
  t.put(db_.project_tags, key_u64_u64(p, *id), {});
  t.put(db_.tag_projects, key_u64_u64(*id, p), {});
  c_.changes().tags.push_back(*id);
  c_.changes().tagged_projects.push_back(p);
  return id;
}

Result<TagId> Metadata::tag_asset(WriteTxn& t, AssetId a, std::string_view tag) {
  if (auto r = need_asset(t, a); !r) return tl::unexpected(r.error());
  auto id = ensure_tag(t, tag);
  if (!id) return id;
  t.put(db_.asset_tags, key_u64_u64(a, *id), {});
  t.put(db_.tag_assets, key_u64_u64(*id, a), {});
  c_.changes().tags.push_back(*id);
  c_.changes().tagged_assets.push_back(a);
  return id;
}

Result<void> Metadata::untag_project(WriteTxn& t, ProjectId p, std::string_view tag) {
  if (auto r = need_project(t, p); !r) return r;
  if (auto id = tag_id(t, tag)) {
    t.del(db_.project_tags, key_u64_u64(p, *id));
    t.del(db_.tag_projects, key_u64_u64(*id, p));
    c_.changes().tags.push_back(*id);
    c_.changes().tagged_projects.push_back(p);
  }
  return {};
}

Result<void> Metadata::untag_asset(WriteTxn& t, AssetId a, std::string_view tag) {
  if (auto r = need_asset(t, a); !r) return r;
  if (auto id = tag_id(t, tag)) {
    t.del(db_.asset_tags, key_u64_u64(a, *id));
    t.del(db_.tag_assets, key_u64_u64(*id, a));
    c_.changes().tags.push_back(*id);
    c_.changes().tagged_assets.push_back(a);
  }
  return {};
}

std::vector<std::string> Metadata::project_tags(const Txn& t, ProjectId p) const {
  std::vector<std::string> out;
  for (TagId id : seconds_of(t, db_.project_tags, p))
    if (auto n = tag_name(t, id)) out.push_back(std::move(*n));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Metadata::asset_tags(const Txn& t, AssetId a) const {
  std::vector<std::string> out;
  for (TagId id : seconds_of(t, db_.asset_tags, a))
    if (auto n = tag_name(t, id)) out.push_back(std::move(*n));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<TagId> Metadata::project_tag_ids(const Txn& t, ProjectId p) const {
  return seconds_of(t, db_.project_tags, p);
}

std::vector<TagId> Metadata::asset_tag_ids(const Txn& t, AssetId a) const { return seconds_of(t, db_.asset_tags, a); }

bool Metadata::project_has_tag(const Txn& t, ProjectId p, TagId tag) const {
  return t.get(db_.project_tags, key_u64_u64(p, tag)).has_value();
}

bool Metadata::asset_has_tag(const Txn& t, AssetId a, TagId tag) const {
  return t.get(db_.asset_tags, key_u64_u64(a, tag)).has_value();
}

std::vector<std::pair<TagId, std::string>> Metadata::tag_names(const Txn& t) const {
  std::vector<std::pair<TagId, std::string>> out;
  t.scan_prefix(db_.tags, {}, [&](std::string_view k, std::string_view v) {
    if (k.size() == 8) out.emplace_back(get_u64(k), std::string(v));
    return true;
  });
  return out;
}

std::vector<ProjectId> Metadata::projects_tagged(const Txn& t, TagId tag) const {
  return seconds_of(t, db_.tag_projects, tag);
}

std::vector<AssetId> Metadata::assets_tagged(const Txn& t, TagId tag) const {
  return seconds_of(t, db_.tag_assets, tag);
}

Result<void> Metadata::rename_tag(WriteTxn& t, std::string_view from, std::string_view to) {
  auto id = existing_tag(t, from);
  if (!id) return tl::unexpected(id.error());
  if (auto v = validate_name(to, "tag"); !v) return v;
  if (from == to) return {};
  if (tag_id(t, to)) return fail(Errc::conflict, "a tag named '" + printable(to) + "' exists already (merge instead)");
  t.del(db_.tag_names, from);
  t.put(db_.tag_names, to, key_u64(*id));
  t.put(db_.tags, key_u64(*id), to);
  if (auto* w = c_.word_upkeep(t)) w->update_tag_name(t, *id, from, to);
  c_.changes().tags.push_back(*id);
  c_.changes().tag_names = true;
  return {};
}

Result<void> Metadata::merge_tags(WriteTxn& t, std::string_view from, std::string_view into) {
  auto src = existing_tag(t, from);
  if (!src) return tl::unexpected(src.error());
  if (from == into) return {};
  auto dst = ensure_tag(t, into);
  if (!dst) return tl::unexpected(dst.error());
  c_.changes().tags.push_back(*dst);
  for (ProjectId p : projects_tagged(t, *src)) {
    t.put(db_.project_tags, key_u64_u64(p, *dst), {});
    t.put(db_.tag_projects, key_u64_u64(*dst, p), {});
  }
  for (AssetId a : assets_tagged(t, *src)) {
    t.put(db_.asset_tags, key_u64_u64(a, *dst), {});
    t.put(db_.tag_assets, key_u64_u64(*dst, a), {});
  }
  return delete_tag(t, from);
}

Result<void> Metadata::delete_tag(WriteTxn& t, std::string_view name) {
  auto id = existing_tag(t, name);
  if (!id) return tl::unexpected(id.error());
  Changes& ch = c_.changes();
  for (ProjectId p : projects_tagged(t, *id)) {
    t.del(db_.project_tags, key_u64_u64(p, *id));
    ch.tagged_projects.push_back(p);
  }
  for (AssetId a : assets_tagged(t, *id)) {
    t.del(db_.asset_tags, key_u64_u64(a, *id));
    ch.tagged_assets.push_back(a);
  }
  ch.tags.push_back(*id);
  ch.tag_names = true;
  t.del_prefix(db_.tag_projects, key_u64(*id));
  t.del_prefix(db_.tag_assets, key_u64(*id));
  if (auto* w = c_.word_upkeep(t)) w->update_tag_name(t, *id, name, {});
  t.del(db_.tag_names, name);
  t.del(db_.tags, key_u64(*id));
  return {};
}

// ---- collections ----------------------------------------------------------

void Metadata::put_collection(WriteTxn& t, const Collection& c) {
  t.put(db_.collections, key_u64(c.id), encode(c));
  c_.changes().collections.push_back(c.id);
}

Result<CollectionId> Metadata::create_collection(WriteTxn& t, std::string_view name) {
  if (auto v = validate_name(name, "collection"); !v) return tl::unexpected(v.error());
  if (t.get(db_.collection_names, name))
    return fail(Errc::conflict, "a collection named '" + printable(name) + "' exists already");
  Collection c{c_.next_id(t, schema::kCollections), std::string(name), {}};
  put_collection(t, c);
  t.put(db_.collection_names, name, key_u64(c.id));
  if (auto* w = c_.word_upkeep(t)) w->update_collection_name(t, c.id, {}, name);
  c_.changes().collection_names = true;
  return c.id;
}

std::optional<Collection> Metadata::collection(const Txn& t, CollectionId id) const {
  auto v = t.get(db_.collections, key_u64(id));
  if (!v) return std::nullopt;
  return decode_collection(id, *v);
}

std::optional<Collection> Metadata::collection_by_name(const Txn& t, std::string_view name) const {
  auto v = t.get(db_.collection_names, name);
  if (!v || v->size() != 8) return std::nullopt;
  return collection(t, get_u64(*v));
}

std::vector<Collection> Metadata::collections(const Txn& t) const {
  std::vector<Collection> out;
  t.scan_prefix(db_.collection_names, {}, [&](std::string_view, std::string_view v) {
    if (v.size() == 8)
      if (auto c = collection(t, get_u64(v))) out.push_back(std::move(*c));
    return true;
  });
  return out;
}

std::vector<CollectionId> Metadata::collections_of(const Txn& t, ProjectId p) const {
  return seconds_of(t, db_.project_collections, p);
}

Result<void> Metadata::rename_collection(WriteTxn& t, CollectionId id, std::string_view to) {
  auto c = collection(t, id);
  if (!c) return fail(Errc::not_found, "no collection with id " + std::to_string(id));
  if (auto v = validate_name(to, "collection"); !v) return v;
  if (c->name == to) return {};
  if (t.get(db_.collection_names, to))
    return fail(Errc::conflict, "a collection named '" + printable(to) + "' exists already");
  t.del(db_.collection_names, c->name);
  t.put(db_.collection_names, to, key_u64(id));
  if (auto* w = c_.word_upkeep(t)) w->update_collection_name(t, id, c->name, to);
  c_.changes().collection_names = true;
  c->name = std::string(to);
  put_collection(t, *c);
  return {};
}

Result<void> Metadata::delete_collection(WriteTxn& t, CollectionId id) {
  auto c = collection(t, id);
  if (!c) return fail(Errc::not_found, "no collection with id " + std::to_string(id));
  for (ProjectId p : c->projects) t.del(db_.project_collections, key_u64_u64(p, id));
  t.del(db_.collection_names, c->name);
  t.del(db_.collections, key_u64(id));
  if (auto* w = c_.word_upkeep(t)) w->update_collection_name(t, id, c->name, {});
  c_.changes().collections.push_back(id);
  c_.changes().collection_names = true;
  return {};
}

Result<void> Metadata::add_to_collection(WriteTxn& t, CollectionId id, ProjectId p,
                                         std::optional<std::size_t> position) {
  auto c = collection(t, id);
  if (!c) return fail(Errc::not_found, "no collection with id " + std::to_string(id));
  if (auto r = need_project(t, p); !r) return r;
  auto& v = c->projects;
  auto it = std::find(v.begin(), v.end(), p);
  if (it != v.end()) {
    if (!position) return {};
    v.erase(it);
  }
  std::size_t at = std::min(position.value_or(v.size()), v.size());
  v.insert(v.begin() + static_cast<std::ptrdiff_t>(at), p);
  put_collection(t, *c);
  t.put(db_.project_collections, key_u64_u64(p, id), {});
  return {};
}

Result<void> Metadata::remove_from_collection(WriteTxn& t, CollectionId id, ProjectId p) {
  auto c = collection(t, id);
  if (!c) return fail(Errc::not_found, "no collection with id " + std::to_string(id));
  auto& v = c->projects;
  auto it = std::find(v.begin(), v.end(), p);
  if (it == v.end()) return {};
  v.erase(it);
  put_collection(t, *c);
  t.del(db_.project_collections, key_u64_u64(p, id));
  return {};
}

Result<void> Metadata::reorder_collection(WriteTxn& t, CollectionId id, const std::vector<ProjectId>& order) {
  auto c = collection(t, id);
  if (!c) return fail(Errc::not_found, "no collection with id " + std::to_string(id));
  auto a = c->projects, b = order;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  if (a != b || std::adjacent_find(b.begin(), b.end()) != b.end())
    return fail(Errc::invalid_argument, "the new order must list every project of the collection exactly once");
  c->projects = order;
  put_collection(t, *c);
  return {};
}

// ---- notes ----------------------------------------------------------------

Result<void> Metadata::set_note(WriteTxn& t, NoteTarget target, std::string_view text) {
  auto exists = target.type == NoteTarget::Type::project ? need_project(t, target.id) : need_asset(t, target.id);
  if (!exists) return exists;
  if (auto v = validate_note(text); !v) return v;
  if (auto* w = c_.word_upkeep(t))
    if (auto posting = live_posting(c_, t, target))
      w->update_note(t, posting->item, posting->rank_len, note(t, target), text);
  if (text.empty()) t.del(db_.notes, note_key(target));
  else t.put(db_.notes, note_key(target), text);
  c_.changes().notes = true;
  return {};
}

std::string Metadata::note(const Txn& t, NoteTarget target) const {
  if (auto v = t.get(db_.notes, note_key(target))) return std::string(*v);
  return {};
}

// ---- main image -----------------------------------------------------------

Result<void> Metadata::set_main_image(WriteTxn& t, ProjectId p, std::optional<AssetId> image) {
  if (auto r = need_project(t, p); !r) return r;
  if (!image) {
    t.del(db_.main_images, key_u64(p));
    c_.changes().notes = true;
    return {};
  }
  auto a = c_.asset(t, *image);
  if (!a) return fail(Errc::not_found, "no asset with id " + std::to_string(*image));
  if (a->project != p)
    return fail(Errc::invalid_argument, "asset " + std::to_string(*image) + " is not in project " + std::to_string(p));
  if (a->kind != Kind::image) return fail(Errc::invalid_argument, "asset " + std::to_string(*image) + " is not an image");
  t.put(db_.main_images, key_u64(p), key_u64(*image));
  c_.changes().notes = true;
  return {};
}

bool Metadata::main_image_is_chosen(const Txn& t, ProjectId p) const {
  auto v = t.get(db_.main_images, key_u64(p));
  if (!v || v->size() != 8) return false;
  auto a = c_.asset(t, get_u64(*v));
  return a && a->state == ItemState::live && a->project == p && a->kind == Kind::image;
}

std::optional<AssetId> Metadata::main_image(const Txn& t, ProjectId p) const {
  if (main_image_is_chosen(t, p)) return get_u64(*t.get(db_.main_images, key_u64(p)));
  const Asset* best = nullptr;
  // Real pictures before tiny ones (tracking pixels, spacers), then the
  // cover-like names, shallow paths, and more pixels.
  auto rank = [](const Asset& a) {
    const auto depth = std::count(a.path.begin(), a.path.end(), '/');
    const auto px = a.pixels();
    const bool tiny = px && std::min(px->first, px->second) < kTinyImageEdge;
    const std::uint64_t area = px ? std::uint64_t{px->first} * px->second : 0;
    return std::tuple<bool, int, long, std::uint64_t>(tiny, is_preferred_cover(a.path) ? 0 : 1,
                                                      static_cast<long>(depth), ~area);
  };
  auto assets = c_.assets_of(t, p);
  for (const auto& a : assets)
    if (a.kind == Kind::image && a.image != ImageFacts::not_an_image && (!best || rank(a) < rank(*best))) best = &a;
  if (!best) return std::nullopt;
  return best->id;
}

}  // namespace lima::index
