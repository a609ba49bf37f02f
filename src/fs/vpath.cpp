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
    case RootEntry::searches: return "searches";
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

std::string_view utf8_prefix(std::string_view s, std::size_t bytes) {
  if (s.size() <= bytes) return s;
  // Back off over continuation bytes (10xxxxxx) to the start of the
  // character the cut would split; at most three for valid UTF-8.
  std::size_t n = bytes;
  for (int back = 0; n > 0 && back < 4 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80; ++back) --n;
  return s.substr(0, n);
}

namespace {

std::string id_suffix(std::uint64_t id) { return " ~" + std::to_string(id); }

}  // namespace

std::string narrowing_name(std::string_view tag, std::uint64_t tag_id) {
  std::string out = "+";
  if (1 + tag.size() <= kMaxNameBytes) return out.append(tag);
  const std::string suffix = id_suffix(tag_id);
  out.append(utf8_prefix(tag, kMaxNameBytes - 1 - suffix.size()));
  return out.append(suffix);
}

std::optional<std::uint64_t> shortened_id(std::string_view name) {
  const auto at = name.rfind(" ~");
  if (at == std::string_view::npos) return std::nullopt;
  const auto digits = name.substr(at + 2);
  if (digits.empty() || digits.size() > 19 || digits.front() == '0') return std::nullopt;
  std::uint64_t id = 0;
  for (char ch : digits) {
    if (ch < '0' || ch > '9') return std::nullopt;
    id = id * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  return id;
}

std::string flattened_name(std::string_view project, std::string_view file_name, std::uint64_t id, bool shared_name) {
  // The extension is what follows the last dot, unless that dot starts the name.
  auto dot = file_name.rfind('.');
  if (dot == 0) dot = std::string_view::npos;
  std::string_view stem = dot == std::string_view::npos ? file_name : file_name.substr(0, dot);
  std::string_view ext = dot == std::string_view::npos ? std::string_view() : file_name.substr(dot);
  const std::string_view sep = project.empty() ? std::string_view() : std::string_view(" - ");
  const std::string suffix = id_suffix(id);

  std::string out;
  if (project.size() + sep.size() + file_name.size() + (shared_name ? suffix.size() : 0) <= kMaxNameBytes) {
    out.append(project).append(sep).append(stem);
    if (shared_name) out.append(suffix);
    return out.append(ext);
  }
  // Too long: cut before the extension and mark with the id, which keeps
  // the name unique. An "extension" too long to keep is cut with the rest.
  if (ext.size() + suffix.size() > kMaxNameBytes / 2) {
    stem = file_name;
    ext = {};
  }
  const std::size_t room = kMaxNameBytes - suffix.size() - ext.size() - sep.size();
  std::size_t keep_project = project.size(), keep_stem = stem.size();
  if (keep_project + keep_stem > room) {
    if (keep_stem <= room / 2) keep_project = room - keep_stem;
    else if (keep_project <= room / 2) keep_stem = room - keep_project;
    else {
      keep_project = room / 2;
      keep_stem = room - keep_project;
    }
  }
  out.append(utf8_prefix(project, keep_project)).append(sep).append(utf8_prefix(stem, keep_stem));
  return out.append(suffix).append(ext);
}

}  // namespace lima::fs
