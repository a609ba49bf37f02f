// The run history (every sync, with its counts and first problems) and the
// current problem list of the library.
#pragma once

#include <optional>
#include <vector>

#include "index/catalog.h"

namespace lima::index {

class RunLog {
 public:
  explicit RunLog(Catalog& c) : c_(c), db_(c.db()) {}

  /// Records a new run (status running); fills in run.id.
  void begin(WriteTxn& t, Run& run);
  /// Stores the run's final state.
  void update(WriteTxn& t, const Run& run);
  std::optional<Run> get(const Txn& t, RunId id) const;
  /// Runs newest first; at most `limit`, starting below `before` (0: newest).
  std::vector<Run> list(const Txn& t, std::size_t limit, RunId before = 0) const;
  /// Marks runs still "running" as interrupted (their process died). Call
  /// only while holding the writer lock. Returns how many.
  std::size_t close_stale(WriteTxn& t, std::int64_t now_ns);

  /// Replaces the problems under `scope` ("" = all) with `problems`.
  void replace_problems(WriteTxn& t, std::string_view scope, const std::vector<Problem>& problems);
  std::vector<Problem> problems(const Txn& t) const;
  /// Forgets that `path` was removed (it came back), if a sync said so.
  void forget_removed(WriteTxn& t, std::string_view path);

 private:
  Catalog& c_;
  const Tables& db_;
};

}  // namespace lima::index
