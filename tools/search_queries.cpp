#include "search_queries.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "index/words.h"

namespace lima::bench {
namespace {

bool ascii_word(const std::string& w) {
  return w.size() >= 3 && std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

bool ascii_text(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

/// What the documents say about their words.
struct Vocabulary {
  /// Words a query prefix must not begin: parts that are not the start of
  /// their run, and words of runs with letters beyond ASCII.
  std::set<std::string> unsafe;
  /// Whole runs that join several words ("gearpro"): never chosen, so that
  /// a rare word is a word and not a rare combination.
  std::unordered_set<std::string> joined;
  std::unordered_map<std::string, std::size_t> df;       ///< whole-run ASCII words: documents holding them
  std::unordered_map<std::string, std::size_t> tag_df;   ///< tag words
  std::map<std::pair<std::string, std::string>, std::size_t> bigrams;  ///< adjacent whole runs in names
  std::vector<std::unordered_set<std::string>> doc_words;  ///< per document, its candidate words

  bool safe(const std::string& prefix) const {
    const auto it = unsafe.lower_bound(prefix);
    return it == unsafe.end() || !it->starts_with(prefix);
  }
};

/// Adds one field's words; whole runs go to `words`, and adjacent whole
/// runs to `runs` (in order).
void scan_text(const std::string& text, Vocabulary& v, std::unordered_set<std::string>& words,
               std::vector<std::string>* runs) {
  const auto tokens = lima::index::tokenize(text);
  std::uint32_t run_end = 0;
  for (const auto& t : tokens) {
    const bool whole = t.pos >= run_end;  // a run's first token is the whole run
    if (whole) {
      run_end = t.end;
      words.insert(t.word);
      if (runs) runs->push_back(t.word);
    }
  }
  // Second pass: mark unsafe parts and non-ASCII runs.
  std::uint32_t start = 0, end = 0;
  for (const auto& t : tokens) {
    if (t.pos >= end) {
      start = t.pos;
      end = t.end;
      if (end - start > 1) v.joined.insert(t.word);
      if (!ascii_text(t.word)) v.unsafe.insert(t.word);
      continue;
    }
    if (t.pos > start) v.unsafe.insert(t.word);
  }
  // Runs of the original text with letters beyond ASCII: their folded words
  // may differ from unicode61's ("størrelse" → storrelse vs størrelse).
  if (!ascii_text(text)) {
    std::string run;
    for (std::size_t i = 0; i <= text.size(); ++i) {
      const unsigned char c = i < text.size() ? static_cast<unsigned char>(text[i]) : ' ';
      if (c >= 0x80 || std::isalnum(c)) {
        run += static_cast<char>(c);
      } else if (!run.empty()) {
        if (!ascii_text(run))
          for (const auto& w : lima::index::index_words(run)) v.unsafe.insert(w);
        run.clear();
      }
    }
  }
}

Vocabulary read_vocabulary(const std::vector<SearchDoc>& docs) {
  Vocabulary v;
  v.doc_words.reserve(docs.size());
  for (const auto& d : docs) {
    std::unordered_set<std::string> words;
    std::vector<std::string> name_runs;
    scan_text(d.name, v, words, &name_runs);
    for (std::size_t i = 0; i + 1 < name_runs.size(); ++i)
      if (ascii_word(name_runs[i]) && ascii_word(name_runs[i + 1])) ++v.bigrams[{name_runs[i], name_runs[i + 1]}];
    std::unordered_set<std::string> tag_words;
    scan_text(d.tags, v, tag_words, nullptr);
    for (const auto& t : tag_words) ++v.tag_df[t];
    words.insert(tag_words.begin(), tag_words.end());
    scan_text(d.path, v, words, nullptr);
    scan_text(d.notes, v, words, nullptr);
    std::unordered_set<std::string> kept;
    for (const auto& w : words)
      if (ascii_word(w)) {
        ++v.df[w];
        kept.insert(w);
      }
    v.doc_words.push_back(std::move(kept));
  }
  return v;
}

std::string star(const std::string& w) { return w + "*"; }

/// An expression over the columns a plain word searches. DESIGN §5: words
/// match names, paths, tags and notes; an asset does not match by its
/// project's name (that is project:x), so the project column stays out.
std::string text_columns(const std::string& expr) { return "{name tags path notes} : (" + expr + ")"; }

}  // namespace

std::vector<QueryClass> choose_queries(const std::vector<SearchDoc>& docs, std::size_t per_class) {
  const Vocabulary v = read_vocabulary(docs);
  std::vector<std::pair<std::size_t, std::string>> ranked;  // (df, word), safe words only
  for (const auto& [w, n] : v.df)
    if (v.safe(w) && !v.joined.contains(w)) ranked.emplace_back(n, w);
  std::sort(ranked.begin(), ranked.end());
  const std::size_t n = ranked.size();
  std::vector<QueryClass> out;
  auto add = [&](std::string id, std::string label, bool compared) -> QueryClass& {
    out.push_back({std::move(id), std::move(label), compared, {}});
    return out.back();
  };

  auto& rare = add("rare", "rare word", true);
  for (std::size_t i = 0; i < n && rare.queries.size() < per_class; ++i)
    rare.queries.push_back({ranked[i].second, text_columns(star(ranked[i].second))});

  auto& common = add("common", "common word", true);
  for (std::size_t i = n; i > 0 && common.queries.size() < per_class; --i)
    common.queries.push_back({ranked[i - 1].second, text_columns(star(ranked[i - 1].second))});

  // One-letter prefixes: the safe letters, those starting the most words first.
  std::map<char, std::size_t> letters;
  for (const auto& [df, w] : ranked) letters[w[0]] += df;
  std::vector<std::pair<std::size_t, char>> by_weight;
  for (const auto& [c, weight] : letters)
    if (v.safe(std::string(1, c))) by_weight.emplace_back(weight, c);
  std::sort(by_weight.rbegin(), by_weight.rend());
  auto& prefix1 = add("prefix1", "one-letter prefix", true);
  for (const auto& [weight, c] : by_weight) {
    if (prefix1.queries.size() >= per_class) break;
    prefix1.queries.push_back({std::string(1, c), text_columns(star(std::string(1, c)))});
  }

  // Two words that occur together, among the 16 most common.
  const std::size_t top = std::min<std::size_t>(16, n);
  std::vector<std::string> head;
  for (std::size_t i = 0; i < top; ++i) head.push_back(ranked[n - 1 - i].second);
  std::map<std::pair<std::size_t, std::size_t>, std::size_t> together;
  for (const auto& words : v.doc_words)
    for (std::size_t i = 0; i < head.size(); ++i)
      if (words.contains(head[i]))
        for (std::size_t j = i + 1; j < head.size(); ++j)
          if (words.contains(head[j])) ++together[{i, j}];
  auto& both = add("and", "two words (AND)", true);
  // Pairs spread over the head: rank sum i + j ascending, skipping pairs
  // that share a word with an earlier pair when possible.
  std::vector<std::pair<std::size_t, std::pair<std::size_t, std::size_t>>> pairs;
  for (const auto& [ij, count] : together)
    if (count > 0) pairs.push_back({ij.first * 3 + ij.second, ij});
  std::sort(pairs.begin(), pairs.end());
  for (const auto& [key, ij] : pairs) {
    if (both.queries.size() >= per_class) break;
    both.queries.push_back({head[ij.first] + " " + head[ij.second],
                            text_columns(star(head[ij.first]) + " " + star(head[ij.second]))});
  }

  std::vector<std::pair<std::size_t, std::string>> tags;
  for (const auto& [t, df] : v.tag_df)
    if (ascii_word(t) && v.safe(t)) tags.emplace_back(df, t);
  std::sort(tags.rbegin(), tags.rend());
  auto& tag = add("tag", "field (tag:x)", false);
  for (const auto& [df, t] : tags) {
    if (tag.queries.size() >= per_class) break;
    tag.queries.push_back({"tag:" + t, "tags:" + star(t)});
  }

  // OR of a rare and a mid-frequency word; NOT of two common words.
  auto& any = add("or", "OR", false);
  for (std::size_t i = 0; i < per_class && i < n / 2; ++i) {
    const auto& a = ranked[i].second;
    const auto& b = ranked[n / 2 + i].second;
    any.queries.push_back({a + " or " + b, text_columns(star(a) + " OR " + star(b))});
  }
  auto& none = add("not", "NOT (a -b)", false);
  for (std::size_t i = 0; i + 1 < top && none.queries.size() < per_class; i += 2) {
    const auto& a = head[i];
    const auto& b = head[i + 1];
    none.queries.push_back({a + " -" + b, text_columns(star(a) + " NOT " + star(b))});
  }

  std::vector<std::pair<std::size_t, std::pair<std::string, std::string>>> phrases;
  for (const auto& [ab, count] : v.bigrams)
    if (v.safe(ab.first) && v.safe(ab.second)) phrases.push_back({count, ab});
  std::sort(phrases.rbegin(), phrases.rend());
  auto& phrase = add("phrase", "phrase (\"a b\")", false);
  for (const auto& [count, ab] : phrases) {
    if (phrase.queries.size() >= per_class) break;
    const std::string text = "\"" + ab.first + " " + ab.second + "\"";
    phrase.queries.push_back({text, text_columns(text)});
  }
  return out;
}

std::vector<BenchQuery> fresh_queries(const std::vector<SearchDoc>& docs, FtsBaseline& fts, std::size_t count,
                                      std::size_t max_results, const std::vector<QueryClass>& avoid) {
  const Vocabulary v = read_vocabulary(docs);
  std::set<std::string> used;
  for (const auto& c : avoid)
    for (const auto& q : c.queries) used.insert(q.limafs);
  std::vector<std::string> words;
  for (const auto& [w, df] : v.df)
    if (v.safe(w)) words.push_back(w);
  std::sort(words.begin(), words.end());
  std::vector<BenchQuery> candidates;
  for (const auto& w : words) {
    candidates.push_back({w, text_columns(star(w))});
    if (w.size() > 4) candidates.push_back({w.substr(0, w.size() - 1), text_columns(star(w.substr(0, w.size() - 1)))});
  }
  for (std::size_t i = 0; i + 1 < words.size(); i += 2) {
    candidates.push_back({words[i] + " " + words[words.size() - 1 - i],
                          text_columns(star(words[i]) + " " + star(words[words.size() - 1 - i]))});
  }
  std::vector<BenchQuery> out;
  for (const auto& q : candidates) {
    if (out.size() >= count) break;
    if (!used.insert(q.limafs).second) continue;
    FtsBaseline::Query query(fts, q.fts, static_cast<int>(max_results) + 1);
    const auto hits = query.run().size();
    if (hits >= 1 && hits <= max_results) out.push_back(q);
  }
  return out;
}

}  // namespace lima::bench
