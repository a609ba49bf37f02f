#include "index/backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <set>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

#include "index/key_codec.h"
#include "index/metadata.h"
#include "index/names.h"
#include "index/records_json.h"

namespace lima::index {

using nlohmann::json;

// ---- export ---------------------------------------------------------------

namespace {

const char* state_name(ItemState s) { return s == ItemState::live ? "live" : "tombstone"; }

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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

}  // namespace

json export_metadata(Catalog& c, const Txn& t) {
  const Tables& db = c.db();
  Metadata md(c);

  std::unordered_map<TagId, std::string> tag_name;
  std::vector<std::string> all_tags;
  for (auto& [id, name] : md.tag_names(t)) {
    all_tags.push_back(name);
    tag_name.emplace(id, std::move(name));
  }
  std::sort(all_tags.begin(), all_tags.end());

  // What each project and asset carries, by id.
  struct Carried {
    std::vector<std::string> tags;
    std::string note;
    json main_image;
    bool member = false;
  };
  std::map<ProjectId, Carried> projects;
  std::map<AssetId, Carried> assets;
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
  auto collections = md.collections(t);
  for (const auto& col : collections)
    for (ProjectId p : col.projects) projects[p].member = true;

  ProjectHashes hashes(c, t);
  auto with_hashes = [&](json& j, const Project& p) {
    json h = hashes.of(p);
    if (!h.empty()) j["hashes"] = std::move(h);
  };
  auto put_common = [](json& j, Carried& m) {
    std::sort(m.tags.begin(), m.tags.end());
    if (!m.tags.empty()) j["tags"] = m.tags;
    if (!m.note.empty()) j["note"] = m.note;
  };

  // Projects by name, live before tombstones, then by id.
  struct Row {
    std::string name, path;
    ItemState state;
    std::uint64_t id;
    json j;
  };
  auto row_order = [](const Row& a, const Row& b) {
    return std::tie(a.name, a.path, a.state, a.id) < std::tie(b.name, b.path, b.state, b.id);
  };
  std::vector<Row> rows;
  for (auto& [id, m] : projects) {
    if (m.tags.empty() && m.note.empty() && m.main_image.is_null() && !m.member) continue;
    auto p = c.project(t, id);
    if (!p) continue;
    json j = {{"name", p->name}, {"state", state_name(p->state)}};
    put_common(j, m);
    if (!m.main_image.is_null()) j["main_image"] = m.main_image;
    with_hashes(j, *p);
    rows.push_back({p->name, {}, p->state, id, std::move(j)});
  }
  std::sort(rows.begin(), rows.end(), row_order);
  json projects_out = json::array();
  for (auto& r : rows) projects_out.push_back(std::move(r.j));

  rows.clear();
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
  std::sort(rows.begin(), rows.end(), row_order);
  json assets_out = json::array();
  for (auto& r : rows) assets_out.push_back(std::move(r.j));

  json collections_out = json::array();
  for (const auto& col : collections) {
    json members = json::array();
    for (ProjectId id : col.projects) {
      auto p = c.project(t, id);
      if (!p) continue;
      json m = {{"name", p->name}};
      with_hashes(m, *p);
      members.push_back(std::move(m));
    }
    collections_out.push_back({{"name", col.name}, {"projects", std::move(members)}});
  }

  auto root = c.library_root(t);
  return {{"format", kExportFormat},
          {"version", kExportVersion},
          {"exported_at", format_time(now_ns())},
          {"library", root ? json(*root) : json()},
          {"tags", all_tags},
          {"projects", std::move(projects_out)},
          {"assets", std::move(assets_out)},
          {"collections", std::move(collections_out)}};
}

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
    return fail(Errc::io, std::string("cannot write the index: ") + e.what());
  }
  return report;
}

// ---- automatic export -----------------------------------------------------

namespace {

constexpr std::string_view kBackupPrefix = "metadata-";
constexpr std::string_view kBackupSuffix = ".json";

// "metadata-yyyymmddTHHMMSSmmmZ.json"
bool is_backup_name(std::string_view n) {
  if (n.size() != kBackupPrefix.size() + 19 + kBackupSuffix.size()) return false;
  if (!n.starts_with(kBackupPrefix) || !n.ends_with(kBackupSuffix)) return false;
  std::string_view stamp = n.substr(kBackupPrefix.size(), 19);
  for (std::size_t i = 0; i < stamp.size(); ++i) {
    char ch = stamp[i];
    bool ok = i == 8 ? ch == 'T' : i == 18 ? ch == 'Z' : ch >= '0' && ch <= '9';
    if (!ok) return false;
  }
  return true;
}

std::string backup_name(std::int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02d%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_ms % 1000));
  return std::string(kBackupPrefix) + buf + std::string(kBackupSuffix);
}

