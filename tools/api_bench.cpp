#include "api_bench.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <ostream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "baseline_server.h"
#include "progress_log.h"
#include "scratch_mounts.h"
#include "text_table.h"

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr auto kApiTimeout = std::chrono::seconds(60);
constexpr auto kHealthTimeout = std::chrono::seconds(30);
/// Start to mounted: indexing tier M takes a few minutes on a slow disk;
/// far more means trouble.
constexpr auto kStartTimeout = std::chrono::minutes(30);

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// The setup requests: an httplib client that throws on anything but 200.
class SetupClient {
 public:
  explicit SetupClient(const std::string& url) : url_(url), client_(url) {
    client_.set_connection_timeout(5);
    client_.set_read_timeout(60);  // a tag change is answered once the mount shows it
    client_.set_keep_alive(true);
  }

  std::string get(const std::string& path) { return check("GET", path, client_.Get(path)); }
  std::string put(const std::string& path) { return check("PUT", path, client_.Put(path)); }

  /// Whether GET path answers 200 now.
  bool ok(const std::string& path) {
    const auto res = client_.Get(path);
    return res && res->status == 200;
  }

 private:
  std::string check(const char* method, const std::string& path, const httplib::Result& res) {
    if (!res) throw std::runtime_error(std::string(method) + " " + url_ + path + ": " + httplib::to_string(res.error()));
    if (res->status != 200) {
      throw std::runtime_error(std::string(method) + " " + url_ + path + " answered " + std::to_string(res->status) +
                               ": " + res->body);
    }
    return res->body;
  }

  std::string url_;
  httplib::Client client_;
};

json parse_json(const std::string& body, const std::string& what) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error(what + " did not answer JSON: " + body.substr(0, 200));
  return j;
}

/// Every project id, in the API's (name) order.
std::vector<std::uint64_t> list_projects(SetupClient& api) {
  std::vector<std::uint64_t> ids;
  std::string cursor;
  do {
    const std::string path = "/api/v1/projects?limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor);
    const json page = parse_json(api.get(path), path);
    for (const auto& item : page.at("items")) ids.push_back(item.at("id").get<std::uint64_t>());
    cursor = page.at("next_cursor").is_string() ? page.at("next_cursor").get<std::string>() : "";
  } while (!cursor.empty());
  return ids;
}

/// The 1-minute load average; 0 when unknown.
double load_average() {
  double v = 0;
  std::ifstream("/proc/loadavg") >> v;
  return v;
}

std::string rate_text(const WrkResult& r) {
  return fmt("%.0f req/s", r.requests_per_s) + ", p99 " + fmt("%.2f ms", r.p99_ms) + ", max " +
         fmt("%.2f ms", r.latency_max_ms) + (r.clean() ? "" : ", " + std::to_string(r.socket_errors()) +
                                                                 " socket errors, " +
                                                                 std::to_string(r.error_responses) + " errors");
}

/// Runs one load on the daemon, then on the baseline.
void measure(LoadResult& m, const ApiBenchOptions& opt, const ApiBenchResults& res, const Progress& progress) {
  const std::string what = m.load.text() + " GET " + m.path;
  progress(what + " on limafs ...");
  m.limafs = run_wrk(opt.wrk, m.load, res.api_url + m.path, res.reports / (m.id + "-limafs.txt"));
  progress("  limafs:   " + rate_text(m.limafs));
  m.baseline = run_wrk(opt.wrk, m.load, res.baseline_url + m.path, res.reports / (m.id + "-baseline.txt"));
  progress("  baseline: " + rate_text(m.baseline));
}

/// The daemon's answers the baseline hands back.
struct Bodies {
  std::string status, page;
};

/// Whether /status says the view is mounted (the startup sync is over).
bool mounted(SetupClient& api) {
  const json status = parse_json(api.get("/api/v1/status"), "/api/v1/status");
  const auto mount = status.find("mount");
  return mount != status.end() && mount->is_object() && mount->value("mounted", false);
}

