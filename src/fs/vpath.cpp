#include "fs/vpath.h"

#include "index/ignore.h"

#include <algorithm>
#include <array>

namespace lima::fs {

std::string_view name_of(RootEntry e) {
  switch (e) {
    case RootEntry::readme: return "README.txt";
    case RootEntry::projects: return "projects";
    case RootEntry::tags: return "tags";
    case RootEntry::collections: return "collections";
    case RootEntry::search: return "search";
    case RootEntry::untagged: return "untagged";
    case RootEntry::meta: return ".limafs";
  }
  return "";
}

std::optional<RootEntry> root_entry(std::string_view name) {
  for (RootEntry e : kRootEntries)
    if (name_of(e) == name) return e;
  return std::nullopt;
}

bool is_probe_name(std::string_view name) { return index::IgnoreRules::ignored_by_default(name); }

std::optional<std::string_view> narrowing_tag(std::string_view name) {
  if (name.size() < 2 || name[0] != '+') return std::nullopt;
  return name.substr(1);
}

std::string_view file_name_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string flattened_name(std::string_view project, std::string_view file_name, std::optional<std::uint64_t> id) {
  std::string out;
  if (!project.empty()) {
    out.append(project);
    out.append(" - ");
  }
  if (!id) {
    out.append(file_name);
    return out;
  }
  // The extension is what follows the last dot, unless that dot starts the name.
  auto dot = file_name.rfind('.');
  if (dot == 0) dot = std::string_view::npos;
  const std::string suffix = " ~" + std::to_string(*id);
  if (dot == std::string_view::npos) {
    out.append(file_name);
    out.append(suffix);
  } else {
    out.append(file_name.substr(0, dot));
    out.append(suffix);
    out.append(file_name.substr(dot));
  }
  return out;
}

}  // namespace lima::fs