bool metadata_changed(const Changes& c) {
  return !c.tags.empty() || !c.tagged_projects.empty() || !c.tagged_assets.empty() || !c.collections.empty() ||
         c.tag_names || c.collection_names || c.notes;
}

// Writes `text` to `to` through a temp file beside it: complete or absent.
Result<void> write_atomically(const std::filesystem::path& to, const std::string& text) {
  const std::filesystem::path tmp = to.parent_path() / ("." + to.filename().string() + ".tmp");
  auto io_error = [&](const char* what) {
    int e = errno;
    ::unlink(tmp.c_str());
    return fail(Errc::io, std::string(what) + " " + tmp.string() + ": " + std::strerror(e));
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create");
  for (std::size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return io_error("cannot write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return io_error("cannot sync");
  }
  if (::close(fd) != 0) return io_error("cannot close");
  if (::rename(tmp.c_str(), to.c_str()) != 0) return io_error("cannot rename");
  if (int dir = ::open(to.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

}  // namespace

BackupWriter::BackupWriter(Catalog& c, std::filesystem::path directory, std::size_t keep,
                           std::chrono::milliseconds delay)
    : c_(c),
      dir_(directory.empty() ? c.state_dir() / "backups" : std::move(directory)),
      keep_(std::max<std::size_t>(keep, 1)),
      delay_(delay) {
  // Temp files of a write that crashed.
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir_, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    std::string n = it->path().filename().string();
    if (n.size() > 5 && n[0] == '.' && n.ends_with(".tmp") && is_backup_name(n.substr(1, n.size() - 5)))
      std::filesystem::remove(it->path(), ec);
  }
  thread_ = std::thread([this] { run(); });
  subscription_ = c_.subscribe([this](const Changes& ch) {
    if (metadata_changed(ch)) touch();
  });
}

BackupWriter::~BackupWriter() {
  c_.unsubscribe(subscription_);
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  (void)flush();
}

void BackupWriter::touch() {
  {
    std::lock_guard lock(mu_);
    dirty_ = armed_ = true;
    last_change_ = std::chrono::steady_clock::now();
  }
  cv_.notify_all();
}

void BackupWriter::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (!armed_) {
      cv_.wait(lock);
      continue;
    }
    auto due = last_change_ + delay_;
    if (std::chrono::steady_clock::now() < due) {
      cv_.wait_until(lock, due);
      continue;
    }
    armed_ = false;
    lock.unlock();
    (void)flush();  // a failure is kept in last_error_
    lock.lock();
  }
}

Result<std::optional<std::filesystem::path>> BackupWriter::flush() {
  std::lock_guard file_lock(file_mu_);
  {
    std::lock_guard lock(mu_);
    if (!dirty_) return std::nullopt;
    dirty_ = armed_ = false;
  }
  auto written = write_export();
  std::lock_guard lock(mu_);
  if (!written) {
    dirty_ = true;
    last_error_ = written.error().message;
    return tl::unexpected(written.error());
  }
  last_error_.reset();
  return std::optional<std::filesystem::path>(std::move(*written));
}

Result<std::filesystem::path> BackupWriter::write_export() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return fail(Errc::io, "cannot create " + dir_.string() + ": " + ec.message());
  std::string text;
  try {
    ReadTxn t(c_.env());
    text = dump_json(export_metadata(c_, t)) + "\n";
  } catch (const LmdbError& e) {
    return fail(Errc::io, std::string("cannot read the index: ") + e.what());
  }
  // A name later than the last one, even within one millisecond.
  std::int64_t ms = std::max(now_ns() / 1'000'000, last_stamp_ms_ + 1);
  while (std::filesystem::exists(dir_ / backup_name(ms), ec)) ++ms;
  last_stamp_ms_ = ms;
  const auto path = dir_ / backup_name(ms);
  if (auto w = write_atomically(path, text); !w) return tl::unexpected(w.error());
  prune();
  return path;
}

void BackupWriter::prune() const {
  auto files = list();
  std::error_code ec;
  for (std::size_t i = keep_; i < files.size(); ++i) std::filesystem::remove(files[i], ec);
}

std::vector<std::filesystem::path> BackupWriter::list() const {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir_, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    std::error_code ec2;
    if (is_backup_name(it->path().filename().string()) && it->is_regular_file(ec2)) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.filename() > b.filename(); });
  return out;
}

std::optional<std::string> BackupWriter::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

}  // namespace lima::index
