#include "index/match_sets.h"

#include <algorithm>
#include <array>
#include <optional>

#include "index/key_codec.h"
#include "index/metadata.h"
#include "index/words.h"

namespace lima::index {

int field_rank(Field f) {
  switch (f) {
    case Field::name: return 0;
    case Field::tag: return 1;
    case Field::collection: return 2;
    case Field::project: return 3;
    case Field::path: return 4;
    case Field::notes: return 5;
    case Field::any: break;
  }
  return 6;
}

namespace {

// Sorts by item and keeps one match per item: the best score, all fields,
// a known rank length.
void normalize(Matches& m) {
  const auto by_item = [](const Match& a, const Match& b) { return a.item < b.item; };
  if (!std::is_sorted(m.begin(), m.end(), by_item)) std::sort(m.begin(), m.end(), by_item);
  std::size_t out = 0;
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (out > 0 && m[out - 1].item == m[i].item) {
      auto& kept = m[out - 1];
      kept.score = std::min(kept.score, m[i].score);
      kept.fields |= m[i].fields;
      if (!kept.len_known && m[i].len_known) {
        kept.rank_len = m[i].rank_len;
        kept.len_known = true;
      }
      continue;
    }
    m[out++] = m[i];
  }
  m.resize(out);
}

void join_into(Match& into, const Match& other) {
  into.fields |= other.fields;
  if (!into.len_known && other.len_known) {
    into.rank_len = other.rank_len;
    into.len_known = true;
  }
}

std::uint32_t word_score(Field f, bool exact) {
  return static_cast<std::uint32_t>(field_rank(f)) + (exact ? 0 : kPrefixPenalty);
}

}  // namespace

Matches intersect(const Matches& a, const Matches& b) {
  Matches out;
  out.reserve(std::min(a.size(), b.size()));
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i].item < b[j].item) {
      // Gallop when one side is much shorter: skip ahead by binary search.
      i = static_cast<std::size_t>(
          std::lower_bound(a.begin() + static_cast<std::ptrdiff_t>(i), a.end(), b[j].item,
                           [](const Match& m, ItemKey k) { return m.item < k; }) -
          a.begin());
    } else if (b[j].item < a[i].item) {
      j = static_cast<std::size_t>(
          std::lower_bound(b.begin() + static_cast<std::ptrdiff_t>(j), b.end(), a[i].item,
                           [](const Match& m, ItemKey k) { return m.item < k; }) -
          b.begin());
    } else {
      Match m = a[i];
      m.score += b[j].score;
      join_into(m, b[j]);
      out.push_back(m);
      ++i;
      ++j;
    }
  }
  return out;
}

Matches unite(const Matches& a, const Matches& b) {
  Matches out;
  out.reserve(a.size() + b.size());
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].item < b[j].item)) {
      out.push_back(a[i++]);
    } else if (i == a.size() || b[j].item < a[i].item) {
      out.push_back(b[j++]);
    } else {
      Match m = a[i];
      m.score = std::min(a[i].score, b[j].score);
      join_into(m, b[j]);
      out.push_back(m);
      ++i;
      ++j;
    }
  }
  return out;
}

namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool ascii_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// holds_phrase() on ASCII text, without cutting it into tokens; nullopt
// when that is needed. The runs of ASCII letters and digits are the text's
// whole-run tokens (folded: lower-cased), so consecutive runs that are the
// words are a match; when each run is a single piece (only lower-case
// letters, or only digits, at most kMaxWordBytes), they are all its tokens
// and finding none is the answer too.
std::optional<bool> ascii_phrase(std::string_view text, const std::vector<std::string>& words, bool last_prefix) {
  constexpr std::size_t kMaxRuns = 48;
  std::array<std::pair<std::uint32_t, std::uint32_t>, kMaxRuns> runs;
  std::size_t count = 0;
  bool simple = true;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) return std::nullopt;
    if (!ascii_alnum(text[i])) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    bool lower_letters = true, digits = true;
    for (; i < text.size() && ascii_alnum(text[i]); ++i) {
      const char d = text[i];
      lower_letters = lower_letters && d >= 'a' && d <= 'z';
      digits = digits && d >= '0' && d <= '9';
    }
    if (i < text.size() && static_cast<unsigned char>(text[i]) >= 0x80) return std::nullopt;
    if (count == kMaxRuns) return std::nullopt;
    simple = simple && (lower_letters || digits) && i - start <= kMaxWordBytes;
    runs[count++] = {static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(i)};
  }
  auto fits = [&](std::size_t r, std::size_t w) {
    const auto run = text.substr(runs[r].first, runs[r].second - runs[r].first);
    const std::string& word = words[w];
    const bool prefix = last_prefix && w + 1 == words.size();
    if (prefix ? run.size() < word.size() : run.size() != word.size()) return false;
    for (std::size_t k = 0; k < word.size(); ++k)
      if (lower(run[k]) != word[k]) return false;
    return true;
  };
  for (std::size_t r = 0; r + words.size() <= count; ++r) {
    std::size_t w = 0;
    while (w < words.size() && fits(r + w, w)) ++w;
    if (w == words.size()) return true;
  }
  if (simple) return false;
  return std::nullopt;
}

}  // namespace

