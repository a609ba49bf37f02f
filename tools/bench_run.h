// One benchmark run: generate (or reuse) a library, then time `limafs scan`
// against plain shell baselines doing the same work — hashing every file
// (find | xargs xxhsum) for the initial index, and stat-ing every file
// (find -printf) for rescans — and record limafs' peak memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <stdexcept>
#include <vector>

#include "library_generator.h"

namespace lima::bench {

/// A benchmark step failed (generation, a child process, the file system).
class BenchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What to run.
struct RunOptions {
  Tier tier = Tier::s;
  std::uint64_t seed = 1;
  std::filesystem::path work;    ///< holds lib-TIER-SEED/ and scratch state dirs
  std::filesystem::path limafs;  ///< the limafs executable
  int repeat = 3;
  std::ostream* log = nullptr;   ///< progress lines, when not null
};

/// Wall-clock seconds of each repetition of one command.
struct Timing {
  std::vector<double> runs;
  /// Median of runs (mean of the middle two for an even count); 0 if empty.
  double median() const;
};

/// Everything measured in one run.
struct BenchResults {
  GenStats library;
  std::filesystem::path library_dir;
  Timing initial_limafs;    ///< limafs scan into a fresh state dir
  Timing initial_baseline;  ///< find | xargs -P2 xxhsum -H2
  Timing rescan_limafs;     ///< limafs scan, nothing changed
  Timing stat_baseline;     ///< find -printf '%s %T@\n'
  Timing touched_limafs;    ///< limafs scan after bumping 1% of the mtimes
  std::size_t touched_files = 0;
  long initial_max_rss_kib = 0;  ///< max over the initial-index repetitions
  long rescan_max_rss_kib = 0;   ///< max over all rescans
};

/// Runs the whole benchmark. Scratch state dirs under work are removed
/// afterwards; the library is kept for the next run, with its original
/// mtimes restored. Throws BenchError.
BenchResults run_benchmark(const RunOptions& options);

}  // namespace lima::bench
