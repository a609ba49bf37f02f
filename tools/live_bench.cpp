#include "live_bench.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <ostream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "daemon_api.h"
#include "library_scratch.h"
#include "progress_log.h"
#include "scratch_mounts.h"
#include "text_table.h"

extern char** environ;

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kApiTimeout = 60s;
constexpr auto kHealthTimeout = 30s;
/// Start to mounted: indexing tier M takes a few minutes on a slow disk.
constexpr auto kStartTimeout = std::chrono::minutes(30);
/// For the daemon to finish what it was doing before the next step.
constexpr std::chrono::milliseconds kQuietTimeout = 120s;
/// For the index to forget what the benchmark wrote, once removed.
constexpr std::chrono::milliseconds kCleanupTimeout = 60s;
/// Between the latency series, and before the idle window.
constexpr auto kSettle = 2s;
/// Samples of the scoped-sync baseline (each one a sync run recorded).
constexpr int kMaxScopedSamples = 50;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// Restores the library on every way out of the benchmark.
class ScratchSweeper {
 public:
  explicit ScratchSweeper(stdfs::path library) : library_(std::move(library)) {}
  ~ScratchSweeper() {
    try {
      sweep_scratch(library_);
    } catch (const std::exception&) {
      // Reported by the sweep on the normal way out; nothing more to do here.
    }
  }
  ScratchSweeper(const ScratchSweeper&) = delete;
  ScratchSweeper& operator=(const ScratchSweeper&) = delete;

 private:
  stdfs::path library_;
};

