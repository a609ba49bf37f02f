// Item filters: whether one item matches a query part, decided from the
// item's own records (its name, folders, note, tags, collections, size and
// times). Parts that select no set of their own (exclusions, has:,
// missing:, size:, modified:, added:) are checked this way on the items
// the other parts selected; a cached listing asks it of the items it
// holds when the index changed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "index/catalog.h"
#include "index/metadata.h"
#include "index/query.h"
#include "index/word_index.h"

namespace lima::index {

/// One live item's records, read once and kept for the checks.
struct ItemFacts {
  ItemKey item = 0;
  std::optional<Project> project;  ///< a project itself (not read for an asset)
  std::optional<Asset> asset;      ///< for an asset
  std::string name;                ///< folder name / file name
  bool live = false;
};

class ItemFilter {
 public:
  ItemFilter(Catalog& c, const Txn& t) : c_(c), t_(t), meta_(c) {}
  /// The item's records; `live` is false for a tombstone or an unknown key.
  ItemFacts facts(ItemKey item) const;
  /// Whether the item matches `n`.
  bool matches(const QueryNode& n, const ItemFacts& f) const;

 private:
  bool words_match(const QueryNode& n, const ItemFacts& f) const;
  bool has(std::string_view what, const ItemFacts& f) const;
  std::vector<std::string> texts(Field field, const ItemFacts& f) const;

  Catalog& c_;
  const Txn& t_;
  Metadata meta_;
};

/// Whether `n` selects a set of its own (words, type, ext, and AND / OR
/// of parts that do) rather than only filtering one.
bool selects(const QueryNode& n);

}  // namespace lima::index
