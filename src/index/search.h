// Search: answers a query of the search language (query.h) from the word
// index (word_index.h) and the catalog's own tables, never by a scan of
// every item, except for a query that names no word and no type or
// extension (only has:/missing:/size:/modified:/added: and exclusions),
// which walks the live items. One engine serves the API's search and its
// q= filters, the CLI, the mount's search/ and searches/ directories and
// saved searches, so all of them give the same answer.
//
// Ranking, best first: the sum over the query's words of how each matched
// (an exact word before a prefix; in the name, then a tag, a collection,
// the project, the path, the notes); then shorter names; then names in
// byte order; then projects before assets, by id.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "index/catalog.h"
#include "index/query.h"
#include "index/word_index.h"

namespace lima::index {

/// Which fields matched, as a bit set of 1 << static_cast<int>(field index):
/// see matched_field_names().
using FieldSet = std::uint8_t;
/// The names of the fields in `s` ("name", "tag", …), in rank order.
std::vector<std::string_view> matched_field_names(FieldSet s);

/// What search results hold.
enum class Scope : std::uint8_t { all, projects, assets };

struct SearchHit {
  ItemKey item = 0;
  std::uint32_t score = 0;  ///< lower is better
  FieldSet fields = 0;
  std::string name;  ///< the project folder name or the asset file name
};

struct SearchPage {
  std::vector<SearchHit> hits;          ///< best first
  std::optional<std::string> next;      ///< opaque cursor of the next page
  std::uint64_t total = 0;              ///< how many items match in all
};

struct SearchRequest {
  Scope scope = Scope::all;
  std::size_t limit = 50;  ///< 0: no limit
  std::string after;       ///< a cursor from SearchPage::next ("" = first page)
  /// Assets only in this project (0: anywhere). Projects never match then.
  ProjectId project = 0;
  /// More conditions of the caller (the API's other filters), asked of
  /// each live item before ranking; none when empty.
  std::function<bool(ItemKey)> keep;
};

/// One query, parsed once, answered against any snapshot.
class Search {
 public:
  Search(Catalog& c, Query q) : c_(c), q_(std::move(q)) {}
  const Query& query() const { return q_; }
  /// The page of hits `r` asks for. Errc::invalid_argument for a cursor
  /// this search did not make.
  /// run_dense() when the query's words have many postings, else
  /// run_merged(): the same page either way.
  Result<SearchPage> run(const Txn& t, const SearchRequest& r) const;
  /// The page from sets of one cell per item id (dense_sets.h): costs the
  /// postings of the query's words, a sweep of the blocks of ids they
  /// touch, and names only for the hits near the page. Falls back to
  /// run_merged() when ids are too spread out or the query has more than
  /// 19 words.
  Result<SearchPage> run_dense(const Txn& t, const SearchRequest& r) const;
  /// The page from lists of matches sorted by item, merged: a cost that
  /// grows with the number of matches, small for small answers.
  Result<SearchPage> run_merged(const Txn& t, const SearchRequest& r) const;
  /// Whether one live item matches (what a cached listing asks when the
  /// index changed).
  bool matches(const Txn& t, ItemKey item) const;

 private:
  Catalog& c_;
  Query q_;
};

/// Parses `text` (now = the clock) and runs it: the API's and the CLI's
/// one call. A malformed query is Errc::invalid_argument with
/// parse_query()'s message.
Result<SearchPage> search(Catalog& c, const Txn& t, std::string_view text, const SearchRequest& r);

}  // namespace lima::index
