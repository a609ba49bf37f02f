// The live sync benchmark: start the real `limafs mount` daemon on a
// generated library and, while it watches the library, measure
//  - how soon a file written into a project shows in the mounted view
//    (create_latency.h), paced so that each create is an event batch of
//    its own, and back to back; with the floor of the method (the same
//    loop probing the library) and an explicit scoped sync through the API
//    (POST /api/v1/sync/runs for the folder written into) as baselines;
//  - how soon a burst of new files in a new project (burst.h) is fully
//    indexed, whether the index then equals a fresh `limafs scan`'s
//    (index_diff.h), and how many sync runs the burst took; a fresh scan
//    of the burst project alone is the baseline;
//  - what the daemon costs while it idles, watching (process_usage.h),
//    beside an idle `sleep` measured in the same window.
// Everything it writes into the library is removed again (library_scratch.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>

#include "burst.h"
#include "create_latency.h"
#include "daemon_process.h"
#include "index_diff.h"
#include "index_progress.h"
#include "library_generator.h"
#include "process_usage.h"

namespace lima::bench {

struct LiveBenchOptions {
  Tier tier = Tier::m;
  std::uint64_t seed = 1;
  std::filesystem::path work;    ///< holds lib-TIER-SEED/ (shared with `run` and `api`), live-state/, live-mnt/, …
  std::filesystem::path limafs;  ///< the limafs executable
  int samples = 200;             ///< creates per latency series
  std::size_t burst = 50'000;    ///< files in the burst
  int idle_seconds = 30;         ///< length of the idle window
  bool keep = false;             ///< keep the state directories afterwards
  std::ostream* log = nullptr;   ///< progress lines, when not null
};

/// A `limafs scan` into a fresh state directory.
struct ScanRun {
  std::string command;
  double seconds = 0;
  int exit_code = -1;
  std::uint64_t added = 0;  ///< assets it indexed
};

struct LiveBenchResults {
  std::filesystem::path library_dir, state, mountpoint, daemon_log, fresh_state, fresh_burst_state;
  GenStats library;
  std::string api_url;
  std::size_t swept = 0;    ///< leftovers of an interrupted earlier run removed first
  double startup_s = 0;     ///< daemon start to mounted and quiet (indexing included)
  WatcherInfo watcher;      ///< once started
  ProcessSample after_startup;  ///< the daemon once serving, before any change
  unsigned cpus = 0;
  double load_before = 0;   ///< 1-minute load average before the measurements

  LatencySeries floor;         ///< create → lstat finds it in the library
  LatencySeries paced;         ///< create → visible in the mount, 50-100 ms apart
  LatencySeries back_to_back;  ///< the same, no pause (skipped when paced gave up)
  LatencySeries scoped_sync;   ///< create, POST a scoped sync → visible in the mount

  Burst burst;
  AssetWait burst_wait;        ///< burst end → all its files indexed, daemon quiet
  std::chrono::milliseconds burst_timeout{0};
  RunTally burst_runs;         ///< runs recorded from the burst's start to indexed
  ScanRun fresh_scan;          ///< the whole library, for the comparison
  ScanRun burst_scan;          ///< the burst project alone (the baseline)
  IndexDiff diff;              ///< daemon's index vs fresh scan's
  AssetWait cleanup_wait;      ///< removing what the benchmark wrote → index caught up

  IdleUsage idle;              ///< the daemon
  IdleUsage idle_baseline;     ///< an idle `sleep` in the same window
  bool quiet_before_idle = false;
  WatcherInfo watcher_after;   ///< after the idle window

  DaemonStop stop;
};

/// Runs everything; the daemon is stopped (SIGTERM) and the library
/// restored on every way out. Throws std::runtime_error.
LiveBenchResults run_live_benchmark(const LiveBenchOptions& options);

}  // namespace lima::bench
