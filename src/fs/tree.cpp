#include "fs/tree.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <unordered_set>

#include "fs/vpath.h"
#include "index/asset_query.h"
#include "index/names.h"
#include "index/problems.h"
#include "index/project_query.h"
#include "index/records_json.h"
#include "index/search.h"
#include "index/runs.h"
#include "index/tag_listing.h"

namespace lima::fs {

using index::Asset;
using index::ProjectId;
using index::ReadTxn;
using Kind = Place::Kind;

Listing::Listing(std::vector<Entry> entries) : entries_(std::move(entries)) {
  std::vector<bool> keep(entries_.size(), true);
  {
    std::unordered_set<std::string_view> seen;
    seen.reserve(entries_.size());
    for (std::size_t i = 0; i < entries_.size(); ++i) keep[i] = seen.insert(entries_[i].name).second;
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (!keep[i]) continue;
    if (kept != i) entries_[kept] = std::move(entries_[i]);
    ++kept;
  }
  entries_.resize(kept);
  by_name_.reserve(entries_.size());
  for (std::size_t i = 0; i < entries_.size(); ++i) by_name_.emplace(entries_[i].name, i);
}

std::string place_key(const Place& p) {
  // kind, then the fixed-width fields, then the tags and the text last.
  std::string k(1, static_cast<char>(p.kind));
  const auto put = [&](std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) k.push_back(static_cast<char>((v >> shift) & 0xFF));
  };
  put(p.id);
  put(p.owner);
  put(p.tags.size());
  for (auto tag : p.tags) put(tag);
  k.append(p.text);
  return k;
}

const Entry* Listing::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

bool Listing::same_names(const Listing& o) const {
  return std::equal(entries_.begin(), entries_.end(), o.entries_.begin(), o.entries_.end(),
                    [](const Entry& a, const Entry& b) { return a.name == b.name && a.type == b.type && a.place == b.place; });
}

std::string_view readme_text() {
  return "This folder is a read-only view of a 3D-printing library, kept by limafs.\n"
         "Nothing here is a copy: every file is a symbolic link to the real file in\n"
         "the library. The view itself cannot be changed: creating, renaming or\n"
         "deleting anything here fails (\"Read-only file system\"), and rm -rf\n"
         "removes nothing anywhere. But a program that opens a file here and writes\n"
         "to it writes the real file in the library, exactly as if it had opened it\n"
         "there: echo >>, truncate, chmod, touch, cp onto a file here, an editor that\n"
         "saves in place, or admesh -b run in place all change the library.\n"
         "\n"
         "projects/      every project (a folder at the top of the library), mirrored:\n"
         "               its sub-folders are folders, its files are links\n"
         "tags/<tag>/    the projects tagged <tag> (as mirrored folders) and the files\n"
         "               tagged <tag>, named \"<project> - <file name>\"\n"
         "tags/<tag>/+<other>/\n"
         "               the same, narrowed to what is also tagged <other>; the\n"
         "               +<other> folders listed are the tags that narrow the set\n"
         "collections/<name>/\n"
         "               the projects of a collection, in the collection's order\n"
         "search/<query>/\n"
         "               projects and files matching a query, best first (words,\n"
         "               \"phrases\", -word, or, tag:x, ext:stl, size:>10M, ...; see\n"
         "               man limafs); not listed: type the path, e.g.\n"
         "               search/benchy -draft/\n"
         "untagged/      the projects that carry no tag yet\n"
         ".limafs/status the library, the index and the last sync\n"
         ".limafs/stats  how many requests of each kind this mount has answered\n"
         ".limafs/problems.txt\n"
         "               what looks wrong in the library, one problem a line: loose\n"
         "               files, empty projects, duplicates, projects without images\n"
         "               or models, unreadable or vanished files (nothing is fixed)\n"
         "\n"
         "No name here is longer than 255 bytes: a longer \"<project> - <file name>\"\n"
         "is cut before its extension and ends in \" ~<number>\" (the file's id).\n"
         "\n"
         "Folders follow the index as it changes. A folder's modification time\n"
         "moves when what it lists changes, never merely because you look, so\n"
         "programs that compare it can tell. A window showing a folder that leaves\n"
         "the view (a project you untag, say) is told it is gone. A window showing\n"
         "a folder whose contents change is not told (Linux passes no such news\n"
         "on from a FUSE filesystem): it shows them when it reads the folder again\n"
         "(reload, F5).\n"
         "\n"
         "Tips:\n"
         "- Tools that walk folders see links, not files: use find -L or\n"
         "  find -xtype f, du -L, cp -rL, tar -h, and grep -R (grep -r skips links).\n"
         "- +<tag> folders hold again part of what their folder holds, so cp -rL\n"
         "  and tar -h copy it more than once: leave them out, e.g. with\n"
         "  tar -h --exclude='+*' or\n"
         "  find -L DIR -path '*/+*' -prune -o -type f -print.\n"
         "- Programs that open the files a file names beside it (OpenSCAD include,\n"
         "  use and import) need the project's folder under projects/, or the real\n"
         "  path (realpath FILE), not a tag's flat list.\n"
         "- A slicer cannot write its output next to a file here: give it a folder\n"
         "  of your own (prusa-slicer --export-gcode -o DIR FILE).\n";
}

