// Saved searches: a name for a query of the search language (DESIGN §5),
// kept in the index (saved_searches:name, schema.h) and answered afresh
// whenever it is read. Names follow the one naming rule of tags and
// collections (names.h); a query is kept only when it parses.
//
// Every call runs inside the caller's transaction; each write records
// Changes::saved_searches so cached views of searches/ are dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "index/catalog.h"

namespace lima::index {

struct SavedSearch {
  std::string name;
  std::string query;            ///< the text as the user typed it
  std::int64_t created_ns = 0;  ///< when it was first saved
};

/// The record value of saved_searches:name (schema.h), and back; nullopt
/// for a value this version cannot read.
std::string encode(const SavedSearch& s);
std::optional<SavedSearch> decode_saved_search(std::string_view name, std::string_view v);

/// Checks that `text` parses as a query: Errc::invalid_argument with the
/// parser's message otherwise. `column` (when given) receives the parser's
/// 1-based column of the fault.
Result<void> validate_query(std::string_view text, std::size_t* column = nullptr);

class SavedSearches {
 public:
  explicit SavedSearches(Catalog& c) : c_(c), db_(c.db()) {}

  /// Every saved search by name (byte order), starting after `after` ("" =
  /// from the first), at most `limit` of them (0: all).
  std::vector<SavedSearch> list(const Txn& t, std::string_view after = {}, std::size_t limit = 0) const;
  /// The saved search named `name`, or nullopt.
  std::optional<SavedSearch> get(const Txn& t, std::string_view name) const;
  /// Saves `query` under a new `name` (created now). A name breaking the
  /// rule or a query that does not parse: invalid_argument; a name in use:
  /// conflict.
  Result<SavedSearch> create(WriteTxn& t, std::string_view name, std::string_view query);
  /// Keeps `created` as given (imports); otherwise like create().
  Result<SavedSearch> put_new(WriteTxn& t, const SavedSearch& s);
  /// Renames; the new name must be free (conflict) and follow the rule.
  /// Renaming to the same name changes nothing. Missing: not_found.
  Result<SavedSearch> rename(WriteTxn& t, std::string_view from, std::string_view to);
  /// Replaces the query of an existing saved search (not_found otherwise).
  Result<SavedSearch> set_query(WriteTxn& t, std::string_view name, std::string_view query);
  /// Deletes one. Missing: not_found.
  Result<void> remove(WriteTxn& t, std::string_view name);

 private:
  Result<SavedSearch> need(const Txn& t, std::string_view name) const;
  void put(WriteTxn& t, const SavedSearch& s);

  Catalog& c_;
  const Tables& db_;
};

}  // namespace lima::index
