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

namespace {

bool is_word_byte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

namespace {

enum class ByteClass { digit, lower, upper };

ByteClass class_of(unsigned char c) {
  if (c >= '0' && c <= '9') return ByteClass::digit;
  if (c >= 'A' && c <= 'Z') return ByteClass::upper;
  return ByteClass::lower;  // a-z, and bytes of non-ASCII characters
}

// Splits a run of letters and digits where a word visibly starts inside it:
// "3DBenchy" → "3", "D", "Benchy"; "partV2" → "part", "V", "2".
std::vector<std::string_view> parts_of(std::string_view run) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 1; i < run.size(); ++i) {
    const auto prev = class_of(static_cast<unsigned char>(run[i - 1]));
    const auto cur = class_of(static_cast<unsigned char>(run[i]));
    const bool next_lower = i + 1 < run.size() && class_of(static_cast<unsigned char>(run[i + 1])) == ByteClass::lower;
    const bool cut = (prev == ByteClass::digit) != (cur == ByteClass::digit) ||
                     (prev == ByteClass::lower && cur == ByteClass::upper) ||
                     (prev == ByteClass::upper && cur == ByteClass::upper && next_lower);
    if (cut) {
      parts.push_back(run.substr(start, i - start));
      start = i;
    }
  }
  parts.push_back(run.substr(start));
  return parts;
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

}  // namespace

namespace {

// The runs of letters and digits of a text.
std::vector<std::string_view> word_runs(std::string_view text) {
  std::vector<std::string_view> runs;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_word_byte(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && is_word_byte(static_cast<unsigned char>(text[j]))) ++j;
    runs.push_back(text.substr(i, j - i));
    i = j;
  }
  return runs;
}

}  // namespace

std::vector<std::string> name_tokens(std::string_view name) {
  std::vector<std::string> tokens;
  for (const auto run : word_runs(name)) {
    tokens.push_back(lowered(run));
    const auto parts = parts_of(run);
    if (parts.size() > 1)
      for (auto p : parts) tokens.push_back(lowered(p));
  }
  return tokens;
}

std::vector<std::string> search_words(std::string_view component) {
  // Each word as typed (not split further): "3db" must still find "3DBenchy".
  std::vector<std::string> words;
  for (const auto run : word_runs(component)) words.push_back(lowered(run));
  return words;
}

bool words_match(const std::vector<std::string>& words, const std::vector<std::string>& tokens) {
  return std::all_of(words.begin(), words.end(), [&](const std::string& w) {
    return std::any_of(tokens.begin(), tokens.end(), [&](const std::string& t) { return t.starts_with(w); });
  });
}

}  // namespace lima::fs
