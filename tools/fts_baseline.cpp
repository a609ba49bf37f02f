#include "fts_baseline.h"

#include <sqlite3.h>

#include <stdexcept>

namespace lima::bench {

namespace stdfs = std::filesystem;

FtsBaseline::FtsBaseline(const stdfs::path& file) {
  std::error_code ec;
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) stdfs::remove(file.string() + suffix, ec);
  if (sqlite3_open(file.c_str(), &db_) != SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error("cannot open " + file.string() + ": " + why);
  }
  exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;");
  exec("CREATE VIRTUAL TABLE docs USING fts5(name, tags, path, notes, project, "
       "tokenize = \"unicode61 remove_diacritics 2\", prefix = '1 2 3')");
}

FtsBaseline::~FtsBaseline() { sqlite3_close(db_); }

void FtsBaseline::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string why = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw std::runtime_error("SQLite: " + sql.substr(0, 60) + ": " + why);
  }
}

void FtsBaseline::build(const std::vector<SearchDoc>& docs) {
  exec("BEGIN");
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, "INSERT INTO docs(rowid, name, tags, path, notes, project) VALUES (?, ?, ?, ?, ?, ?)",
                         -1, &st, nullptr) != SQLITE_OK) {
    throw std::runtime_error(std::string("SQLite: cannot prepare the insert: ") + sqlite3_errmsg(db_));
  }
  for (const auto& d : docs) {
    sqlite3_bind_int64(st, 1, d.rowid);
    int col = 2;
    for (const std::string* s : {&d.name, &d.tags, &d.path, &d.notes, &d.project}) {
      sqlite3_bind_text(st, col++, s->data(), static_cast<int>(s->size()), SQLITE_STATIC);
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
      const std::string why = sqlite3_errmsg(db_);
      sqlite3_finalize(st);
      throw std::runtime_error("SQLite: insert of '" + d.name + "' failed: " + why);
    }
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  exec("COMMIT");
  exec("INSERT INTO docs(docs) VALUES ('optimize')");
}

FtsBaseline::Query::Query(FtsBaseline& db, const std::string& match, int limit) : match_(match) {
  std::string sql = "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY rank";
  if (limit > 0) sql += " LIMIT " + std::to_string(limit);
  if (sqlite3_prepare_v2(db.db_, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
    throw std::runtime_error(std::string("SQLite: cannot prepare a query: ") + sqlite3_errmsg(db.db_));
  }
  sqlite3_bind_text(stmt_, 1, match_.data(), static_cast<int>(match_.size()), SQLITE_STATIC);
}

FtsBaseline::Query::~Query() { sqlite3_finalize(stmt_); }

std::vector<std::int64_t> FtsBaseline::Query::run() {
  std::vector<std::int64_t> out;
  int rc;
  while ((rc = sqlite3_step(stmt_)) == SQLITE_ROW) out.push_back(sqlite3_column_int64(stmt_, 0));
  sqlite3_reset(stmt_);
  if (rc != SQLITE_DONE) {
    throw std::runtime_error("SQLite: MATCH '" + match_ + "' failed: " + sqlite3_errmsg(sqlite3_db_handle(stmt_)));
  }
  return out;
}

}  // namespace lima::bench
