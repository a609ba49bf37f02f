// The mount benchmark: index a library of many small files, tag every
// project and every asset, mount the view in this process, copy what it
// shows into a tmpfs, then time real programs (ls -l, find) on both while
// counting the requests that reach the daemon, and measure how fast tag
// changes show up in the view (freshness_probe.h).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>

#include "bench_run.h"
#include "freshness_probe.h"
#include "fs/request_stats.h"
#include "mount_library.h"
#include "tree_replica.h"

namespace lima::bench {

/// Tags put on every project, every asset, and on one asset at a time.
inline constexpr const char* kProjectsTag = "ten-k";
inline constexpr const char* kAssetsTag = "hundred-k";
inline constexpr const char* kFreshTag = "fresh";

struct MountBenchOptions {
  std::filesystem::path work;  ///< holds the library, the state dir and both mount points
  MountShape shape;
  int repeat = 5;
  int fresh_rounds = 200;
  bool keep = false;            ///< keep the state dir (the library is always kept)
  std::ostream* log = nullptr;  ///< progress lines, when not null
};

/// Requests the daemon received, by operation.
struct RequestCounts {
  std::array<std::uint64_t, static_cast<std::size_t>(fs::Op::count_)> by_op{};

  static RequestCounts read(const fs::RequestStats& stats);
  std::uint64_t total() const;
  /// "none", or the non-zero operations: "opendir 5, readdirplus 10".
  std::string text() const;
  RequestCounts& operator+=(const RequestCounts& o);
  RequestCounts operator-(const RequestCounts& o) const;
};

/// One program timed on a directory of the view and on its tmpfs copy.
struct Comparison {
  std::string command;       ///< e.g. "ls -l DIR/tags/ten-k", DIR: the mount or its copy
  Timing mount, tmpfs;       ///< the timed (warm) runs
  RequestCounts requests;    ///< reaching the daemon during the timed mount runs
  double ratio() const { return tmpfs.median() > 0 ? mount.median() / tmpfs.median() : 0; }
};

struct MountBenchResults {
  MountShape shape;
  std::filesystem::path library, state, mountpoint, baseline;
  MountLibraryStats generated;
  double sync_s = 0, tag_projects_s = 0, tag_assets_s = 0;
  ReplicaStats replica;  ///< the tmpfs copy of the view
  Comparison ls_projects;          ///< ls -l tags/ten-k
  Comparison find_all;             ///< find over the whole tree
  Comparison ls_assets;            ///< ls -l tags/hundred-k
  double cold_ls_s = 0;            ///< ls -l tags/ten-k right after mounting
  RequestCounts cold_requests;
  FreshnessResults fresh;
  RequestCounts fresh_requests;
};

/// Runs everything; unmounts whatever it mounted on every way out. Throws
/// std::runtime_error (std::system_error with EPERM when mounting is not
/// allowed here).
MountBenchResults run_mount_benchmark(const MountBenchOptions& options);

}  // namespace lima::bench