bool holds_phrase(std::string_view text, const std::vector<std::string>& words, bool last_prefix) {
  if (words.empty()) return false;
  if (auto quick = ascii_phrase(text, words, last_prefix)) return *quick;
  return holds_phrase_in_tokens(text, words, last_prefix);
}

bool holds_phrase_in_tokens(std::string_view text, const std::vector<std::string>& words, bool last_prefix) {
  if (words.empty()) return false;
  const auto tokens = tokenize(text);
  auto fits = [&](const Token& t, std::size_t i) {
    return (last_prefix && i + 1 == words.size()) ? t.word.starts_with(words[i]) : t.word == words[i];
  };
  // Depth-first over adjacent tokens: a whole run and its parts may both
  // start at one position.
  auto from = [&](auto& self, std::uint32_t pos, std::size_t i) -> bool {
    if (i == words.size()) return true;
    for (const auto& t : tokens)
      if (t.pos == pos && fits(t, i) && self(self, t.end, i + 1)) return true;
    return false;
  };
  for (const auto& t : tokens)
    if (fits(t, 0) && from(from, t.end, 1)) return true;
  return false;
}

Matches MatchReader::word_postings(Field f, std::string_view word, bool prefix) const {
  Matches out;
  const auto bit = field_bit(f);
  // Each word's postings are sorted by item: where each run starts, so
  // the runs can be merged rather than sorted.
  std::vector<std::size_t> runs;
  words_.lookup(t_, f, word, prefix, [&](std::string_view found, std::span<const Posting> ps) {
    const auto score = word_score(f, found == word);
    const std::size_t at = out.size();
    if (out.capacity() < at + ps.size()) out.reserve(std::max(at + ps.size(), 2 * out.capacity()));
    out.resize(at + ps.size());
    Match* m = out.data() + at;
    for (const auto& p : ps) *m++ = Match{p.item, score, bit, p.rank_len, true};
    runs.push_back(at);
    return true;
  });
  if (runs.size() > 1) {
    // Merge neighbouring runs pairwise until one is left, then keep one
    // match per item.
    runs.push_back(out.size());
    const auto by_item = [](const Match& a, const Match& b) { return a.item < b.item; };
    while (runs.size() > 2) {
      std::vector<std::size_t> merged;
      for (std::size_t i = 0; i + 2 < runs.size(); i += 2) {
        std::inplace_merge(out.begin() + static_cast<std::ptrdiff_t>(runs[i]),
                           out.begin() + static_cast<std::ptrdiff_t>(runs[i + 1]),
                           out.begin() + static_cast<std::ptrdiff_t>(runs[i + 2]), by_item);
        merged.push_back(runs[i]);
      }
      if (runs.size() % 2 == 0) merged.push_back(runs[runs.size() - 2]);
      merged.push_back(runs.back());
      runs = std::move(merged);
    }
    normalize(out);
  }
  return out;
}

std::vector<std::pair<std::uint64_t, std::uint32_t>> MatchReader::named(Field f, const QueryNode& n) const {
  // Tags and collections are indexed by id under their own field; projects
  // by their name.
  const Field in = f == Field::project ? Field::name : f;
  Matches ids;
  for (std::size_t i = 0; i < n.words.size(); ++i) {
    const bool prefix = n.last_prefix && i + 1 == n.words.size();
    auto one = word_postings(in, n.words[i], prefix);
    if (f == Field::project)
      std::erase_if(one, [](const Match& m) { return is_asset(m.item); });
    for (auto& m : one) m.score = m.score - static_cast<std::uint32_t>(field_rank(in)) +
                                  static_cast<std::uint32_t>(field_rank(f));
    ids = i == 0 ? std::move(one) : intersect(ids, one);
    if (ids.empty()) break;
  }
  std::vector<std::pair<std::uint64_t, std::uint32_t>> out;
  Metadata meta(c_);
  for (const auto& m : ids) {
    const auto id = id_of(m.item);
    if (n.words.size() > 1) {
      std::optional<std::string> name;
      if (f == Field::tag) name = meta.tag_name(t_, id);
      else if (f == Field::collection) {
        if (auto col = meta.collection(t_, id)) name = col->name;
      } else if (auto p = c_.project(t_, id)) {
        name = p->name;
      }
      if (!name || !holds_phrase(*name, n.words, n.last_prefix)) continue;
    }
    out.emplace_back(id, m.score);
  }
  return out;
}

