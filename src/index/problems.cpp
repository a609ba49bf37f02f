#include "index/problems.h"

#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <tuple>
#include <unordered_map>

#include "index/picture_failures.h"
#include "index/runs.h"

namespace lima::index {

namespace {

struct ProjectFacts {
  std::string name;  // "" for the library root
  std::uint64_t files = 0;
  bool image = false, model = false;
};

// A live, non-empty file, as far as duplicates need it.
struct Copy {
  ContentHash hash;
  ProjectId project = kRootProject;
  AssetId id = 0;
};

bool copy_order(const Copy& a, const Copy& b) {
  return std::tie(a.hash.bytes, a.project, a.id) < std::tie(b.hash.bytes, b.project, b.id);
}

// "none of its 4 files is an image", "its only file is not an image".
std::string none_is(std::uint64_t files, const std::string& what) {
  return files == 1 ? "its only file is not " + what : "none of its " + std::to_string(files) + " files is " + what;
}

// One entry per copy of each content found live in two projects or more.
// `group` holds the copies of one content, sorted by project.
void report_duplicates(Catalog& c, const Txn& t, const std::unordered_map<ProjectId, ProjectFacts>& projects,
                       std::span<const Copy> group, std::vector<Problem>& out) {
  if (group.front().project == group.back().project) return;  // all in one project
  struct Named {
    ProjectId project;
    std::string path;
  };
  std::vector<Named> named;
  named.reserve(group.size());
  for (const auto& copy : group) {
    auto a = c.asset(t, copy.id);
    if (!a) continue;
    named.push_back({copy.project, library_path(projects.at(copy.project).name, a->path)});
  }
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

// Every picture failure that is a problem, by content. The table holds a
// row per failed content, few next to the assets: read whole, once.
std::unordered_map<ContentHash, PictureFailure, ContentHashHasher> picture_problems(const Catalog& c, const Txn& t) {
  std::unordered_map<ContentHash, PictureFailure, ContentHashHasher> out;
  t.scan_prefix(c.db().picture_failures, {}, [&](std::string_view k, std::string_view v) {
    auto h = ContentHash::from_view(k);
    if (!h) return true;
    if (auto f = decode_picture_failure(*h, v); f && problem_kind_of(f->kind)) out.emplace(*h, std::move(*f));
    return true;
  });
  return out;
}

}  // namespace

std::vector<Problem> library_problems(Catalog& c, const Txn& t) {
  std::vector<Problem> out = RunLog(c).problems(t);

  std::unordered_map<ProjectId, ProjectFacts> projects;
  projects.emplace(kRootProject, ProjectFacts{});
  for (auto& p : c.projects(t)) projects.emplace(p.id, ProjectFacts{std::move(p.name)});

  const auto failures = picture_problems(c, t);
  std::vector<Copy> copies;
  c.for_each_asset(t, [&](const Asset& a) {
    if (a.state != ItemState::live) return;
    auto it = projects.find(a.project);
    if (it == projects.end()) return;  // its project is gone (a crash mid-sync left it live)
    auto& f = it->second;
    ++f.files;
    f.image |= a.kind == Kind::image;
    f.model |= a.kind == Kind::model;
    if (a.size > 0) copies.push_back({a.hash, a.project, a.id});
    if (failures.empty()) return;
    if (auto failed = failures.find(a.hash); failed != failures.end())
      out.push_back({library_path(f.name, a.path), *problem_kind_of(failed->second.kind), failed->second.reason, 0});
  });

  std::sort(copies.begin(), copies.end(), copy_order);
  for (std::size_t i = 0; i < copies.size();) {
    std::size_t end = i + 1;
    while (end < copies.size() && copies[end].hash == copies[i].hash) ++end;
    if (end - i > 1) report_duplicates(c, t, projects, std::span<const Copy>(copies).subspan(i, end - i), out);
    i = end;
  }

  for (const auto& [id, f] : projects) {
    if (id == kRootProject || f.files == 0) continue;
    if (!f.image) out.push_back({f.name, ProblemKind::no_images, none_is(f.files, "an image"), 0});
    if (!f.model) out.push_back({f.name, ProblemKind::no_models, none_is(f.files, "a 3D model"), 0});
  }

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
