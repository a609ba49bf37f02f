// The search benchmark's baseline: SQLite FTS5 over the same documents the
// daemon searches, one row per project and per asset, in a database file
// of its own. The table:
//
//   CREATE VIRTUAL TABLE docs USING fts5(name, tags, path, notes, project,
//       tokenize = "unicode61 remove_diacritics 2", prefix = '1 2 3')
//
// rowid = the daemon's item key without its top bit: a project's id, or an
// asset's id plus kAssetRowBase, so a result names the same item on both
// sides.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace lima::bench {

/// One searchable item as the daemon lists it.
struct SearchDoc {
  std::int64_t rowid = 0;
  std::string name;     ///< project folder name; asset file name
  std::string tags;     ///< its tags, space-separated
  std::string path;     ///< an asset's folders inside its project ("" for projects)
  std::string notes;
  std::string project;  ///< an asset's project name ("" for projects)
};

/// Assets' rowids start here (projects' ids stay below).
inline constexpr std::int64_t kAssetRowBase = std::int64_t{1} << 40;

class FtsBaseline {
 public:
  /// Creates (replacing) the database file. Throws std::runtime_error.
  explicit FtsBaseline(const std::filesystem::path& file);
  ~FtsBaseline();
  FtsBaseline(const FtsBaseline&) = delete;
  FtsBaseline& operator=(const FtsBaseline&) = delete;

  /// Inserts every document in one transaction and optimizes the index.
  void build(const std::vector<SearchDoc>& docs);

  /// A prepared `SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY rank
  /// LIMIT n` (n = 0: no LIMIT).
  class Query {
   public:
    Query(FtsBaseline& db, const std::string& match, int limit);
    ~Query();
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    /// Runs it; the rowids in rank order. Throws std::runtime_error.
    std::vector<std::int64_t> run();

   private:
    sqlite3_stmt* stmt_ = nullptr;
    std::string match_;
  };

 private:
  void exec(const std::string& sql);
  sqlite3* db_ = nullptr;
};

}  // namespace lima::bench