Matches MatchReader::tagged(const QueryNode& n) const {
  Matches out;
  const auto bit = field_bit(Field::tag);
  for (const auto& [tag, score] : named(Field::tag, n)) {
    const auto prefix = key_u64(tag);
    for (const auto* table : {&c_.db().tag_projects, &c_.db().tag_assets}) {
      const ItemKey kind = table == &c_.db().tag_assets ? kAssetBit : 0;
      Cursor cur(t_, *table);
      for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next())
        if (cur.key().size() == 16) out.push_back(Match{kind | get_u64(cur.key(), 8), score, bit, 0, false});
    }
  }
  normalize(out);
  return out;
}

Matches MatchReader::in_collections(const QueryNode& n) const {
  Matches out;
  Metadata meta(c_);
  const auto bit = field_bit(Field::collection);
  for (const auto& [id, score] : named(Field::collection, n))
    if (auto col = meta.collection(t_, id))
      for (auto p : col->projects) out.push_back(Match{project_key(p), score, bit, 0, false});
  normalize(out);
  return out;
}

Matches MatchReader::in_projects(const QueryNode& n) const {
  Matches out;
  const auto bit = field_bit(Field::project);
  for (const auto& [id, score] : named(Field::project, n)) {
    out.push_back(Match{project_key(id), score, bit, 0, false});
    const auto prefix = key_u64(id);
    Cursor cur(t_, c_.db().asset_paths);
    for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next())
      if (cur.value().size() == 8) out.push_back(Match{asset_key(get_u64(cur.value())), score, bit, 0, false});
  }
  normalize(out);
  return out;
}

Matches MatchReader::words_in(Field f, const QueryNode& n) const {
  switch (f) {
    case Field::tag: return tagged(n);
    case Field::collection: return in_collections(n);
    case Field::project: return in_projects(n);
    default: break;
  }
  Matches out;
  for (std::size_t i = 0; i < n.words.size(); ++i) {
    const bool prefix = n.last_prefix && i + 1 == n.words.size();
    auto one = word_postings(f, n.words[i], prefix);
    out = i == 0 ? std::move(one) : intersect(out, one);
    if (out.empty()) return out;
  }
  if (n.words.size() < 2) return out;
  // A phrase: the words must be adjacent in this field's text.
  Metadata meta(c_);
  std::erase_if(out, [&](const Match& m) {
    std::string text;
    if (f == Field::name) {
      // The name, read in place from the record.
      const auto v = t_.get(is_asset(m.item) ? c_.db().assets : c_.db().projects, key_u64(id_of(m.item)));
      const auto name = !v ? std::nullopt : is_asset(m.item) ? live_asset_name(*v) : live_project_name(*v);
      return !name || !holds_phrase(*name, n.words, n.last_prefix);
    }
    if (f == Field::notes) {
      text = meta.note(t_, NoteTarget{is_asset(m.item) ? NoteTarget::Type::asset : NoteTarget::Type::project,
                                      id_of(m.item)});
    } else if (is_asset(m.item)) {
      auto a = c_.asset(t_, id_of(m.item));
      if (!a) return true;
      text = f == Field::path ? std::string(folder_of(a->path)) : std::string(file_name_of(a->path));
    } else {
      auto p = c_.project(t_, id_of(m.item));
      if (!p || f == Field::path) return true;
      text = p->name;
    }
    return !holds_phrase(text, n.words, n.last_prefix);
  });
  return out;
}

Matches MatchReader::words(const QueryNode& n) const {
  if (n.field != Field::any) return words_in(n.field, n);
  Matches out;
  for (Field f : {Field::name, Field::tag, Field::path, Field::notes}) {
    auto one = words_in(f, n);
    out = out.empty() ? std::move(one) : unite(out, one);
  }
  return out;
}

Matches MatchReader::kind(Kind k) const {
  Matches out;
  const auto prefix = Catalog::kind_prefix(k);
  Cursor cur(t_, c_.db().kind_assets);
  for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next())
    if (cur.key().size() == prefix.size() + 8) out.push_back(Match{asset_key(get_u64(cur.key(), prefix.size())), 0, 0, 0, false});
  return out;
}

Matches MatchReader::extension(std::string_view ext) const {
  Matches out;
  const auto prefix = Catalog::ext_prefix(ext);
  Cursor cur(t_, c_.db().ext_assets);
  for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next())
    if (cur.key().size() == prefix.size() + 8) out.push_back(Match{asset_key(get_u64(cur.key(), prefix.size())), 0, 0, 0, false});
  return out;
}

}  // namespace lima::index
