// The queries of the search benchmark, chosen from the words of the very
// documents both engines search, by their document frequency, so that each
// hits: a rare word, a common word, a one-letter prefix, two words (AND),
// a tag field, an OR, a NOT and a phrase; each with its FTS5 translation
// (plain words over the columns name, tags, path and notes: an asset does
// not match by its project's name, DESIGN §5).
//
// The word index cuts camelCase and letter/digit runs into parts ("gearPro"
// → gearpro, gear, pro) and folds letters such as ø → o; FTS5's unicode61
// keeps "gearpro" one token and ø as it is. So a query word is only chosen
// when no part that is not the start of its run, and no word with a
// letter beyond ASCII, begins with it: then "gear" (gear* in FTS5) finds
// the same items on both sides, and the result sets of the AND-of-prefix
// classes can be compared item for item.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "fts_baseline.h"

namespace lima::bench {

struct BenchQuery {
  std::string limafs;  ///< the search language (DESIGN §5)
  std::string fts;     ///< the FTS5 MATCH expression meaning the same
};

struct QueryClass {
  std::string id;     ///< "rare", "common", "prefix1", "and", "tag", "or", "not", "phrase"
  std::string label;  ///< "rare word"
  bool compared = false;  ///< its result sets are compared item for item
  std::vector<BenchQuery> queries;
};

/// Up to `per_class` queries of each class over docs.
std::vector<QueryClass> choose_queries(const std::vector<SearchDoc>& docs, std::size_t per_class);

/// `count` distinct queries of one or two words or a word prefix, none
/// among `avoid` (limafs text), each of which FTS5 answers with 1 to
/// max_results items: fresh directories for a cold `ls search/<query>/`.
std::vector<BenchQuery> fresh_queries(const std::vector<SearchDoc>& docs, FtsBaseline& fts, std::size_t count,
                                      std::size_t max_results, const std::vector<QueryClass>& avoid);

}  // namespace lima::bench
