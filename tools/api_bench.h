// The control API benchmark: start the real `limafs mount` daemon on a
// generated library (it indexes the library first), tag every 4th project
// through the API itself, then put wrk loads on the API — /status on one
// and on 64 keep-alive connections, a tag-filtered page of projects on 8 —
// and the same wrk loads, in the same run, on a minimal cpp-httplib server
// answering the same bytes (baseline_server.h). The ratios show how much of
// the API's cost is the HTTP stack's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>

#include "daemon_process.h"
#include "library_generator.h"
#include "wrk.h"

namespace lima::bench {

/// The tag put on every kTagEvery-th project (in name order), and the page
/// size of the tag-filtered listing.
inline constexpr const char* kBenchTag = "bench";
inline constexpr std::size_t kTagEvery = 4;
inline constexpr int kPageLimit = 50;

struct ApiBenchOptions {
  Tier tier = Tier::m;
  std::uint64_t seed = 1;
  std::filesystem::path work;    ///< holds lib-TIER-SEED/ (shared with `run`), api-state/, api-mnt/
  std::filesystem::path limafs;  ///< the limafs executable
  std::filesystem::path wrk;     ///< the wrk executable
  int seconds = 10;              ///< duration of each wrk run
  bool keep = false;             ///< keep the daemon's state dir afterwards
  std::ostream* log = nullptr;   ///< progress lines, when not null
};

/// One wrk load on one URL path, on the daemon and on the baseline.
struct LoadResult {
  std::string id;    ///< "status-1c"; names the saved wrk reports
  std::string path;  ///< "/api/v1/status", with its query
  WrkLoad load;
  WrkResult limafs, baseline;

  /// Throughput of the daemon / throughput of the baseline.
  double rate_ratio() const;
};

struct ApiBenchResults {
  std::filesystem::path library_dir, state, mountpoint, daemon_log, reports;
  GenStats library;
  std::string api_url, baseline_url;
  double startup_s = 0;        ///< daemon start to its view mounted (includes indexing the library)
  std::size_t projects = 0;    ///< listed through the API
  std::size_t tagged = 0;
  double tagging_s = 0;        ///< all the PUT .../tags/bench, one after the other
  double tag_max_ms = 0;       ///< the slowest of them
  std::size_t status_bytes = 0, page_bytes = 0, page_items = 0;
  LoadResult status_one;       ///< GET /api/v1/status, wrk -t1 -c1
  LoadResult status_many;      ///< GET /api/v1/status, wrk -t2 -c64
  LoadResult tagged_page;      ///< GET /api/v1/projects?tag=bench&limit=50, wrk -t2 -c8
  unsigned cpus = 0;
  double load_before = 0;  ///< 1-minute load average before the wrk runs (other work on the machine)
  DaemonStop stop;
};

/// Runs everything; the daemon is stopped (SIGTERM) on every way out.
/// Throws std::runtime_error.
ApiBenchResults run_api_benchmark(const ApiBenchOptions& options);

}  // namespace lima::bench
