#include "index/ignore.h"

#include <fnmatch.h>

namespace lima::index {

IgnoreRules::IgnoreRules(std::vector<std::string> globs) : globs_(std::move(globs)) {
  for (const auto& g : globs_) (g.find('/') == std::string::npos ? name_globs_ : path_globs_).push_back(g);
}

bool IgnoreRules::ignored_by_default(std::string_view name) {
  if (name.empty() || name.front() == '.') return true;
  for (std::string_view n : {"@eaDir", "#recycle", "__MACOSX", "Thumbs.db", "desktop.ini"})
    if (name == n) return true;
  return name.ends_with(".part") || name.ends_with(".crdownload");
}

bool IgnoreRules::ignored(std::string_view name, std::string_view path) const {
  if (ignored_by_default(name)) return true;
  if (name_globs_.empty() && path_globs_.empty()) return false;
  const std::string n(name);
  for (const auto& g : name_globs_)
    if (::fnmatch(g.c_str(), n.c_str(), FNM_PERIOD) == 0) return true;
  if (!path_globs_.empty()) {
    const std::string p(path);
    for (const auto& g : path_globs_)
      if (::fnmatch(g.c_str(), p.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0) return true;
  }
  return false;
}

}  // namespace lima::index
