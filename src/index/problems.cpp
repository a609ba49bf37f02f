#include "index/problems.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <unordered_map>

#include "index/derived_stats.h"
#include "index/picture_failures.h"
#include "index/runs.h"

namespace lima::index {

namespace {

// The names of the live projects met so far ("" for the library root);
// nullopt for a project that is not live. Read one by one, as met.
class LiveNames {
 public:
  LiveNames(const Catalog& c, const Txn& t) : c_(c), t_(t) { names_.emplace(kRootProject, std::string()); }
  const std::optional<std::string>& operator[](ProjectId id) {
    auto it = names_.find(id);
    if (it != names_.end()) return it->second;
    std::optional<std::string> name;
    if (auto p = c_.project(t_, id); p && p->state == ItemState::live) name = std::move(p->name);
    return names_.emplace(id, std::move(name)).first->second;
  }

 private:
  const Catalog& c_;
  const Txn& t_;
  std::unordered_map<ProjectId, std::optional<std::string>> names_;
};

// A live copy of a content in a live project, named by its library path.
struct Named {
  ProjectId project;
  std::string path;
};

// The live assets with content h whose project is live, in asset id order.
template <class Fn>
void live_copies(const Catalog& c, const Txn& t, LiveNames& names, const ContentHash& h, Fn&& fn) {
  for (AssetId id : c.assets_with_hash(t, h)) {
    auto a = c.asset(t, id);
    if (!a || a->state != ItemState::live || a->hash != h) continue;
    const auto& name = names[a->project];
    if (name) fn(*a, *name);
  }
}

// "none of its 4 files is an image", "its only file is not an image".
std::string none_is(std::uint64_t files, const std::string& what) {
  return files == 1 ? "its only file is not " + what : "none of its " + std::to_string(files) + " files is " + what;
}

// One entry per copy of content h when its copies lie in two projects or
// more, each naming the copies in other projects.
void report_duplicates(const Catalog& c, const Txn& t, LiveNames& names, const ContentHash& h,
                       std::vector<Problem>& out) {
  std::vector<Named> named;
  live_copies(c, t, names, h, [&](const Asset& a, const std::string& project) {
    if (a.size > 0) named.push_back({a.project, library_path(project, a.path)});
  });
  if (named.size() < 2) return;
  if (std::all_of(named.begin(), named.end(), [&](const Named& n) { return n.project == named.front().project; }))
    return;  // all in one project
  std::sort(named.begin(), named.end(), [](const Named& a, const Named& b) { return a.path < b.path; });
  for (const auto& me : named) {
    const Named* first = nullptr;
    std::size_t elsewhere = 0;
    for (const auto& other : named) {
      if (other.project == me.project) continue;
      if (!first) first = &other;
      ++elsewhere;
    }
    if (!first) continue;
    std::string detail = "same content as " + first->path;
    if (elsewhere > 1) detail += " (+" + std::to_string(elsewhere - 1) + " more)";
    out.push_back({me.path, ProblemKind::duplicate_content, std::move(detail), 0});
  }
}

// One entry per live file whose content no picture could be made of. The
// table holds a row per failed content, few next to the assets.
void report_picture_failures(const Catalog& c, const Txn& t, LiveNames& names, std::vector<Problem>& out) {
  t.scan_prefix(c.db().picture_failures, {}, [&](std::string_view k, std::string_view v) {
    auto h = ContentHash::from_view(k);
    if (!h) return true;
    auto f = decode_picture_failure(*h, v);
    if (!f) return true;
    const auto kind = problem_kind_of(f->kind);
    if (!kind) return true;
    live_copies(c, t, names, *h, [&](const Asset& a, const std::string& project) {
      out.push_back({library_path(project, a.path), *kind, f->reason, 0});
    });
    return true;
  });
}

}  // namespace

std::vector<Problem> library_problems(Catalog& c, const Txn& t) {
  std::vector<Problem> out = RunLog(c).problems(t);
  LiveNames names(c, t);
  report_picture_failures(c, t, names, out);
  for_each_shared_content(t, c.db(), [&](const ContentHash& h) {
    report_duplicates(c, t, names, h, out);
    return true;
  });
  for_each_lacking_project(t, c.db(), [&](ProjectId id, const ProjectStats& s, Lacking lacks) {
    if (id == kRootProject) return true;
    const auto& name = names[id];
    if (!name) return true;
    if (lacks.images) out.push_back({*name, ProblemKind::no_images, none_is(s.files, "an image"), 0});
    if (lacks.models) out.push_back({*name, ProblemKind::no_models, none_is(s.files, "a 3D model"), 0});
    return true;
  });

  std::sort(out.begin(), out.end(), [](const Problem& a, const Problem& b) {
    if (a.path != b.path) return a.path < b.path;
    return to_string(a.kind) < to_string(b.kind);
  });
  return out;
}

std::vector<std::pair<ProblemKind, std::size_t>> count_by_kind(const std::vector<Problem>& problems) {
  std::array<std::size_t, 256> n{};
  for (const auto& p : problems) ++n[static_cast<std::uint8_t>(p.kind)];
  std::vector<std::pair<ProblemKind, std::size_t>> out;
  for (ProblemKind k : kProblemKinds)
    if (n[static_cast<std::uint8_t>(k)]) out.emplace_back(k, n[static_cast<std::uint8_t>(k)]);
  return out;
}

}  // namespace lima::index
