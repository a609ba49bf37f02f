// The scale benchmark: what the library's size costs. On the search
// benchmark's libraries (search_library.h: tier M, 100,000 files in 1,000
// projects; tier L, 1,000,000 files in 10,000 projects), per tier:
//
// - `limafs scan` into a fresh state directory against hashing every file
//   (find | xargs -P2 xxhsum), and a no-change rescan against listing every
//   file's inode, size and mtime (find -printf), each baseline run once
//   beforehand to warm the page cache; the peak RSS of both scans;
// - `limafs mount` started on that index (its start-up sync a no-change
//   sync): spawn to the API answering, to the view serving and to the
//   start-up sync finished, the peak RSS meanwhile and the RSS once idle
//   (scale_startup.h);
// - with the daemon watching the library, a new small file written into a
//   project until its link shows under MOUNT/projects/;
// - repeated `stat MOUNT/.limafs/problems.txt`, GET /api/v1/problems and
//   GET /api/v1/status, and the first stat of problems.txt after a change;
// - GET /api/v1/search over a rare word, a common word, two words and a
//   tag (search_queries.h), once the tags are imported.
//
// Files it writes into the library are named limafs-live-* and removed
// again; their paths are recorded in WORK first, so a run that was
// interrupted has its leftovers removed by the next one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "daemon_process.h"
#include "freshness_probe.h"
#include "scale_startup.h"
#include "search_library.h"

namespace lima::bench {

struct ScaleBenchOptions {
  std::vector<SearchTier> tiers = {SearchTier::m, SearchTier::l};
  std::uint64_t seed = 1;
  std::filesystem::path work;
  std::filesystem::path limafs;
  int samples = 40;          ///< new files timed into the mount
  int repeats = 200;         ///< of each stat / GET timing
  int search_repeats = 30;   ///< of each search query
  bool keep = false;         ///< keep the index afterwards
  std::ostream* log = nullptr;
};

/// One command run once: wall-clock seconds and peak RSS (wait4).
struct TimedRun {
  double seconds = 0;
  long max_rss_kib = 0;
};

/// Latencies of one kind of request, milliseconds.
struct Timings {
  Latencies ms;
  /// The p50 of each round, when the samples were taken in rounds.
  std::vector<double> round_p50s;
  double p50() const { return ms.percentile(0.50); }
  double p99() const { return ms.percentile(0.99); }
  /// The lowest round p50: what a request costs when nothing else on the
  /// machine gets in its way. Growth of sub-millisecond reads is judged on
  /// it, as other load only ever adds time. p50() without rounds.
  double best_round_p50() const;
};

struct ScaleTierResult {
  SearchTier tier = SearchTier::s;
  std::filesystem::path library;
  std::size_t projects = 0, files = 0;
  double generate_s = 0;  ///< 0 when the library was already there
  double load_average = 0;  ///< 1-minute, when the tier started

  TimedRun initial_scan, initial_baseline;  ///< limafs scan / find | xargs xxhsum
  TimedRun rescan, rescan_baseline;         ///< limafs scan again / find -printf

  StartupFigures startup;

  Timings create_visible;      ///< new file closed → lstat finds it in the mount
  std::size_t create_timeouts = 0;
  Timings watcher_runs;        ///< durations of the sync runs the watcher made for them
  std::size_t watcher_run_count = 0;
  std::vector<double> problems_after_change_ms;  ///< first stat of problems.txt after each change

  double stat_problems_first_ms = 0;  ///< the first stat after start-up (reaches the daemon)
  Timings stat_problems;              ///< the stats after it (the kernel may answer from its cache)
  Timings get_problems, get_status;
  std::size_t problems_count = 0;  ///< problems in the report (GET /problems counts)

  std::size_t search_queries = 0;
  std::vector<std::string> search_examples;  ///< one query of each class
  Timings search;

  DaemonStop stop;
};

struct ScaleBenchResults {
  std::vector<ScaleTierResult> tiers;
};

/// Runs every tier in turn. Throws std::runtime_error.
ScaleBenchResults run_scale_benchmark(const ScaleBenchOptions& options);

}  // namespace lima::bench
