#include "index/backup.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "index/metadata.h"
#include "index/backup_internal.h"
#include "index/names.h"
#include "index/saved_searches.h"

namespace lima::index {

using nlohmann::json;

// ---- import: the document, checked ----------------------------------------

namespace {

struct ProjectRef {
  std::string name;
  std::vector<ContentHash> hashes;
};
struct ImageRef {
  std::string path;
  std::optional<ContentHash> hash;
};
struct ProjectIn {
  ProjectRef ref;
  std::vector<std::string> tags;
  std::string note;
  std::optional<ImageRef> main_image;
};
struct AssetIn {
  std::string project, path;
  std::optional<ContentHash> hash;
  std::vector<std::string> tags;
  std::string note;
};
struct CollectionIn {
  std::string name;
  std::vector<ProjectRef> members;
};
struct Document {
  std::vector<std::string> tags;
  std::vector<ProjectIn> projects;
  std::vector<AssetIn> assets;
  std::vector<CollectionIn> collections;
  std::vector<SavedSearch> searches;  ///< created_ns 0: not given
};

// A field of the document that is wrong: where ("projects[3].tags[0]") and why.
struct Invalid {
  std::string where, why;
};

std::string at(const std::string& where, std::size_t i) { return where + "[" + std::to_string(i) + "]"; }
std::string dot(const std::string& where, const char* key) { return where.empty() ? key : where + "." + key; }

const json* member(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string need_string(const json* j, const std::string& where) {
  if (!j) throw Invalid{where, "missing"};
  if (!j->is_string()) throw Invalid{where, "must be a string"};
  return j->get<std::string>();
}

const json& need_object(const json& j, const std::string& where) {
  if (!j.is_object()) throw Invalid{where, "must be an object"};
  return j;
}

// An optional array member: empty when absent.
const json& array_or_empty(const json& obj, const char* key, const std::string& where) {
  static const json empty = json::array();
  const json* j = member(obj, key);
  if (!j || j->is_null()) return empty;
  if (!j->is_array()) throw Invalid{where, "must be an array"};
  return *j;
}

void check(Result<void> r, const std::string& where) {
  if (!r) throw Invalid{where, r.error().message};
}

std::vector<std::string> tag_list(const json& obj, const std::string& where) {
  std::vector<std::string> out;
  const std::string w = dot(where, "tags");
  const json& arr = array_or_empty(obj, "tags", w);
  for (std::size_t i = 0; i < arr.size(); ++i) {
    out.push_back(need_string(&arr[i], at(w, i)));
    check(validate_name(out.back(), "tag"), at(w, i));
  }
  return out;
}

ContentHash hash_of(const json* j, const std::string& where) {
  auto h = ContentHash::parse(need_string(j, where));
  if (!h) throw Invalid{where, "not a content hash (\"xxh3:\" and 32 hex digits)"};
  return *h;
}

std::string note_of(const json& obj, const std::string& where) {
  const json* j = member(obj, "note");
  if (!j || j->is_null()) return {};
  std::string note = need_string(j, dot(where, "note"));
  check(validate_note(note), dot(where, "note"));
  return note;
}

void check_state(const json& obj, const std::string& where) {
  const json* j = member(obj, "state");
  if (!j) return;
  std::string s = need_string(j, dot(where, "state"));
  if (s != "live" && s != "tombstone") throw Invalid{dot(where, "state"), "must be \"live\" or \"tombstone\""};
}

// format_time()'s text ("2026-11-22T03:14:15.926Z", milliseconds optional)
// as ns since the epoch.
std::int64_t time_of(const json* j, const std::string& where) {
  const std::string s = need_string(j, where);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0, used = 0;
  bool ok = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) == 6;
  std::string_view rest = ok ? std::string_view(s).substr(static_cast<std::size_t>(used)) : "";
  if (ok && rest.size() == 5 && rest[0] == '.' && rest[4] == 'Z') {
    ok = std::sscanf(s.c_str() + used, ".%3d", &ms) == 1;
  } else {
    ok = ok && rest == "Z";
  }
  ok = ok && y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && sec < 61;
  if (!ok) throw Invalid{where, "must be a UTC time such as \"2026-11-22T03:14:15.926Z\""};
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<std::int64_t>(timegm(&tm)) * 1'000'000'000 + std::int64_t{ms} * 1'000'000;
}

// Project names are folder names: anything a directory entry can be called.
void check_folder_name(const std::string& n, const std::string& where) {
  if (n.empty() || n == "." || n == ".." || n.size() > kMaxNameBytes || n.find('/') != std::string::npos ||
      n.find('\0') != std::string::npos)
    throw Invalid{where, "not a folder name (empty, '.', '..', longer than 255 bytes, or has '/' or NUL)"};
}

ProjectRef project_ref(const json& obj, const std::string& where) {
  need_object(obj, where);
  ProjectRef ref{need_string(member(obj, "name"), dot(where, "name")), {}};
  check_folder_name(ref.name, dot(where, "name"));
  const std::string w = dot(where, "hashes");
  const json& arr = array_or_empty(obj, "hashes", w);
  for (std::size_t i = 0; i < arr.size(); ++i) ref.hashes.push_back(hash_of(&arr[i], at(w, i)));
  return ref;
}

std::string relative_path(const json* j, const std::string& where) {
  std::string p = need_string(j, where);
  bool bad = p.empty() || p.front() == '/' || p.find('\0') != std::string::npos;
  for (std::size_t b = 0; !bad && b <= p.size();) {
    std::size_t e = std::min(p.find('/', b), p.size());
    std::string_view part(p.data() + b, e - b);
    bad = part.empty() || part == "." || part == "..";
    b = e + 1;
  }
  if (bad) throw Invalid{where, "must be a relative path without '.' or '..' parts"};
  return p;
}

Document parse_document(const json& doc) {
  need_object(doc, "document");
  const json* format = member(doc, "format");
  if (!format || !format->is_string() || format->get<std::string>() != kExportFormat)
    throw Invalid{"format", std::string("must be \"") + kExportFormat + "\""};
  const json* version = member(doc, "version");
  if (!version || !version->is_number_integer())
    throw Invalid{"version", "missing or not an integer"};
  if (version->get<std::int64_t>() != kExportVersion)
    throw Invalid{"version", "unsupported version " + version->dump() + " (this limafs reads version " +
                                 std::to_string(kExportVersion) + ")"};

  Document d;
  d.tags = tag_list(doc, "");

  const json& projects = array_or_empty(doc, "projects", "projects");
  for (std::size_t i = 0; i < projects.size(); ++i) {
    const std::string w = at("projects", i);
    const json& o = projects[i];
    ProjectIn p{project_ref(o, w), tag_list(o, w), note_of(o, w), std::nullopt};
    check_state(o, w);
    if (const json* img = member(o, "main_image"); img && !img->is_null()) {
      const std::string wi = dot(w, "main_image");
      need_object(*img, wi);
      ImageRef ref{relative_path(member(*img, "path"), dot(wi, "path")), std::nullopt};
      if (const json* h = member(*img, "hash"); h && !h->is_null()) ref.hash = hash_of(h, dot(wi, "hash"));
      p.main_image = std::move(ref);
    }
    d.projects.push_back(std::move(p));
  }

  const json& assets = array_or_empty(doc, "assets", "assets");
  for (std::size_t i = 0; i < assets.size(); ++i) {
    const std::string w = at("assets", i);
    const json& o = need_object(assets[i], w);
    AssetIn a;
    a.project = need_string(member(o, "project"), dot(w, "project"));
    if (!a.project.empty()) check_folder_name(a.project, dot(w, "project"));  // "": a loose file
    a.path = relative_path(member(o, "path"), dot(w, "path"));
    if (const json* h = member(o, "hash"); h && !h->is_null()) a.hash = hash_of(h, dot(w, "hash"));
    check_state(o, w);
    a.tags = tag_list(o, w);
    a.note = note_of(o, w);
    d.assets.push_back(std::move(a));
  }

  const json& collections = array_or_empty(doc, "collections", "collections");
  for (std::size_t i = 0; i < collections.size(); ++i) {
    const std::string w = at("collections", i);
    const json& o = need_object(collections[i], w);
    CollectionIn col{need_string(member(o, "name"), dot(w, "name")), {}};
    check(validate_name(col.name, "collection"), dot(w, "name"));
    const std::string wm = dot(w, "projects");
    const json& members = array_or_empty(o, "projects", wm);
    for (std::size_t k = 0; k < members.size(); ++k) col.members.push_back(project_ref(members[k], at(wm, k)));
    d.collections.push_back(std::move(col));
  }

  const json& searches = array_or_empty(doc, "searches", "searches");
  for (std::size_t i = 0; i < searches.size(); ++i) {
    const std::string w = at("searches", i);
    const json& o = need_object(searches[i], w);
    SavedSearch s{need_string(member(o, "name"), dot(w, "name")), need_string(member(o, "query"), dot(w, "query")), 0};
    check(validate_name(s.name, "saved search"), dot(w, "name"));
    check(validate_query(s.query), dot(w, "query"));
    if (const json* c = member(o, "created"); c && !c->is_null()) s.created_ns = time_of(c, dot(w, "created"));
    for (const auto& before : d.searches)
      if (before.name == s.name) throw Invalid{dot(w, "name"), "a saved search of this name is listed twice"};
    d.searches.push_back(std::move(s));
  }
  return d;
}

// ---- import: matching and merging -----------------------------------------

// A Metadata call failed although the document was checked: aborts the write.
struct Abort {
  Error error;
};

template <class T>
T must(Result<T> r) {
  if (!r) throw Abort{r.error()};
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

class Importer {
 public:
  Importer(Catalog& c, WriteTxn& t, const Document& d, ImportReport& r) : c_(c), md_(c), t_(t), d_(d), r_(r) {
    // A live project claimed by name is no candidate for another's hashes.
    for (const auto& p : d.projects) claim(p.ref.name);
    for (const auto& col : d.collections)
      for (const auto& m : col.members) claim(m.name);
  }

  void run() {
    for (const auto& name : d_.tags) tag_id(name);
    for (const auto& p : d_.projects) import_project(p);
    for (const auto& a : d_.assets) import_asset(a);
    for (const auto& col : d_.collections) import_collection(col);
    for (const auto& s : d_.searches) import_search(s);
  }

 private:
  void claim(const std::string& name) {
    if (auto id = c_.project_id_by_name(t_, name)) claimed_.insert(*id);
  }

  void unmatched(std::string what) {
    if (r_.unmatched.size() < kMaxUnmatched && reported_.insert(what).second) r_.unmatched.push_back(std::move(what));
  }

  std::optional<Asset> live_asset(AssetId id) {
    auto a = c_.asset(t_, id);
    if (!a || a->state != ItemState::live) return std::nullopt;
    return a;
  }

  std::optional<ProjectId> match_project(const ProjectRef& ref) {
    if (auto id = c_.project_id_by_name(t_, ref.name)) return id;
    std::unordered_map<ProjectId, std::size_t> overlap;
    std::unordered_set<ContentHash, ContentHashHasher> seen_hashes;
    for (const auto& h : ref.hashes) {
      if (h.is_zero() || !seen_hashes.insert(h).second) continue;
      std::unordered_set<ProjectId> in;
      for (AssetId id : c_.assets_with_hash(t_, h))
        if (auto a = live_asset(id); a && a->project != kRootProject && !claimed_.contains(a->project))
          in.insert(a->project);
      for (ProjectId p : in) ++overlap[p];
    }
    std::optional<ProjectId> best;
    std::size_t most = 0;
    bool tie = false;
    for (auto [p, n] : overlap) {
      auto proj = c_.project(t_, p);
      if (!proj || proj->state != ItemState::live) continue;
      if (n > most) most = n, best = p, tie = false;
      else if (n == most) tie = true;
    }
    if (tie || most == 0) return std::nullopt;
    return best;
  }

  std::optional<AssetId> asset_at(std::optional<ProjectId> p, const std::string& path) {
    if (!p) return std::nullopt;
    auto id = c_.asset_id_by_path(t_, *p, path);
    if (id && live_asset(*id)) return id;
    return std::nullopt;
  }

  // The live asset with hash h: inside p first, then anywhere; a file of
  // the same name before others, then the oldest.
  std::optional<Asset> asset_with_hash(std::optional<ProjectId> p, const ContentHash& h, std::string_view path) {
    auto base = [](std::string_view s) { return s.substr(s.rfind('/') + 1); };
    std::optional<Asset> best;
    auto rank = [&](const Asset& a) {
      return std::tuple(!(p && a.project == *p), base(a.path) != base(path), a.id);
    };
    for (AssetId id : c_.assets_with_hash(t_, h))
      if (auto a = live_asset(id); a && a->hash == h && (!best || rank(*a) < rank(*best))) best = std::move(a);
    return best;
  }

  std::optional<AssetId> match_asset(std::optional<ProjectId> p, const std::string& path,
                                     const std::optional<ContentHash>& h) {
    const bool hashed = h && !h->is_zero();
    if (auto id = asset_at(p, path); id && hashed && live_asset(*id)->hash == *h) return id;
    if (hashed)
      if (auto a = asset_with_hash(p, *h, path)) return a->id;
    return asset_at(p, path);
  }

  TagId tag_id(const std::string& name) {
    if (auto id = md_.tag_id(t_, name)) return *id;
    ++r_.tags_created;
    return must(md_.create_tag(t_, name));
  }

  void set_note(NoteTarget target, const std::string& text) {
    if (text.empty() || md_.note(t_, target) == text) return;
    must(md_.set_note(t_, target, text));
    ++r_.notes_set;
  }

  void import_project(const ProjectIn& in) {
    auto p = match_project(in.ref);
    if (!p) {
      ++r_.projects_unmatched;
      unmatched(in.ref.name);
      return;
    }
    ++r_.projects_matched;
    for (const auto& name : in.tags)
      if (!md_.project_has_tag(t_, *p, tag_id(name))) {
        must(md_.tag_project(t_, *p, name));
        ++r_.tags_added;
      }
    set_note({NoteTarget::Type::project, *p}, in.note);
    if (in.main_image) {
      auto img = match_asset(p, in.main_image->path, in.main_image->hash);
      auto a = img ? live_asset(*img) : std::nullopt;
      if (!a || a->project != *p || a->kind != Kind::image) {
        unmatched(in.ref.name + "/" + in.main_image->path);
      } else if (!md_.main_image_is_chosen(t_, *p) || md_.main_image(t_, *p) != a->id) {
        must(md_.set_main_image(t_, *p, a->id));
        ++r_.main_images_set;
      }
    }
  }

  void import_asset(const AssetIn& in) {
    std::optional<ProjectId> p;
    if (in.project.empty()) {
      p = kRootProject;
    } else {
      // The project's hashes, when the document lists it, find it renamed.
      ProjectRef ref{in.project, {}};
      for (const auto& pin : d_.projects)
        if (pin.ref.name == in.project) {
          ref = pin.ref;
          break;
        }
      p = match_project(ref);
    }
    auto a = match_asset(p, in.path, in.hash);
    if (!a) {
      ++r_.assets_unmatched;
      unmatched(in.project.empty() ? in.path : in.project + "/" + in.path);
      return;
    }
    ++r_.assets_matched;
    for (const auto& name : in.tags)
      if (!md_.asset_has_tag(t_, *a, tag_id(name))) {
        must(md_.tag_asset(t_, *a, name));
        ++r_.tags_added;
      }
    set_note({NoteTarget::Type::asset, *a}, in.note);
  }

  void import_collection(const CollectionIn& in) {
    auto col = md_.collection_by_name(t_, in.name);
    if (!col) {
      col = Collection{must(md_.create_collection(t_, in.name)), in.name, {}};
      ++r_.collections_created;
    }
    for (const auto& m : in.members) {
      auto p = match_project(m);
      if (!p) {
        unmatched(m.name);
        continue;
      }
      if (std::find(col->projects.begin(), col->projects.end(), *p) != col->projects.end()) continue;
      must(md_.add_to_collection(t_, col->id, *p));
      col->projects.push_back(*p);
      ++r_.members_added;
    }
  }

  void import_search(const SavedSearch& in) {
    SavedSearches saved(c_);
    auto now = saved.get(t_, in.name);
    if (!now) {
      SavedSearch s = in;
      if (s.created_ns == 0) s.created_ns = backup_detail::now_ns();
      must(saved.put_new(t_, s));
      ++r_.searches_created;
    } else if (now->query != in.query) {
      must(saved.set_query(t_, in.name, in.query));
      ++r_.searches_changed;
    }
  }

  Catalog& c_;
  Metadata md_;
  WriteTxn& t_;
  const Document& d_;
  ImportReport& r_;
  std::unordered_set<ProjectId> claimed_;
  std::set<std::string> reported_;
};

}  // namespace

json to_json(const ImportReport& r) {
  return {{"projects_matched", r.projects_matched},
          {"projects_unmatched", r.projects_unmatched},
          {"assets_matched", r.assets_matched},
          {"assets_unmatched", r.assets_unmatched},
          {"tags_created", r.tags_created},
          {"tags_added", r.tags_added},
          {"notes_set", r.notes_set},
          {"main_images_set", r.main_images_set},
          {"collections_created", r.collections_created},
          {"members_added", r.members_added},
          {"searches_created", r.searches_created},
          {"searches_changed", r.searches_changed},
          {"unmatched", r.unmatched}};
}

Result<ImportReport> import_metadata(Catalog& c, const json& doc) {
  Document d;
  try {
    d = parse_document(doc);
  } catch (const Invalid& e) {
    return fail(Errc::invalid_argument, e.where + ": " + e.why);
  }
  ImportReport report;
  try {
    c.write([&](WriteTxn& t) {
      report = ImportReport{};  // the write may run again (map growth)
      Importer(c, t, d, report).run();
    });
  } catch (const Abort& a) {
    return tl::unexpected(a.error);
  } catch (const LmdbError& e) {
    return fail(errc_of(e), std::string("cannot write the index: ") + e.what());
  }
  return report;
}

}  // namespace lima::index
