#include "index/runs.h"

#include "index/key_codec.h"
#include "index/schema.h"

namespace lima::index {

void RunLog::begin(WriteTxn& t, Run& run) {
  run.id = c_.next_id(t, schema::kRuns);
  update(t, run);
}

void RunLog::update(WriteTxn& t, const Run& run) { t.put(db_.runs, key_u64(run.id), encode(run)); }

std::optional<Run> RunLog::get(const Txn& t, RunId id) const {
  auto v = t.get(db_.runs, key_u64(id));
  if (!v) return std::nullopt;
  return decode_run(id, *v);
}

std::vector<Run> RunLog::list(const Txn& t, std::size_t limit, RunId before) const {
  std::vector<Run> out;
  Cursor c(t, db_.runs);
  // Newest first: from just below `before` (or the last run) backwards.
  bool ok = before == 0 ? c.last() : (c.seek(key_u64(before)) ? c.prev() : c.last());
  for (; ok && out.size() < limit; ok = c.prev())
    if (auto r = decode_run(get_u64(c.key()), c.value())) out.push_back(std::move(*r));
  return out;
}

std::size_t RunLog::close_stale(WriteTxn& t, std::int64_t now_ns) {
  std::vector<Run> stale;
  t.scan_prefix(db_.runs, {}, [&](std::string_view k, std::string_view v) {
    if (auto r = decode_run(get_u64(k), v); r && r->status == RunStatus::running) stale.push_back(std::move(*r));
    return true;
  });
  for (auto& r : stale) {
    r.status = RunStatus::interrupted;
    r.ended_ns = now_ns;
    r.message = "the process running this sync stopped before it finished";
    update(t, r);
  }
  return stale.size();
}

void RunLog::replace_problems(WriteTxn& t, std::string_view scope, const std::vector<Problem>& problems) {
  if (scope.empty()) {
    t.del_prefix(db_.problems, {});
  } else {
    t.del(db_.problems, bounded(scope));
    t.del_prefix(db_.problems, bounded(std::string(scope) + "/"));
  }
  for (const auto& p : problems) t.put(db_.problems, bounded(p.path), encode(p));
}

void RunLog::forget_removed(WriteTxn& t, std::string_view path) {
  const auto key = bounded(path);
  auto v = t.get(db_.problems, key);
  if (!v) return;
  if (auto p = decode_problem(*v); p && p->kind == ProblemKind::removed) t.del(db_.problems, key);
}

std::vector<Problem> RunLog::problems(const Txn& t) const {
  std::vector<Problem> out;
  t.scan_prefix(db_.problems, {}, [&](std::string_view, std::string_view v) {
    if (auto p = decode_problem(v)) out.push_back(std::move(*p));
    return true;
  });
  return out;
}

}  // namespace lima::index
