#include "index/search.h"

#include <algorithm>

namespace lima::index {

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

std::vector<std::string> search_words(std::string_view query) {
  // Each word as typed (not split further): "3db" must still find "3DBenchy".
  std::vector<std::string> words;
  for (const auto run : word_runs(query)) words.push_back(lowered(run));
  return words;
}

bool words_match(const std::vector<std::string>& words, const std::vector<std::string>& tokens) {
  return std::all_of(words.begin(), words.end(), [&](const std::string& w) {
    return std::any_of(tokens.begin(), tokens.end(), [&](const std::string& t) { return t.starts_with(w); });
  });
}

namespace {

std::string_view file_name_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

bool SearchMatcher::matches(std::vector<std::string> tokens, const std::vector<TagId>& tags) {
  for (TagId tag : tags) {
    auto it = tag_tokens_.find(tag);
    if (it == tag_tokens_.end()) it = tag_tokens_.emplace(tag, name_tokens(meta_.tag_name(t_, tag).value_or(""))).first;
    tokens.insert(tokens.end(), it->second.begin(), it->second.end());
  }
  return words_match(words_, tokens);
}

bool SearchMatcher::project(const Project& p) {
  return !words_.empty() && p.id != kRootProject && p.state == ItemState::live &&
         matches(name_tokens(p.name), meta_.project_tag_ids(t_, p.id));
}

bool SearchMatcher::asset(const Asset& a) {
  return !words_.empty() && a.state == ItemState::live &&
         matches(name_tokens(file_name_of(a.path)), meta_.asset_tag_ids(t_, a.id));
}

SearchHits search(Catalog& c, const Txn& t, std::string_view query) {
  SearchHits hits;
  SearchMatcher match(c, t, search_words(query));
  if (match.words().empty()) return hits;
  for (auto& p : c.projects(t))
    if (match.project(p)) hits.projects.push_back(std::move(p));
  c.for_each_asset(t, [&](const Asset& a) {
    if (match.asset(a)) hits.assets.push_back(a);
  });
  return hits;
}

}  // namespace lima::index
