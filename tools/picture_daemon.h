// A `limafs mount` daemon watched while it makes pictures: started with
// `--thumb-workers N`, waited for until it serves (startup sync done, view
// mounted), then followed through the "pictures" object of GET
// /api/v1/status (queued, running, made, failed) until a condition holds,
// its resident memory sampled all along.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "daemon_api.h"
#include "daemon_process.h"
#include "process_usage.h"

namespace lima::bench {

/// The picture worker's counters, as /status shows them.
struct PictureCounts {
  std::uint64_t queued = 0, running = 0, made = 0, failed = 0;
  double per_second = 0;
  int workers = 0;

  std::uint64_t done() const { return made + failed; }
  bool idle() const { return queued == 0 && running == 0; }
};

/// The "pictures" object of a /status answer; nullopt when it has none.
std::optional<PictureCounts> picture_counts(const nlohmann::json& status);

struct PictureDaemonOptions {
  std::filesystem::path limafs, library, mountpoint, state, log_file;
  int workers = 2;  ///< --thumb-workers
};

class PictureDaemon {
 public:
  /// Starts the daemon and waits for its API. Throws std::runtime_error.
  explicit PictureDaemon(const PictureDaemonOptions& options);
  /// Stops the daemon if it still runs.
  ~PictureDaemon();
  PictureDaemon(const PictureDaemon&) = delete;
  PictureDaemon& operator=(const PictureDaemon&) = delete;

  /// Waits until /status says the view is mounted (the startup sync is
  /// over); the seconds since the daemon was started. Throws on timeout or
  /// when the daemon ends.
  double wait_serving(std::chrono::seconds timeout);

  /// The counters now. Throws when /status has no "pictures" object.
  PictureCounts counts();

  /// Polls /status every `poll` until done(counts) holds; sampling the
  /// daemon's VmRSS at each poll. Returns the counts that met it. Throws on
  /// timeout (naming the last counts) or when the daemon ends.
  PictureCounts wait_until(const std::function<bool(const PictureCounts&)>& done, std::chrono::seconds timeout,
                           std::chrono::milliseconds poll = std::chrono::milliseconds(20));

  /// The daemon's /proc figures now (VmHWM is its peak so far).
  ProcessSample sample() const { return sample_process(process_.pid()); }
  /// The largest VmRSS seen by wait_until().
  long rss_max_kib() const { return rss_max_kib_; }
  /// Seconds since the daemon was started.
  double seconds() const;
  const std::string& url() const { return url_; }
  const std::filesystem::path& log_file() const { return process_.log_file(); }

  /// Closes the API connection, then stops the daemon (SIGTERM).
  DaemonStop stop();

 private:
  std::chrono::steady_clock::time_point started_;
  DaemonProcess process_;
  std::string url_;
  std::unique_ptr<DaemonApi> api_;
  long rss_max_kib_ = 0;
};

}  // namespace lima::bench
