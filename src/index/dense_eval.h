// Dense evaluation: answers a query tree as a dense set (dense_sets.h),
// the same items, scores and matched fields as the match sets of
// match_sets.h give, but read straight from the word index's pages and
// the catalog's tag, collection, project, kind and extension tables into
// one cell per item. The name lengths the postings carry are kept on the
// side for the ranking (search.cpp); an item seen only in the other
// tables has none yet (kUnknownLength) and may be a tombstone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "index/catalog.h"
#include "index/dense_sets.h"
#include "index/match_sets.h"
#include "index/query.h"
#include "index/word_index.h"

namespace lima::index {

/// A length no posting told (what a fresh pooled array holds).
inline constexpr std::uint16_t kUnknownLength = 0xffff;

/// The id ranges of `t`'s snapshot: one past the highest project id and
/// the highest asset id.
DenseShape dense_shape(Catalog& c, const Txn& t);

/// About how many postings and catalog rows `n` reads, counting no further
/// than `enough`: a set of a type or an extension counts as `enough`, tag,
/// collection and project fields as nothing (their sets are small). Reads
/// the word index's counts, not its postings.
std::size_t rough_size(Catalog& c, const Txn& t, const QueryNode& n, std::size_t enough);

/// The highest score `n` can give an item: 13 per word (a prefix match in
/// the notes), summed.
std::uint32_t highest_score(const QueryNode& n);

/// Reads items' records through cursors that stay where the last read
/// left them: records asked in item order (a sweep of a dense set) are
/// found in the page at hand rather than from the root.
class ItemRecords {
 public:
  ItemRecords(Catalog& c, const Txn& t) : projects_(t, c.db().projects), assets_(t, c.db().assets) {}
  /// The record of `item` (valid until the transaction ends), nullopt
  /// when there is none.
  std::optional<std::string_view> get(ItemKey item);
  /// The name of a live item, nullopt for a tombstone or none.
  std::optional<std::string_view> live_name(ItemKey item);

 private:
  Cursor projects_, assets_;
};

class DenseEvaluator {
 public:
  DenseEvaluator(Catalog& c, const Txn& t, const DenseShape& s);

  /// Adds the items `n` selects to `out`, an empty set (selects(n) must
  /// hold, and highest_score(n) ≤ kDenseMaxScore).
  void eval(const QueryNode& n, DenseSet& out);
  /// Each item's name length as postings told it; kUnknownLength when
  /// none did.
  TrackedArray& lengths() { return lengths_; }
  /// The name of a live item read while checking a phrase in names, if
  /// it was (valid until the transaction ends).
  std::optional<std::string_view> name_read(ItemKey item);

 private:
  void words(const QueryNode& n, DenseSet& out);
  void words_in(Field f, const QueryNode& n, DenseSet& out);
  void postings(Field f, std::string_view word, bool prefix, DenseSet& out);
  void all_of(const QueryNode& n, DenseSet& out);
  /// Removes from `out` the items a one-word node selects.
  void exclude_word(const QueryNode& n, DenseSet& out);
  bool phrase_in(Field f, ItemKey item, const QueryNode& n);

  Catalog& c_;
  const Txn& t_;
  DenseShape shape_;
  MatchReader reader_;
  WordIndex words_;
  TrackedArray lengths_;
  ItemRecords records_;
  std::vector<std::pair<ItemKey, std::string_view>> names_;  // names that held a phrase
  bool names_sorted_ = true;
};

}  // namespace lima::index
