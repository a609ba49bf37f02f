#include "index_diff.h"

#include <map>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "index/catalog.h"

namespace lima::bench {
namespace {

struct Content {
  std::uint64_t size = 0;
  index::ContentHash hash;
  bool operator==(const Content&) const = default;
};

/// "Project/path" → content, of every live asset, in path order.
std::map<std::string, Content> live_assets(const std::filesystem::path& state) {
  auto catalog = index::Catalog::open(state, index::OpenMode::read_only);
  if (!catalog) throw std::runtime_error("cannot open the index in " + state.string() + ": " + catalog.error().message);
  index::ReadTxn t((*catalog)->env());
  std::unordered_map<index::ProjectId, std::string> names;
  for (const auto& p : (*catalog)->projects(t)) names.emplace(p.id, p.name);
  std::map<std::string, Content> out;
  (*catalog)->for_each_asset(t, [&](const index::Asset& a) {
    if (a.state != index::ItemState::live) return;
    const auto project = names.find(a.project);
    const std::string project_name = project != names.end() ? project->second : "";
    out.emplace(index::library_path(project_name, a.path), Content{a.size, a.hash});
  });
  return out;
}

std::string describe(const std::string& path, const Content& c) {
  return path + " (" + std::to_string(c.size) + " bytes, " + c.hash.to_string() + ")";
}

}  // namespace

IndexDiff compare_indexes(const std::filesystem::path& left_state, const std::string& left_name,
                          const std::filesystem::path& right_state, const std::string& right_name,
                          std::size_t max_examples) {
  const auto left = live_assets(left_state);
  const auto right = live_assets(right_state);
  IndexDiff d;
  d.left_assets = left.size();
  d.right_assets = right.size();
  const auto example = [&](std::string line) {
    if (d.examples.size() < max_examples) d.examples.push_back(std::move(line));
  };
  auto l = left.begin();
  auto r = right.begin();
  while (l != left.end() || r != right.end()) {
    if (r == right.end() || (l != left.end() && l->first < r->first)) {
      ++d.only_left;
      example("only in " + left_name + ": " + describe(l->first, l->second));
      ++l;
    } else if (l == left.end() || r->first < l->first) {
      ++d.only_right;
      example("only in " + right_name + ": " + describe(r->first, r->second));
      ++r;
    } else {
      if (!(l->second == r->second)) {
        ++d.differing;
        example(l->first + ": " + left_name + " has " + std::to_string(l->second.size) + " bytes, " +
                l->second.hash.to_string() + "; " + right_name + " has " + std::to_string(r->second.size) +
                " bytes, " + r->second.hash.to_string());
      }
      ++l;
      ++r;
    }
  }
  return d;
}

}  // namespace lima::bench