/// Waits for /healthz, then for the startup sync and the mount, tags every
/// kTagEvery-th project and fetches the bodies, on one keep-alive
/// connection closed on return: an idle keep-alive connection holds one of
/// the API's threads until its 30 s keep-alive timeout, and the daemon's
/// SIGTERM waits for that thread.
Bodies set_up(DaemonProcess& daemon, ApiBenchResults& res, Clock::time_point started, const Progress& progress) {
  SetupClient api(res.api_url);
  const auto healthy_by = Clock::now() + kHealthTimeout;
  while (!api.ok("/api/v1/healthz")) {
    daemon.check_running();
    if (Clock::now() > healthy_by) throw std::runtime_error("GET /api/v1/healthz did not answer 200 in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  progress("API up at " + res.api_url + " after " + fmt("%.1f s", seconds_since(started)) +
           "; waiting for the startup sync and the mount");
  const auto mounted_by = started + kStartTimeout;
  for (daemon.check_running(); !mounted(api); daemon.check_running()) {
    if (Clock::now() > mounted_by) throw std::runtime_error("the daemon did not mount its view in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  res.startup_s = seconds_since(started);
  progress("daemon serving after " + fmt("%.1f s", res.startup_s));

  const std::vector<std::uint64_t> ids = list_projects(api);
  res.projects = ids.size();
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < ids.size(); i += kTagEvery) {
    const auto put_start = Clock::now();
    api.put("/api/v1/projects/" + std::to_string(ids[i]) + "/tags/" + kBenchTag);
    res.tag_max_ms = std::max(res.tag_max_ms, seconds_since(put_start) * 1000.0);
    ++res.tagged;
  }
  res.tagging_s = seconds_since(t0);
  if (res.tagged == 0) throw std::runtime_error("the library holds no project to tag");
  progress("tagged " + std::to_string(res.tagged) + " of " + std::to_string(res.projects) + " projects '" +
           kBenchTag + "' through the API in " + fmt("%.2f s", res.tagging_s));

  Bodies bodies{api.get(res.status_one.path), api.get(res.tagged_page.path)};
  res.status_bytes = bodies.status.size();
  res.page_bytes = bodies.page.size();
  res.page_items = parse_json(bodies.page, res.tagged_page.path).at("items").size();
  const std::size_t expected = std::min<std::size_t>(res.tagged, kPageLimit);
  if (res.page_items != expected) {
    throw std::runtime_error(res.tagged_page.path + " lists " + std::to_string(res.page_items) +
                             " projects, expected " + std::to_string(expected));
  }
  return bodies;
}

}  // namespace

double LoadResult::rate_ratio() const {
  return baseline.requests_per_s > 0 ? limafs.requests_per_s / baseline.requests_per_s : 0;
}

ApiBenchResults run_api_benchmark(const ApiBenchOptions& opt) {
  const Progress progress(opt.log);
  ApiBenchResults res;
  res.library_dir = bench_library_dir(opt.work, opt.tier, opt.seed);
  res.state = opt.work / "api-state";
  res.mountpoint = opt.work / "api-mnt";
  res.daemon_log = opt.work / "api-daemon.log";
  res.reports = opt.work / "api-wrk";

  res.library = generate_library(res.library_dir, opt.tier, opt.seed, opt.log);  // GenerateError is a runtime_error
  progress(generated_text(res.library, res.library_dir));
  std::error_code ec;
  for (const auto& dir : {res.state, res.reports}) {
    stdfs::remove_all(dir, ec);
    if (ec) throw std::runtime_error("cannot remove " + dir.string() + ": " + ec.message());
  }
  stdfs::create_directories(res.reports, ec);
  if (ec) throw std::runtime_error("cannot create " + res.reports.string() + ": " + ec.message());
  prepare_mountpoint(res.mountpoint);

  res.status_one = {"status-1c", "/api/v1/status", {1, 1, opt.seconds}, {}, {}};
  res.status_many = {"status-64c", "/api/v1/status", {2, 64, opt.seconds}, {}, {}};
  res.tagged_page = {"tagged-page-8c",
                     "/api/v1/projects?tag=" + std::string(kBenchTag) + "&limit=" + std::to_string(kPageLimit),
                     {2, 8, opt.seconds},
                     {},
                     {}};

  progress("starting limafs mount (it indexes the library first; its stderr: " + res.daemon_log.string() + ")");
  const auto started = Clock::now();
  DaemonProcess daemon(opt.limafs, res.library_dir, res.mountpoint, res.state, res.daemon_log);
  res.api_url = daemon.wait_for_api(kApiTimeout);
  const Bodies bodies = set_up(daemon, res, started, progress);
  // The baseline answers the very bytes the daemon answers.
  {
    BaselineServer baseline({{"/api/v1/status", bodies.status}, {"/api/v1/projects", bodies.page}});
    res.baseline_url = baseline.url();
    res.cpus = std::thread::hardware_concurrency();
    res.load_before = load_average();
    measure(res.status_one, opt, res, progress);
    measure(res.status_many, opt, res, progress);
    measure(res.tagged_page, opt, res, progress);
  }

  res.stop = daemon.stop();
  progress("stopped the daemon with SIGTERM: " + res.stop.text());
  if (!opt.keep) stdfs::remove_all(res.state, ec);
  if (!res.stop.mount_left) stdfs::remove(res.mountpoint, ec);  // only when empty
  return res;
}

}  // namespace lima::bench
