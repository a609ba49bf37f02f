// Operations: status, health, metrics, the OpenAPI document, sync runs and
// the problem list.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>

#include "http/input.h"
#include "http/status_views.h"
#include "http/write.h"
#include "index/library_root.h"
#include "index/names.h"
#include "index/problems.h"
#include "index/records_json.h"
#include "index/runs.h"

namespace lima::http {

using nlohmann::json;
using index::ReadTxn;

namespace {

index::Catalog& cat(Call& c) { return *c.ctx.catalog; }

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What the daemon's live sync knows (it also notices a library that is
// there but empty, or on another disk), else a look at the root: does it
// open as a directory?
json library_state(Call& c) {
  if (c.ctx.live_status) return library_json(c.ctx.live_status());
  index::RootExpectation look;
  look.list = false;
  return json{{"online", index::probe_library_root(c.ctx.library, look).online()}};
}

bool library_online(Call& c) { return library_state(c).value("online", false); }

json run_json(Call& c, const index::Run& run) {
  json j = index::to_json(run);
  if (run.status == index::RunStatus::running)
    if (auto p = c.ctx.sync->progress(run.id)) j["progress"] = progress_json(*p);
  return j;
}

// /status is asked for often (monitoring, the benchmark's 10,000 req/s): an
// answer is reused for up to a second while nothing was written to the
// index (by a request, a sync, the watcher) and no sync started or ended.
constexpr auto kStatusReuse = std::chrono::seconds(1);

void status(Call& c) {
  auto& cache = c.state.status;
  const auto writes = c.state.writes.load(), syncs = c.ctx.sync->generation();
  // The picture worker's progress changes no index: it is compared too.
  std::uint64_t pictures = 0;
  if (c.ctx.pictures) {
    const auto p = c.ctx.pictures->stats();
    pictures = p.made * 1'000'003u + p.failed * 10'007u + p.queued * 101u + p.running;
  }
  const auto now = std::chrono::steady_clock::now();
  ReadTxn t(cat(c).env());
  // The snapshot's transaction id moves on with every commit, also those
  // a sync makes part way through.
  const std::uint64_t index_txn = t.id();
  {
    std::lock_guard l(cache.mu);
    if (!cache.body.empty() && cache.writes == writes && cache.syncs == syncs && cache.index_txn == index_txn &&
        cache.pictures == pictures &&
        now - cache.made < kStatusReuse) {
      c.res.status = 200;
      c.res.set_content(cache.body, "application/json");
      return;
    }
  }
  const auto runs = index::RunLog(cat(c)).list(t, 1);
  const auto running = c.ctx.sync->running();
  json j;
  j["daemon"] = {{"version", c.ctx.version},
                 {"pid", ::getpid()},
                 {"started_at", index::format_time(c.ctx.started_ns)},
                 {"uptime_s", (now_ns() - c.ctx.started_ns) / 1'000'000'000}};
  j["library"] = {{"path", c.ctx.library.string()}, {"state_dir", cat(c).state_dir().string()}};
  j["library"].update(library_state(c));
  j["mount"] = c.ctx.mount_status ? c.ctx.mount_status() : json(nullptr);
  j["watcher"] = c.ctx.live_status
                     ? watcher_json(c.ctx.live_status())
                     : json{{"state", "off"}, {"reason", "changes are picked up by syncs (limafs sync, POST /api/v1/sync/runs)"}};
  j["pictures"] = c.ctx.pictures ? pictures_json(c.ctx.pictures->stats()) : json(nullptr);
  j["counts"] = index::to_json(cat(c).counts(t));
  j["last_run"] = runs.empty() ? json(nullptr) : run_json(c, runs.front());
  j["running_run"] = running ? json(*running) : json(nullptr);
  reply(c.res, 200, j);
  std::lock_guard l(cache.mu);
  cache.body = c.res.body;
  cache.writes = writes;
  cache.syncs = syncs;
  cache.index_txn = index_txn;
  cache.pictures = pictures;
  cache.made = now;
}

void healthz(Call& c) {
  try {
    ReadTxn t(cat(c).env());
    (void)cat(c).counts(t);
  } catch (const std::exception& e) {
    throw ApiError(503, code::busy, std::string("the index cannot be read: ") + e.what());
  }
  reply(c.res, 200, json{{"status", "ok"}, {"library_online", library_online(c)}});
}

void gauge(std::ostringstream& o, const char* name, const char* help, std::uint64_t v) {
  o << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n" << name << " " << v << "\n";
}

void metrics(Call& c) {
  std::ostringstream o;
  {
    ReadTxn t(cat(c).env());
    const auto n = cat(c).counts(t);
    gauge(o, "limafs_index_projects", "Live projects in the index.", n.projects);
    gauge(o, "limafs_index_assets", "Live assets in the index.", n.assets);
    gauge(o, "limafs_index_tombstoned_projects", "Projects gone from disk, kept with their metadata.",
          n.tombstoned_projects);
    gauge(o, "limafs_index_tombstoned_assets", "Assets gone from disk, kept with their metadata.", n.tombstoned_assets);
    gauge(o, "limafs_index_tags", "Tags.", n.tags);
    gauge(o, "limafs_index_collections", "Collections.", n.collections);
    gauge(o, "limafs_index_problems", "Problems found by the last syncs.", n.problems);
  }
  if (c.ctx.live_status)
    o << live_metrics_text(c.ctx.live_status());
  else
    gauge(o, "limafs_library_online", "1 while the library root is there and readable.", library_online(c) ? 1 : 0);
  o << sync_metrics_text(c.ctx.sync->metrics());
  if (c.ctx.pictures) o << picture_metrics_text(c.ctx.pictures->stats());
  if (c.ctx.extra_metrics) o << c.ctx.extra_metrics();
  if (c.ctx.http_metrics) o << c.ctx.http_metrics();
  c.res.status = 200;
  c.res.set_content(o.str(), "text/plain; version=0.0.4; charset=utf-8");
}

void openapi(Call& c) {
  c.res.status = 200;
  c.res.set_content(std::string(ApiServer::openapi_document()), "application/json");
}

// -- sync --

void start_run(Call& c) {
  const auto body = json_object(c.body, {"mode", "scope"}, true);
  index::Mode mode = index::Mode::incremental;
  if (auto m = opt_string(body, "mode")) {
    auto parsed = index::parse_mode(*m);
    if (!parsed) throw_invalid("field 'mode' must be 'incremental' or 'verify'");
    mode = *parsed;
  }
  auto scope = index::normalize_scope(opt_string(body, "scope").value_or(""));
  if (!scope) throw to_api_error(scope.error());
  if (!scope->empty()) {
    // Checked here too, so that a request made while a run goes on is
    // refused rather than answered with that run.
    struct stat st {};
    const bool folder = ::stat((c.ctx.library / *scope).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    ReadTxn t(cat(c).env());
    if (!folder && !cat(c).project_id_by_name(t, *scope))
      throw_not_found("there is no folder '" + index::printable(*scope) + "' in the library");
  }
  auto started = c.ctx.sync->start(mode, *scope, index::Trigger::api);
  if (!started) throw to_api_error(started.error());
  c.res.set_header("Location", "/api/v1/sync/runs/" + std::to_string(started->run.id));
  reply(c.res, started->started ? 202 : 200, run_json(c, started->run));
}

void list_runs(Call& c) {
  const auto pg = read_page(c.req, "runs");
  index::RunId before = 0;
  if (pg.has_cursor) before = parse_id(pg.after, "run");
  ReadTxn t(cat(c).env());
  auto runs = index::RunLog(cat(c)).list(t, pg.limit + 1, before);
  std::optional<std::string> next;
  if (runs.size() > pg.limit) {
    runs.pop_back();
    next = make_cursor("runs", std::to_string(runs.back().id));
  }
  json items = json::array();
  for (const auto& r : runs) items.push_back(run_json(c, r));
  reply(c.res, 200, json{{"items", items}, {"next_cursor", next ? json(*next) : json(nullptr)}});
}

void get_run(Call& c) {
  const auto id = parse_id(c.params[0], "run");
  ReadTxn t(cat(c).env());
  auto run = index::RunLog(cat(c)).get(t, id);
  if (!run) throw_not_found("no sync run with id " + std::to_string(id));
  reply(c.res, 200, run_json(c, *run));
}

// Cancels the running run: 202 with the run, which ends `cancelled` at its
// next safe point (poll it like a started one).
void cancel_run(Call& c) {
  const auto id = parse_id(c.params[0], "run");
  auto run = c.ctx.sync->cancel_run(id);
  if (!run) throw to_api_error(run.error());
  c.res.set_header("Location", "/api/v1/sync/runs/" + std::to_string(id));
  reply(c.res, 202, run_json(c, *run));
}

// kind=a,b,…: the kinds asked for; all when absent.
std::vector<bool> kinds_wanted(const httplib::Request& req) {
  std::vector<bool> wanted(256, !req.has_param("kind"));
  if (!req.has_param("kind")) return wanted;
  const std::string list = req.get_param_value("kind");
  for (std::size_t start = 0; start <= list.size();) {
    const std::size_t end = std::min(list.find(',', start), list.size());
    const std::string_view name(list.data() + start, end - start);
    const auto kind = index::parse_problem_kind(name);
    if (!kind) {
      std::string known;
      for (auto k : index::kProblemKinds) known += (known.empty() ? "" : ", ") + std::string(index::to_string(k));
      throw_invalid("parameter 'kind': there is no problem kind '" + index::printable(name) + "' (kinds: " + known +
                    ")");
    }
    wanted[static_cast<std::uint8_t>(*kind)] = true;
    start = end + 1;
  }
  return wanted;
}

// The list is sorted by path, then kind name: a cursor is the last item's
// "<kind>/<path>", and the next page starts after it.
std::string problem_key(const index::Problem& p) { return std::string(index::to_string(p.kind)) + "/" + p.path; }

// The report of the index as it is now: made again only when something was
// committed since the last one (one making at a time; the others wait for
// it and share it).
std::shared_ptr<const ProblemReport> problem_report(Call& c) {
  ReadTxn t(cat(c).env());
  auto& cache = c.state.problems;
  std::lock_guard l(cache.mu);
  if (cache.report && cache.index_txn >= t.id()) return cache.report;
  ProblemReport r;
  r.all = index::library_problems(cat(c), t);
  r.counts = index::count_by_kind(r.all);
  cache.report = std::make_shared<const ProblemReport>(std::move(r));
  cache.index_txn = t.id();
  return cache.report;
}

void problems(Call& c) {
  const auto pg = read_page(c.req, "problems");
  const auto wanted = kinds_wanted(c.req);
  std::string_view after_kind, after_path;
  if (pg.has_cursor) {
    const auto slash = pg.after.find('/');
    if (slash == std::string::npos || !index::parse_problem_kind(std::string_view(pg.after).substr(0, slash)))
      throw_invalid("parameter 'cursor' is not a cursor of this list (pass back the next_cursor of a page)");
    after_kind = std::string_view(pg.after).substr(0, slash);
    after_path = std::string_view(pg.after).substr(slash + 1);
  }
  const auto report = problem_report(c);
  const auto& all = report->all;
  json counts = json::object();
  for (auto k : index::kProblemKinds) counts[std::string(index::to_string(k))] = 0;
  for (const auto& [k, n] : report->counts) counts[std::string(index::to_string(k))] = n;

  json items = json::array();
  std::optional<std::string> next;
  const index::Problem* last = nullptr;
  // The page starts after the cursor's item: found by bisection in the
  // sorted report.
  auto from = all.begin();
  if (pg.has_cursor)
    from = std::upper_bound(all.begin(), all.end(), std::pair{after_path, after_kind},
                            [](const std::pair<std::string_view, std::string_view>& a, const index::Problem& p) {
                              const std::string_view path = p.path;
                              return a.first < path || (a.first == path && a.second < index::to_string(p.kind));
                            });
  for (auto it = from; it != all.end(); ++it) {
    const auto& p = *it;
    if (!wanted[static_cast<std::uint8_t>(p.kind)]) continue;
    if (items.size() == pg.limit) {
      next = make_cursor("problems", problem_key(*last));
      break;
    }
    items.push_back(index::to_json(p));
    last = &p;
  }
  reply(c.res, 200, json{{"items", items}, {"next_cursor", next ? json(*next) : json(nullptr)}, {"counts", counts}});
}

}  // namespace

void add_ops_routes(std::vector<Route>& out) {
  out.insert(out.end(), {
      {"GET", "/openapi.json", Body::none, openapi},
      {"GET", "/api/v1/status", Body::none, status},
      {"GET", "/api/v1/healthz", Body::none, healthz},
      {"GET", "/api/v1/metrics", Body::none, metrics},
      {"POST", "/api/v1/sync/runs", Body::json, start_run},
      {"GET", "/api/v1/sync/runs", Body::none, list_runs},
      {"GET", "/api/v1/sync/runs/{id}", Body::none, get_run},
      {"DELETE", "/api/v1/sync/runs/{id}", Body::none, cancel_run},
      {"GET", "/api/v1/problems", Body::none, problems},
  });
}

}  // namespace lima::http
