// Operations: status, health, metrics, the OpenAPI document, sync runs and
// the problem list.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <sstream>

#include "http/input.h"
#include "http/write.h"
#include "index/names.h"
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

bool library_online(const std::filesystem::path& library) {
  struct stat st {};
  return ::stat(library.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && ::access(library.c_str(), R_OK | X_OK) == 0;
}

json run_json(Call& c, const index::Run& run) {
  json j = index::to_json(run);
  if (auto p = c.ctx.sync->progress(run.id)) j["progress"] = *p;
  return j;
}

// /status is asked for often (monitoring, the benchmark's 10,000 req/s): an
// answer is reused for up to a second while no request changed anything
// and no sync started or ended.
constexpr auto kStatusReuse = std::chrono::seconds(1);

void status(Call& c) {
  auto& cache = c.state.status;
  const auto writes = c.state.writes.load(), syncs = c.ctx.sync->generation();
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard l(cache.mu);
    if (!cache.body.empty() && cache.writes == writes && cache.syncs == syncs && now - cache.made < kStatusReuse) {
      c.res.status = 200;
      c.res.set_content(cache.body, "application/json");
      return;
    }
  }
  ReadTxn t(cat(c).env());
  const auto runs = index::RunLog(cat(c)).list(t, 1);
  const auto running = c.ctx.sync->running();
  json j;
  j["daemon"] = {{"version", c.ctx.version},
                 {"pid", ::getpid()},
                 {"started_at", index::format_time(c.ctx.started_ns)},
                 {"uptime_s", (now_ns() - c.ctx.started_ns) / 1'000'000'000}};
  j["library"] = {{"path", c.ctx.library.string()},
                  {"online", library_online(c.ctx.library)},
                  {"state_dir", cat(c).state_dir().string()}};
  j["mount"] = c.ctx.mount_status ? c.ctx.mount_status() : json(nullptr);
  j["watcher"] = {{"state", "off"}, {"reason", "changes are picked up by syncs (limafs sync, POST /api/v1/sync/runs)"}};
  j["counts"] = index::to_json(cat(c).counts(t));
  j["last_run"] = runs.empty() ? json(nullptr) : run_json(c, runs.front());
  j["running_run"] = running ? json(*running) : json(nullptr);
  reply(c.res, 200, j);
  std::lock_guard l(cache.mu);
  cache.body = c.res.body;
  cache.writes = writes;
  cache.syncs = syncs;
  cache.made = now;
}

void healthz(Call& c) {
  try {
    ReadTxn t(cat(c).env());
    (void)cat(c).counts(t);
  } catch (const std::exception& e) {
    throw ApiError(503, code::busy, std::string("the index cannot be read: ") + e.what());
  }
  reply(c.res, 200, json{{"status", "ok"}, {"library_online", library_online(c.ctx.library)}});
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
  gauge(o, "limafs_library_online", "1 while the library root is there and readable.",
        library_online(c.ctx.library) ? 1 : 0);
  o << c.ctx.sync->metrics();
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

void problems(Call& c) {
  const auto pg = read_page(c.req, "problems");
  std::size_t start = 0;
  if (pg.has_cursor) start = static_cast<std::size_t>(parse_id(pg.after, "problem"));
  ReadTxn t(cat(c).env());
  const auto all = index::RunLog(cat(c)).problems(t);
  json items = json::array();
  std::optional<std::string> next;
  for (std::size_t i = start; i < all.size(); ++i) {
    if (items.size() == pg.limit) {
      next = make_cursor("problems", std::to_string(i));
      break;
    }
    items.push_back(index::to_json(all[i]));
  }
  reply(c.res, 200, json{{"items", items}, {"next_cursor", next ? json(*next) : json(nullptr)}});
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
      {"GET", "/api/v1/problems", Body::none, problems},
  });
}

}  // namespace lima::http
