// The search of today: a query's words must each be a prefix of a token of
// an item's name or of one of its tags (DESIGN §5's full language replaces
// it later). One matcher serves the mount's search/ directories and the
// API's search, so both always agree.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "index/metadata.h"

namespace lima::index {

/// The lowercased words of a query: its runs of letters and digits, so
/// "Benchy.stl" asks for "benchy" and "stl". Empty when the query holds no
/// word (not a valid query).
std::vector<std::string> search_words(std::string_view query);

/// The lowercased tokens of a name: runs of letters and digits (any byte
/// of a multi-byte UTF-8 character counts as a letter), plus the words a
/// run visibly joins ("3DBenchy" also gives "3", "d", "benchy"; "partV2"
/// gives "part", "v", "2"), so a search for "benchy" finds 3DBenchy.stl.
std::vector<std::string> name_tokens(std::string_view name);

/// True when every word is a prefix of at least one token.
bool words_match(const std::vector<std::string>& words, const std::vector<std::string>& tokens);

/// Decides whether items match a query: a live project whose name or tags
/// hold every word, a live asset whose file name or tags do. Keeps the tag
/// tokens it has computed; lives as long as the transaction.
class SearchMatcher {
 public:
  SearchMatcher(Catalog& c, const Txn& t, std::vector<std::string> words)
      : meta_(c), t_(t), words_(std::move(words)) {}
  const std::vector<std::string>& words() const { return words_; }
  bool project(const Project& p);
  bool asset(const Asset& a);

 private:
  bool matches(std::vector<std::string> tokens, const std::vector<TagId>& tags);

  Metadata meta_;
  const Txn& t_;
  std::vector<std::string> words_;
  std::unordered_map<TagId, std::vector<std::string>> tag_tokens_;
};

struct SearchHits {
  std::vector<Project> projects;  ///< by name
  std::vector<Asset> assets;      ///< in id order
};

/// Every live project and asset matching `query` (nothing when it has no word).
SearchHits search(Catalog& c, const Txn& t, std::string_view query);

}  // namespace lima::index
