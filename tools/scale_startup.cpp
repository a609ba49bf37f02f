#include "scale_startup.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "daemon_api.h"
#include "index_progress.h"
#include "process_usage.h"

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr auto kPoll = 10ms;
constexpr auto kSampleEvery = 50ms;
constexpr std::string_view kApiLine = "limafs: control API on ";
/// For the daemon to finish what it does before the idle window.
constexpr auto kQuietTimeout = 120s;

double seconds_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

/// The API's URL from the line the daemon prints once it listens; "" before.
std::string announced_url(const stdfs::path& log_file) {
  std::ifstream in(log_file);
  for (std::string line; std::getline(in, line);)
    if (const auto at = line.find(kApiLine); at != std::string::npos) return line.substr(at + kApiLine.size());
  return "";
}

/// Whether the view serves: MOUNT is a mount, its projects/ a directory
/// and its .limafs/status readable.
bool view_serves(const stdfs::path& mnt) {
  if (!mounted_on(mnt)) return false;
  struct stat st{};
  if (::stat((mnt / "projects").c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
  std::ifstream status(mnt / ".limafs" / "status");
  std::string first;
  return status && std::getline(status, first) && !first.empty();
}

/// The start-up run from /status when it has ended; nullopt before.
std::optional<json> ended_startup_run(DaemonApi& api) {
  const json status = api.get("/api/v1/status");
  const auto last = status.find("last_run");
  if (last == status.end() || !last->is_object()) return std::nullopt;
  if (last->value("trigger", "") != "startup" || last->value("status", "running") == "running") return std::nullopt;
  return *last;
}

/// Samples a process's VmRSS every 50 ms on a thread of its own.
class RssSampler {
 public:
  explicit RssSampler(pid_t pid) : thread_([this, pid] { run(pid); }) {}
  ~RssSampler() { finish(); }
  RssSampler(const RssSampler&) = delete;
  RssSampler& operator=(const RssSampler&) = delete;

  void finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  long peak_kib() const { return peak_; }
  std::size_t samples() const { return samples_; }

 private:
  void run(pid_t pid) {
    for (auto next = Clock::now(); !stop_; next += kSampleEvery) {
      try {
        peak_ = std::max(peak_.load(), sample_process(pid).rss_kib);
        ++samples_;
      } catch (const std::exception&) {
        return;  // the process is gone; the watcher reports that
      }
      std::this_thread::sleep_until(next + kSampleEvery);
    }
  }

  std::atomic<bool> stop_{false};
  std::atomic<long> peak_{0};
  std::atomic<std::size_t> samples_{0};
  std::thread thread_;
};

}  // namespace

std::string watch_startup(DaemonProcess& daemon, const stdfs::path& mountpoint, Clock::time_point spawned,
                          std::chrono::seconds timeout, StartupFigures& out) {
  RssSampler sampler(daemon.pid());
  std::string url;
  std::unique_ptr<DaemonApi> api;
  std::optional<double> api_s, mount_s, sync_s;
  std::optional<json> run;
  while (!api_s || !mount_s || !sync_s) {
    daemon.check_running();
    const auto now = Clock::now();
    if (now - spawned > timeout)
      throw std::runtime_error("the daemon was not ready " + std::to_string(timeout.count()) + " s after it started");
    if (url.empty() && !(url = announced_url(daemon.log_file())).empty()) api = std::make_unique<DaemonApi>(url);
    if (api && !api_s && api->healthy()) api_s = seconds_between(spawned, Clock::now());
    if (!mount_s && view_serves(mountpoint)) mount_s = seconds_between(spawned, Clock::now());
    if (api_s && !sync_s && (run = ended_startup_run(*api))) sync_s = seconds_between(spawned, Clock::now());
    std::this_thread::sleep_for(kPoll);
  }
  out.api_s = *api_s;
  out.mount_s = *mount_s;
  out.sync_s = *sync_s;
  out.ready_s = std::max({*api_s, *mount_s, *sync_s});
  out.peak_rss_kib = sample_process(daemon.pid()).hwm_kib;
  sampler.finish();
  out.sampled_peak_kib = sampler.peak_kib();
  out.rss_samples = sampler.samples();
  out.sync_status = run->value("status", "");
  out.sync_run_s = static_cast<double>(run->value("duration_ms", std::int64_t{0})) / 1000.0;
  if (const auto c = run->find("counts"); c != run->end() && c->is_object()) {
    out.sync_added = c->value("added", std::uint64_t{0});
    out.sync_changed = c->value("changed", std::uint64_t{0});
    out.sync_removed = c->value("removed", std::uint64_t{0});
    out.sync_unchanged = c->value("unchanged", std::uint64_t{0});
  }
  return url;
}

void measure_steady(DaemonProcess& daemon, const std::string& url, std::chrono::seconds idle, StartupFigures& out) {
  DaemonApi api(url);
  const auto deadline = Clock::now() + kQuietTimeout;
  for (;;) {
    daemon.check_running();
    out.watcher_state = watcher_info(api).state;
    if (out.watcher_state != "starting" && daemon_quiet(api)) break;
    if (Clock::now() > deadline) throw std::runtime_error("the daemon did not settle after its start-up sync");
    std::this_thread::sleep_for(50ms);
  }
  const IdleUsage usage = measure_idle({daemon.pid()}, idle).front();
  out.steady_rss_kib = usage.rss_max_kib;
  out.idle_s = usage.seconds;
}

}  // namespace lima::bench
