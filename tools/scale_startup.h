// A daemon's start-up as the scale benchmark times it: from the moment
// `limafs mount` is spawned, when its control API first answers
// (GET /api/v1/healthz), when its view first serves (MOUNT is a mount and
// MOUNT/projects and MOUNT/.limafs/status can be read), and when its
// start-up sync has ended (the last run in GET /api/v1/status has trigger
// "startup" and is no longer running); meanwhile its resident memory is
// sampled every 50 ms. Then, once it is quiet and watching, its memory
// over a few idle seconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "daemon_process.h"

namespace lima::bench {

struct StartupFigures {
  double api_s = 0;     ///< spawn → the API answers
  double mount_s = 0;   ///< spawn → the view serves
  double sync_s = 0;    ///< spawn → the start-up sync run has ended
  double ready_s = 0;   ///< spawn → all three
  double sync_run_s = 0;        ///< that run's own duration (its duration_ms)
  std::string sync_status;      ///< "ok", "partial", …
  std::uint64_t sync_added = 0, sync_changed = 0, sync_removed = 0, sync_unchanged = 0;
  long peak_rss_kib = 0;        ///< VmHWM once ready (the peak since spawn)
  long sampled_peak_kib = 0;    ///< largest VmRSS of the 50 ms samples
  std::size_t rss_samples = 0;
  long steady_rss_kib = 0;      ///< largest VmRSS over the idle window
  double idle_s = 0;            ///< its length
  std::string watcher_state;    ///< when the idle window began
};

/// Spawned at `spawned`, daemon is watched until its API answers, its view
/// serves and its start-up sync has ended; returns the API's URL. Throws
/// std::runtime_error when it exits or `timeout` passes first.
std::string watch_startup(DaemonProcess& daemon, const std::filesystem::path& mountpoint,
                          std::chrono::steady_clock::time_point spawned, std::chrono::seconds timeout,
                          StartupFigures& out);

/// Waits until the daemon at url is quiet and its watcher has started,
/// then samples its memory for `idle`. Throws std::runtime_error.
void measure_steady(DaemonProcess& daemon, const std::string& url, std::chrono::seconds idle, StartupFigures& out);

}  // namespace lima::bench