namespace {

std::string join(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out(dir);
  out.push_back('/');
  out.append(name);
  return out;
}

bool by_name(const Entry& a, const Entry& b) { return a.name < b.name; }

Entry link_entry(std::string name, const Asset& a, const std::string& library_root, const std::string& project_name) {
  Entry e;
  e.name = std::move(name);
  e.place = Place{Kind::link, {}, a.id, {}, a.project};
  e.type = EntryType::link;
  e.mtime_ns = a.mtime_ns;
  e.target = library_root + "/" + index::library_path(project_name, a.path);
  e.size = e.target.size();
  return e;
}

std::int64_t latest_run_time(index::Catalog& c, const ReadTxn& t) {
  const auto runs = index::RunLog(c).list(t, 1);
  if (!runs.empty()) return runs.front().ended_ns ? runs.front().ended_ns : runs.front().started_ns;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Tree::Tree(index::Catalog& catalog, std::filesystem::path library_root, std::function<std::string()> stats_text,
           std::string api_url, std::function<std::string()> live_status)
    : c_(catalog),
      meta_(catalog),
      root_(library_root.string()),
      stats_text_(std::move(stats_text)),
      api_url_(std::move(api_url)),
      live_status_(std::move(live_status)) {
  ReadTxn t(c_.env());
  view_time_ns_ = latest_run_time(c_, t);
}

Entry Tree::root() const { return dir_entry("", Place{}, view_time_ns_); }

bool Tree::looks_up_by_listing(const Place& dir) { return dir.kind == Kind::tag_set || dir.kind == Kind::search; }

Entry Tree::dir_entry(std::string name, Place place, std::int64_t mtime_ns) const {
  Entry e;
  e.name = std::move(name);
  e.place = std::move(place);
  e.type = EntryType::dir;
  e.mtime_ns = mtime_ns;
  return e;
}

Entry Tree::file_entry(const ReadTxn& t, std::string name, Place place) const {
  Entry e;
  e.name = std::move(name);
  e.type = EntryType::file;
  e.mtime_ns = view_time_ns_;
  e.size = size_of(t, place);
  e.place = std::move(place);
  return e;
}

std::optional<Entry> Tree::project_entry(const ReadTxn& t, ProjectId id) const {
  if (id == index::kRootProject) return std::nullopt;
  auto p = c_.project(t, id);
  if (!p || p->state != index::ItemState::live) return std::nullopt;
  return dir_entry(p->name, Place{Kind::mirror, {}, id, {}}, p->mtime_ns);
}

// Link names of assets: "<project> - <file>", with " ~<id>" when another
// live asset of the same project has the same file name. Caches what it
// reads for the length of one listing.
struct Tree::LinkNames {
  const Tree& tree;
  const ReadTxn& t;
  std::unordered_map<ProjectId, std::string> project_names;
  std::unordered_map<ProjectId, std::unordered_map<std::string, int>> file_names;

  std::optional<Entry> entry(const Asset& a) {
    if (a.state != index::ItemState::live) return std::nullopt;
    auto pn = project_names.find(a.project);
    if (pn == project_names.end()) {
      std::string name;
      if (a.project != index::kRootProject) {
        auto p = tree.c_.project(t, a.project);
        if (!p || p->state != index::ItemState::live) return std::nullopt;
        name = p->name;
      }
      pn = project_names.emplace(a.project, std::move(name)).first;
    }
    auto fn = file_names.find(a.project);
    if (fn == file_names.end()) {
      std::unordered_map<std::string, int> counts;
      tree.c_.assets_under(t, a.project, "", [&](const Asset& x) { ++counts[std::string(file_name_of(x.path))]; });
      fn = file_names.emplace(a.project, std::move(counts)).first;
    }
    const std::string file(file_name_of(a.path));
    const auto shared = fn->second.find(file);
    const bool clash = shared != fn->second.end() && shared->second > 1;
    return link_entry(flattened_name(pn->second, file, a.id, clash), a, tree.root_, pn->second);
  }
};

std::optional<Entry> Tree::lookup(const ReadTxn& t, const Place& dir, std::string_view name) const {
  switch (dir.kind) {
    case Kind::root: {
      const auto r = root_entry(name);
      if (!r) return std::nullopt;
      switch (*r) {
        case RootEntry::readme: return file_entry(t, std::string(name), Place{Kind::readme, {}, 0, {}});
        case RootEntry::projects: return dir_entry(std::string(name), Place{Kind::projects, {}, 0, {}}, view_time_ns_);
        case RootEntry::tags: return dir_entry(std::string(name), Place{Kind::tags, {}, 0, {}}, view_time_ns_);
        case RootEntry::collections:
          return dir_entry(std::string(name), Place{Kind::collections, {}, 0, {}}, view_time_ns_);
        case RootEntry::search: return dir_entry(std::string(name), Place{Kind::search_root, {}, 0, {}}, view_time_ns_);
        case RootEntry::untagged: return dir_entry(std::string(name), Place{Kind::untagged, {}, 0, {}}, view_time_ns_);
        case RootEntry::meta: return dir_entry(std::string(name), Place{Kind::meta, {}, 0, {}}, view_time_ns_);
      }
      return std::nullopt;
    }
    case Kind::projects: {
      auto id = c_.project_id_by_name(t, name);
      return id ? project_entry(t, *id) : std::nullopt;
    }
    case Kind::tags: {
      auto id = meta_.tag_id(t, name);
      if (!id) return std::nullopt;
      return dir_entry(std::string(name), Place{Kind::tag_set, {*id}, 0, {}}, view_time_ns_);
    }
    case Kind::tag_set: {
      // Any existing tag not yet in the path narrows; other names are found
      // in the listing (see looks_up_by_listing).
      const auto tag = narrowing_tag(name);
      if (!tag) return std::nullopt;
      auto id = meta_.tag_id(t, *tag);
      if (!id) {
        // The shortened name of a tag too long for "+<tag>": "+<start> ~<id>".
        const auto short_id = shortened_id(name);
        const auto long_name = short_id ? meta_.tag_name(t, *short_id) : std::nullopt;
        if (!long_name || narrowing_name(*long_name, *short_id) != name) return std::nullopt;
        id = short_id;
      }
      if (std::find(dir.tags.begin(), dir.tags.end(), *id) != dir.tags.end()) return std::nullopt;
      Place p = dir;
      p.tags.push_back(*id);
      return dir_entry(std::string(name), std::move(p), view_time_ns_);
    }
    case Kind::collections: {
      auto col = meta_.collection_by_name(t, name);
      if (!col) return std::nullopt;
      return dir_entry(std::string(name), Place{Kind::collection, {}, col->id, {}}, view_time_ns_);
    }
    case Kind::collection: {
      auto id = c_.project_id_by_name(t, name);
      if (!id) return std::nullopt;
      const auto of = meta_.collections_of(t, *id);
      if (std::find(of.begin(), of.end(), dir.id) == of.end()) return std::nullopt;
      return project_entry(t, *id);
    }
    case Kind::search_root:
      if (!parse_search(name)) return std::nullopt;
      return dir_entry(std::string(name), Place{Kind::search, {}, 0, std::string(name)}, view_time_ns_);
    case Kind::untagged: {
      auto id = c_.project_id_by_name(t, name);
      if (!id || !index::is_untagged(c_, t, *id)) return std::nullopt;
      return project_entry(t, *id);
    }
    case Kind::meta:
      if (name == kStatusFile) return file_entry(t, std::string(name), Place{Kind::status, {}, 0, {}});
      if (name == kStatsFile) return file_entry(t, std::string(name), Place{Kind::stats, {}, 0, {}});
      if (name == kProblemsFile) return file_entry(t, std::string(name), Place{Kind::problems, {}, 0, {}});
      return std::nullopt;
    case Kind::mirror: return mirror_lookup(t, dir, name);
    case Kind::search:
    case Kind::readme:
    case Kind::status:
    case Kind::stats:
    case Kind::problems:
    case Kind::link: return std::nullopt;
  }
  return std::nullopt;
}

std::optional<Entry> Tree::mirror_lookup(const ReadTxn& t, const Place& dir, std::string_view name) const {
  auto project = c_.project(t, dir.id);
  if (!project || project->state != index::ItemState::live) return std::nullopt;
  const std::string path = join(dir.text, name);
  if (auto id = c_.asset_id_by_path(t, dir.id, path)) {
    if (auto a = c_.asset(t, *id); a && a->state == index::ItemState::live)
      return link_entry(std::string(name), *a, root_, project->name);
  }
  bool found = false;
  std::int64_t mtime = 0;
  c_.assets_under(t, dir.id, path, [&](const Asset& a) {
    found = true;
    mtime = std::max(mtime, a.mtime_ns);
  });
  if (!found) return std::nullopt;
  return dir_entry(std::string(name), Place{Kind::mirror, {}, dir.id, path}, mtime);
}

std::vector<Entry> Tree::mirror_list(const ReadTxn& t, const Place& dir) const {
  std::vector<Entry> out;
  auto project = c_.project(t, dir.id);
  if (!project || project->state != index::ItemState::live) return out;
  const std::size_t skip = dir.text.empty() ? 0 : dir.text.size() + 1;
  std::unordered_map<std::string, std::size_t> subdirs;
  c_.assets_under(t, dir.id, dir.text, [&](const Asset& a) {
    const std::string_view rest = std::string_view(a.path).substr(skip);
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos) {
      out.push_back(link_entry(std::string(rest), a, root_, project->name));
      return;
    }
    const std::string sub(rest.substr(0, slash));
    auto [it, added] = subdirs.emplace(sub, out.size());
    if (added) {
      out.push_back(dir_entry(sub, Place{Kind::mirror, {}, dir.id, join(dir.text, sub)}, a.mtime_ns));
    } else {
      out[it->second].mtime_ns = std::max(out[it->second].mtime_ns, a.mtime_ns);
    }
  });
  std::sort(out.begin(), out.end(), by_name);
  return out;
}

std::vector<Entry> Tree::tag_set_list(const ReadTxn& t, const Place& dir) const {
  std::vector<Entry> out;
  if (dir.tags.empty()) return out;
  auto set = index::list_tag_set(c_, t, dir.tags);
  for (const auto& p : set.projects) out.push_back(dir_entry(p.name, Place{Kind::mirror, {}, p.id, {}}, p.mtime_ns));
  LinkNames names{*this, t, std::move(set.project_names), {}};
  for (const auto& a : set.assets)
    if (auto e = names.entry(a)) out.push_back(std::move(*e));
  std::vector<Entry> narrowing;
  for (const auto& [tag, name] : set.narrowing) {
    Place p = dir;
    p.tags.push_back(tag);
    narrowing.push_back(dir_entry(narrowing_name(name, tag), std::move(p), view_time_ns_));
  }
  std::sort(narrowing.begin(), narrowing.end(), by_name);
  std::sort(out.begin(), out.end(), by_name);
  // Narrowing entries first, so they win a clash with a project named "+…".
  narrowing.insert(narrowing.end(), std::make_move_iterator(out.begin()), std::make_move_iterator(out.end()));
  return narrowing;
}

std::optional<index::Search> Tree::parse_search(std::string_view text) const {
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  auto q = index::parse_query(text, now);
  if (!q) return std::nullopt;
  return index::Search(c_, std::move(*q));
}

std::vector<Entry> Tree::search_list(const ReadTxn& t, const Place& dir) const {
  // Best first: `ls -U` shows the search's own order.
  std::vector<Entry> out;
  auto search = parse_search(dir.text);
  if (!search) return out;
  index::SearchRequest all;
  all.limit = 0;
  auto page = search->run(t, all);
  if (!page) return out;
  LinkNames names{*this, t, {}, {}};
  for (const auto& hit : page->hits) {
    if (!index::is_asset(hit.item)) {
      if (auto p = c_.project(t, index::id_of(hit.item)))
        out.push_back(dir_entry(p->name, Place{Kind::mirror, {}, p->id, {}}, p->mtime_ns));
    } else if (auto a = c_.asset(t, index::id_of(hit.item))) {
      if (auto e = names.entry(*a)) out.push_back(std::move(*e));
    }
  }
  return out;
}

std::vector<std::optional<Entry>> Tree::revalidate(const ReadTxn& t, const Place& dir,
                                                   const std::vector<Entry>& known) const {
  std::vector<std::optional<Entry>> out;
  out.reserve(known.size());
  if (!looks_up_by_listing(dir)) {
    for (const auto& k : known) out.push_back(lookup(t, dir, k.name));
    return out;
  }
  // Tag sets and searches: is the item still a member, under the same name?
  LinkNames names{*this, t, {}, {}};
  const auto search = dir.kind == Kind::search ? parse_search(dir.text) : std::nullopt;
  const auto member = [&](const Place& p) {
    if (dir.kind == Kind::search) {
      if (!search) return false;
      return search->matches(t, p.kind == Kind::mirror ? index::project_key(p.id) : index::asset_key(p.id));
    }
    return p.kind == Kind::mirror ? index::has_all_tags(c_, t, p.id, dir.tags)
                                  : index::asset_has_all_tags(c_, t, p.id, dir.tags);
  };
  for (const auto& k : known) {
    std::optional<Entry> now;
    if (k.place.kind == Kind::tag_set) {
      now = lookup(t, dir, k.name);  // "+tag": any existing tag
    } else if (k.place.kind == Kind::mirror && member(k.place)) {
      now = project_entry(t, k.place.id);
    } else if (k.place.kind == Kind::link && member(k.place)) {
      if (auto a = c_.asset(t, k.place.id)) now = names.entry(*a);
    }
    if (now && now->name != k.name) now.reset();
    out.push_back(std::move(now));
  }
  return out;
}

bool Tree::lists_every_project(const Place& dir) { return dir.kind == Kind::projects || dir.kind == Kind::untagged; }

std::optional<std::vector<Entry>> Tree::updated_projects(const ReadTxn& t, const Place& dir, const Listing& old,
                                                         const std::vector<ProjectId>& ids) const {
  const std::unordered_set<ProjectId> wanted(ids.begin(), ids.end());
  const auto named = [&](const Entry& e) { return e.place.kind == Kind::mirror && wanted.contains(e.place.id); };
  std::unordered_map<ProjectId, const Entry*> before;  // the named projects' entries in `old`
  for (const auto& e : old.entries())
    if (named(e)) before.emplace(e.place.id, &e);
  std::vector<Entry> now;  // theirs as they are now
  bool changed = false;
  for (ProjectId id : wanted) {
    auto e = project_entry(t, id);
    if (e && dir.kind == Kind::untagged && !index::is_untagged(c_, t, id)) e.reset();
    const auto was = before.find(id);
    const bool had = was != before.end();
    if (had != e.has_value()) changed = true;
    else if (e && (was->second->name != e->name || !was->second->same_as(*e))) changed = true;
    if (e) now.push_back(std::move(*e));
  }
  if (!changed) return std::nullopt;
  std::vector<Entry> out;
  out.reserve(old.entries().size() + now.size());
  for (const auto& e : old.entries())
    if (!named(e)) out.push_back(e);
  std::move(now.begin(), now.end(), std::back_inserter(out));
  std::sort(out.begin(), out.end(), by_name);
  return out;
}

std::vector<Entry> Tree::list(const ReadTxn& t, const Place& dir) const {
  std::vector<Entry> out;
  switch (dir.kind) {
    case Kind::root:
      for (RootEntry r : kRootEntries)
        if (auto e = lookup(t, dir, name_of(r))) out.push_back(std::move(*e));
      return out;
    case Kind::projects:
      for (const auto& p : c_.projects(t))
        if (p.id != index::kRootProject) out.push_back(dir_entry(p.name, Place{Kind::mirror, {}, p.id, {}}, p.mtime_ns));
      return out;
    case Kind::tags:
      for (auto& [id, name] : meta_.tag_names(t))
        out.push_back(dir_entry(std::move(name), Place{Kind::tag_set, {id}, 0, {}}, view_time_ns_));
      std::sort(out.begin(), out.end(), by_name);
      return out;
    case Kind::tag_set: return tag_set_list(t, dir);
    case Kind::collections:
      for (auto& col : meta_.collections(t))
        out.push_back(dir_entry(std::move(col.name), Place{Kind::collection, {}, col.id, {}}, view_time_ns_));
      return out;
    case Kind::collection:
      if (auto col = meta_.collection(t, dir.id))
        for (ProjectId p : col->projects)
          if (auto e = project_entry(t, p)) out.push_back(std::move(*e));
      return out;
    case Kind::search_root: return out;  // looked up, never listed
    case Kind::search: return search_list(t, dir);
    case Kind::untagged:
      for (const auto& p : index::untagged_projects(c_, t))
        out.push_back(dir_entry(p.name, Place{Kind::mirror, {}, p.id, {}}, p.mtime_ns));
      return out;
    case Kind::meta:
      out.push_back(file_entry(t, std::string(kProblemsFile), Place{Kind::problems, {}, 0, {}}));
      out.push_back(file_entry(t, std::string(kStatusFile), Place{Kind::status, {}, 0, {}}));
      out.push_back(file_entry(t, std::string(kStatsFile), Place{Kind::stats, {}, 0, {}}));
      return out;
    case Kind::mirror: return mirror_list(t, dir);
    case Kind::readme:
    case Kind::status:
    case Kind::stats:
    case Kind::problems:
    case Kind::link: return out;
  }
  return out;
}

std::string Tree::status_text(const ReadTxn& t) const {
  const auto n = c_.counts(t);
  std::string s;
  s += "library: " + root_ + "\n";
  s += "state: " + c_.state_dir().string() + "\n";
  if (!api_url_.empty()) s += "api: " + api_url_ + "\n";
  if (live_status_) s += live_status_();
  s += "projects: " + std::to_string(n.projects) + "\n";
  s += "assets: " + std::to_string(n.assets) + "\n";
  s += "tags: " + std::to_string(n.tags) + "\n";
  s += "collections: " + std::to_string(n.collections) + "\n";
  s += "tombstones: " + std::to_string(n.tombstoned_projects) + " projects, " +
       std::to_string(n.tombstoned_assets) + " assets\n";
  s += "problems: " + std::to_string(n.problems) + " found by syncs (the whole report: .limafs/problems.txt)\n";
  const auto runs = index::RunLog(c_).list(t, 1);
  if (runs.empty()) {
    s += "last run: none\n";
    return s;
  }
  const auto& r = runs.front();
  s += "last run: #" + std::to_string(r.id) + " " + std::string(index::to_string(r.status)) + ", " +
       std::string(index::to_string(r.mode)) + ", " + std::string(index::to_string(r.trigger)) + "\n";
  s += "last run started: " + index::format_time(r.started_ns) + "\n";
  if (r.ended_ns) s += "last run ended: " + index::format_time(r.ended_ns) + "\n";
  const auto& k = r.counts;
  s += "last run counts: " + std::to_string(k.added) + " added, " + std::to_string(k.changed) + " changed, " +
       std::to_string(k.moved) + " moved, " + std::to_string(k.removed) + " removed, " +
       std::to_string(k.unchanged) + " unchanged, " + std::to_string(k.errors) + " errors\n";
  if (!r.message.empty()) s += "last run message: " + r.message + "\n";
  return s;
}

// One problem a line, "<kind>\t<path>\t<detail>", under a summary line;
// paths and details escaped (index::printable) so no name breaks a line.
std::string Tree::problems_text(const ReadTxn& t) const {
  const auto problems = index::library_problems(c_, t);
  if (problems.empty()) return "# no problems\n";
  std::string s = "# " + std::to_string(problems.size()) + (problems.size() == 1 ? " problem:" : " problems:");
  const char* sep = " ";
  for (const auto& [kind, n] : index::count_by_kind(problems)) {
    s += sep + std::to_string(n) + " " + std::string(index::to_string(kind));
    sep = ", ";
  }
  s += "\n";
  for (const auto& p : problems) {
    s += index::to_string(p.kind);
    s += '\t';
    s += index::printable(p.path);
    s += '\t';
    s += index::printable(p.detail);
    s += '\n';
  }
  return s;
}

std::shared_ptr<const std::string> Tree::problems_report(const ReadTxn& t) const {
  const std::uint64_t txn_id = t.id();
  std::lock_guard lock(report_.mu);  // one rendering at a time: the others wait for it
  // A report of this snapshot or a later one will do (a reader may still
  // hold an older snapshot than the last one rendered).
  if (report_.text && report_.txn_id >= txn_id) return report_.text;
  report_.text = std::make_shared<const std::string>(problems_text(t));
  report_.txn_id = txn_id;
  ++report_.rendered;
  return report_.text;
}

std::uint64_t Tree::reports_rendered() const {
  std::lock_guard lock(report_.mu);
  return report_.rendered;
}

std::string Tree::read(const ReadTxn& t, const Place& file) const {
  switch (file.kind) {
    case Kind::readme: return std::string(readme_text());
    case Kind::status: return status_text(t);
    case Kind::stats: return stats_text_ ? stats_text_() : std::string();
    case Kind::problems: return *problems_report(t);
    default: return {};
  }
}

std::uint64_t Tree::size_of(const ReadTxn& t, const Place& file) const {
  if (file.kind == Kind::problems) return problems_report(t)->size();
  return read(t, file).size();
}

}  // namespace lima::fs
