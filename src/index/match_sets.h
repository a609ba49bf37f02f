// Match sets: the items a part of a query selects, read from the word
// index and the catalog's own tables (tags, collections, kinds,
// extensions), as vectors sorted by item key that AND and OR combine by
// merging. Each match carries how well it matched (its score: lower is
// better) and which fields matched, for the ranking (search.h).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "index/catalog.h"
#include "index/query.h"
#include "index/word_index.h"

namespace lima::index {

/// The fields in rank order; a FieldSet bit is 1 << rank.
int field_rank(Field f);
inline std::uint8_t field_bit(Field f) { return static_cast<std::uint8_t>(1u << field_rank(f)); }

/// What one word costs in a score: a prefix match after any exact one,
/// then by field.
inline constexpr std::uint32_t kPrefixPenalty = 8;

/// An item a query part selects.
struct Match {
  ItemKey item = 0;
  std::uint32_t score = 0;
  std::uint8_t fields = 0;     ///< FieldSet
  std::uint16_t rank_len = 0;  ///< the name's byte length, when known
  bool len_known = false;
};
using Matches = std::vector<Match>;  ///< sorted by item, each item once

/// Items in both (scores add, fields join).
Matches intersect(const Matches& a, const Matches& b);
/// Items in either (the better score, fields join).
Matches unite(const Matches& a, const Matches& b);

/// Reads match sets for one snapshot.
class MatchReader {
 public:
  MatchReader(Catalog& c, const Txn& t) : c_(c), t_(t), words_(c.db()) {}

  /// The items a words node selects (QueryNode::Op::words), phrases
  /// checked against the items' text.
  Matches words(const QueryNode& n) const;
  /// Assets of a kind, or with an extension.
  Matches kind(Kind k) const;
  Matches extension(std::string_view ext) const;
  /// The items whose own tags, whose projects' collections, or whose
  /// project's name hold the node's words (len_known false: they may be
  /// tombstones).
  Matches tagged(const QueryNode& n) const;
  Matches in_collections(const QueryNode& n) const;
  Matches in_projects(const QueryNode& n) const;

 private:
  Matches words_in(Field f, const QueryNode& n) const;
  Matches word_postings(Field f, std::string_view word, bool prefix) const;
  /// Ids of tags / collections / projects whose name holds the node's words.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> named(Field f, const QueryNode& n) const;

  Catalog& c_;
  const Txn& t_;
  WordIndex words_;
};

/// True when `text` holds `words` as adjacent tokens, in order (the last
/// as a prefix when `last_prefix`); a single word: as a token.
bool holds_phrase(std::string_view text, const std::vector<std::string>& words, bool last_prefix);
/// holds_phrase() by cutting the whole text into tokens (words.h), without
/// its quicker look at ASCII text: what that look must agree with.
bool holds_phrase_in_tokens(std::string_view text, const std::vector<std::string>& words, bool last_prefix);

}  // namespace lima::index