/// An idle `sleep` for the baseline of the idle window; killed on scope exit.
class SleepProcess {
 public:
  explicit SleepProcess(std::chrono::seconds length) {
    std::string name = "sleep", seconds = std::to_string(length.count());
    char* argv[] = {name.data(), seconds.data(), nullptr};
    if (const int err = ::posix_spawnp(&pid_, "sleep", nullptr, nullptr, argv, environ); err != 0) {
      throw std::runtime_error(std::string("cannot start sleep: ") + std::strerror(err));
    }
  }
  ~SleepProcess() {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  SleepProcess(const SleepProcess&) = delete;
  SleepProcess& operator=(const SleepProcess&) = delete;

  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

/// The 1-minute load average; 0 when unknown.
double load_average() {
  double v = 0;
  std::ifstream("/proc/loadavg") >> v;
  return v;
}

void remove_dir(const stdfs::path& dir) {
  std::error_code ec;
  stdfs::remove_all(dir, ec);
  if (ec) throw std::runtime_error("cannot remove " + dir.string() + ": " + ec.message());
}

/// Whether /status says the view is mounted (the startup sync is over).
bool mounted(DaemonApi& api) {
  const nlohmann::json status = api.get("/api/v1/status");
  const auto mount = status.find("mount");
  return mount != status.end() && mount->is_object() && mount->value("mounted", false);
}

/// Waits for /healthz, the mount, a started watcher and a quiet daemon.
void wait_serving(DaemonProcess& daemon, DaemonApi& api, Clock::time_point started, const Progress& progress) {
  const auto healthy_by = Clock::now() + kHealthTimeout;
  while (!api.healthy()) {
    daemon.check_running();
    if (Clock::now() > healthy_by) throw std::runtime_error("GET /api/v1/healthz did not answer 200 in time");
    std::this_thread::sleep_for(20ms);
  }
  progress("API up at " + api.url() + " after " + fmt("%.1f s", seconds_since(started)) +
           "; waiting for the startup sync and the mount");
  for (daemon.check_running(); !mounted(api); daemon.check_running()) {
    if (Clock::now() > started + kStartTimeout) throw std::runtime_error("the daemon did not mount its view in time");
    std::this_thread::sleep_for(50ms);
  }
  const auto watching_by = Clock::now() + kQuietTimeout;
  while (watcher_info(api).state == "starting" || !daemon_quiet(api)) {
    daemon.check_running();
    if (Clock::now() > watching_by) throw std::runtime_error("the daemon did not settle after its startup sync");
    std::this_thread::sleep_for(50ms);
  }
}

/// `limafs scan LIBRARY --state STATE --json [extra...]`, timed.
ScanRun fresh_scan(const LiveBenchOptions& opt, const stdfs::path& library, const stdfs::path& state,
                   const std::vector<std::string>& extra, const std::string& name) {
  remove_dir(state);
  std::vector<std::string> argv = {opt.limafs.string(), "scan", library.string(), "--state", state.string(), "--json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const stdfs::path out = opt.work / ("live-" + name + ".json"), err = opt.work / ("live-" + name + ".log");
  ScanRun s;
  for (const auto& a : argv) s.command += (s.command.empty() ? "" : " ") + a;
  const ChildResult r = run_child(argv, err, out);
  s.seconds = r.seconds;
  s.exit_code = r.exit_code;
  if (r.exit_code != 0 && r.exit_code != 3) {  // 3: finished, some items not indexed
    throw std::runtime_error(s.command + " failed (" + r.describe() + "): " + file_tail(err));
  }
  std::ifstream in(out);
  const nlohmann::json run = nlohmann::json::parse(in, nullptr, false);
  if (!run.is_discarded() && run.contains("counts")) s.added = run["counts"].value("added", std::uint64_t{0});
  return s;
}

std::string latency_text(const LatencySeries& s) {
  std::string text = fmt("p50 %.1f ms", s.visible.percentile(0.5)) + fmt(", p99 %.1f ms", s.visible.percentile(0.99)) +
                     fmt(", max %.1f ms", s.visible.max()) + " over " + std::to_string(s.visible.ms.size()) + " samples";
  if (s.timeouts) text += ", " + std::to_string(s.timeouts) + " timed out";
  if (s.gave_up) text += " (gave up: the daemon does not pick new files up)";
  return text;
}

void measure_latency(LiveBenchResults& res, const LiveBenchOptions& opt, const LibraryPlan& plan,
                     const std::string& prefix, DaemonApi& api, const Progress& progress) {
  CreateProbe probe(res.library_dir, plan, prefix, opt.seed);
  const stdfs::path view = res.mountpoint / "projects";
  LatencyOptions paced;
  paced.samples = opt.samples;
  paced.pause_min = 50ms;
  paced.pause_max = 100ms;
  LatencyOptions back_to_back = paced;
  back_to_back.pause_min = back_to_back.pause_max = 0ms;

  const auto settle = [&] {
    if (!wait_quiet(api, kQuietTimeout)) throw std::runtime_error("the daemon did not settle between latency series");
    std::this_thread::sleep_for(kSettle);
  };
  progress("latency: " + std::to_string(opt.samples) + " creates probed in the library itself (the floor)");
  res.floor = probe.run(res.library_dir, back_to_back);
  progress("  " + latency_text(res.floor));
  settle();
  progress("latency: " + std::to_string(opt.samples) + " creates probed in the mount, 50-100 ms apart");
  res.paced = probe.run(view, paced);
  progress("  " + latency_text(res.paced));
  settle();
  if (!res.paced.gave_up) {
    progress("latency: " + std::to_string(opt.samples) + " creates probed in the mount, back to back");
    res.back_to_back = probe.run(view, back_to_back);
    progress("  " + latency_text(res.back_to_back));
    settle();
  }
  LatencyOptions scoped = paced;
  scoped.samples = std::min(opt.samples, kMaxScopedSamples);
  progress("latency: " + std::to_string(scoped.samples) +
           " creates, each followed by POST /api/v1/sync/runs for its folder, probed in the mount");
  res.scoped_sync = probe.run(view, scoped, [&api](const std::string& folder) {
    api.post("/api/v1/sync/runs", {{"scope", folder}});
  });
  progress("  " + latency_text(res.scoped_sync));
  settle();
}

void measure_burst(LiveBenchResults& res, const LiveBenchOptions& opt, const std::string& prefix, DaemonApi& api,
                   const Progress& progress) {
  // 60 s for 50,000 files (12 times the target), at least 10 s.
  res.burst_timeout = std::chrono::milliseconds(
      std::clamp<std::int64_t>(static_cast<std::int64_t>(opt.burst) * 60'000 / 50'000, 10'000, 60'000));
  const std::uint64_t last_run = newest_run_id(api);
  progress("burst: writing " + std::to_string(opt.burst) + " files into a new project " + prefix + "burst");
  res.burst = write_burst(res.library_dir, prefix + "burst", opt.burst, opt.seed);
  progress("  written in " + fmt("%.2f s", res.burst.write_s) + " (" + std::to_string(res.burst.folders) +
           " folders); waiting for the index to hold them all");
  res.burst_wait = wait_for_assets(api, [&] { return project_assets(api, res.burst.project); }, opt.burst,
                                   res.burst.ended, res.burst_timeout);
  if (res.burst_wait.reached) {
    progress("  fully indexed " + fmt("%.2f s", res.burst_wait.seconds) + " after the burst ended");
  } else {
    progress("  not fully indexed after " + fmt("%.0f s", res.burst_wait.seconds) + ": " +
             std::to_string(res.burst_wait.last_count) + " of " + std::to_string(opt.burst) + " files");
    wait_quiet(api, kQuietTimeout);
  }
  res.burst_runs = runs_since(api, last_run);
  progress("  " + std::to_string(res.burst_runs.runs) + " sync runs recorded, " +
           std::to_string(res.burst_runs.by_trigger["watcher"]) + " by the watcher");

  progress("fresh scan of the whole library into " + res.fresh_state.string());
  res.fresh_scan = fresh_scan(opt, res.library_dir, res.fresh_state, {}, "fresh-scan");
  progress("  " + fmt("%.2f s", res.fresh_scan.seconds) + "; comparing it with the daemon's index");
  res.diff = compare_indexes(res.state, "the daemon's index", res.fresh_state, "the fresh scan's");
  progress(res.diff.equal() ? "  equal (" + std::to_string(res.diff.left_assets) + " live assets)"
                            : "  NOT equal: " + std::to_string(res.diff.only_left) + " only in the daemon's, " +
                                  std::to_string(res.diff.only_right) + " only in the fresh scan's, " +
                                  std::to_string(res.diff.differing) + " differing");
  progress("fresh scan of the burst project alone (the baseline)");
  res.burst_scan = fresh_scan(opt, res.library_dir, res.fresh_burst_state, {"--project", res.burst.project},
                              "burst-scan");
  progress("  " + fmt("%.2f s", res.burst_scan.seconds));
}

/// Removes what the benchmark wrote and waits until the index holds the
/// generated library's files again, and nothing else.
void restore_library(LiveBenchResults& res, DaemonApi& api, const Progress& progress) {
  const auto start = Clock::now();
  const std::size_t removed = sweep_scratch(res.library_dir);
  progress("removed the " + std::to_string(removed) + " files and folders written; waiting for the index to hold the " +
           std::to_string(res.library.files) + " generated files only");
  res.cleanup_wait = wait_for_assets(api, [&] { return index_assets(api); }, res.library.files, start, kCleanupTimeout);
  progress(res.cleanup_wait.reached ? "  caught up after " + fmt("%.2f s", res.cleanup_wait.seconds)
                                    : "  not caught up after " + fmt("%.0f s", res.cleanup_wait.seconds) +
                                          ": the index holds " + std::to_string(res.cleanup_wait.last_count) +
                                          " files");
}

void measure_idle_window(LiveBenchResults& res, const LiveBenchOptions& opt, DaemonProcess& daemon,
                         const Progress& progress) {
  std::this_thread::sleep_for(kSettle);
  daemon.check_running();
  const auto window = std::chrono::seconds(opt.idle_seconds);
  progress("idle: sampling the daemon (pid " + std::to_string(daemon.pid()) + ") and an idle sleep for " +
           std::to_string(opt.idle_seconds) + " s");
  SleepProcess sleeper(window + 10s);
  const auto usage = measure_idle({daemon.pid(), sleeper.pid()}, window);
  res.idle = usage[0];
  res.idle_baseline = usage[1];
  progress("  daemon: " + fmt("%.2f %% CPU", res.idle.cpu_percent) +
           fmt(", RSS %.1f MiB", static_cast<double>(res.idle.rss_max_kib) / 1024.0) +
           fmt(", %.1f wake-ups/s", res.idle.wakeups_per_s));
}

}  // namespace

LiveBenchResults run_live_benchmark(const LiveBenchOptions& opt) {
  const Progress progress(opt.log);
  LiveBenchResults res;
  res.library_dir = bench_library_dir(opt.work, opt.tier, opt.seed);
  res.state = opt.work / "live-state";
  res.mountpoint = opt.work / "live-mnt";
  res.daemon_log = opt.work / "live-daemon.log";
  res.fresh_state = opt.work / "live-fresh-state";
  res.fresh_burst_state = opt.work / "live-fresh-burst-state";

  res.library = generate_library(res.library_dir, opt.tier, opt.seed, opt.log);  // GenerateError is a runtime_error
  progress(generated_text(res.library, res.library_dir));
  const LibraryPlan plan = plan_library(opt.tier, opt.seed);
  ScratchSweeper sweeper(res.library_dir);
  res.swept = sweep_scratch(res.library_dir);
  if (res.swept) progress("removed " + std::to_string(res.swept) + " files left in the library by an earlier run");
  for (const auto& dir : {res.state, res.fresh_state, res.fresh_burst_state}) remove_dir(dir);
  prepare_mountpoint(res.mountpoint);
  const std::string prefix = scratch_run_prefix();

  progress("starting limafs mount (it indexes the library first; its stderr: " + res.daemon_log.string() + ")");
  const auto started = Clock::now();
  DaemonProcess daemon(opt.limafs, res.library_dir, res.mountpoint, res.state, res.daemon_log);
  res.api_url = daemon.wait_for_api(kApiTimeout);
  {
    // Closed before the idle window and the stop (see daemon_api.h).
    DaemonApi api(res.api_url);
    wait_serving(daemon, api, started, progress);
    res.startup_s = seconds_since(started);
    res.watcher = watcher_info(api);
    res.after_startup = sample_process(daemon.pid());
    progress("daemon serving after " + fmt("%.1f s", res.startup_s) + "; watcher " +
             (res.watcher.state.empty() ? "not reported" : res.watcher.state) +
             (res.watcher.watches ? ", " + std::to_string(res.watcher.watches) + " watches" : ""));
    res.cpus = std::thread::hardware_concurrency();
    res.load_before = load_average();

    measure_latency(res, opt, plan, prefix, api, progress);
    measure_burst(res, opt, prefix, api, progress);
    restore_library(res, api, progress);
    res.quiet_before_idle = wait_quiet(api, kQuietTimeout);
  }
  measure_idle_window(res, opt, daemon, progress);
  {
    DaemonApi api(res.api_url);
    res.watcher_after = watcher_info(api);
  }

  res.stop = daemon.stop();
  progress("stopped the daemon with SIGTERM: " + res.stop.text());
  if (!opt.keep) {
    for (const auto& dir : {res.state, res.fresh_state, res.fresh_burst_state}) remove_dir(dir);
  }
  std::error_code ec;
  if (!res.stop.mount_left) stdfs::remove(res.mountpoint, ec);  // only when empty
  return res;
}

}  // namespace lima::bench
