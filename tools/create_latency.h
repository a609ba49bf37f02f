// How soon a file written into the library shows in the mounted view:
// write a new small STL file (1-64 KiB) into a random project, at its top
// or in one of its folders, the way a slicer or a download does (open,
// write, close), then poll lstat() on its path under MOUNT/projects/ until
// the link is there. Each latency runs from close() returning to the
// first lstat that finds the entry. Probing the library itself instead of
// the mount gives the floor of the method (write and probe, no indexing).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "freshness_probe.h"
#include "library_plan.h"
#include "library_scratch.h"
#include "seeded_rng.h"

namespace lima::bench {

struct LatencyOptions {
  int samples = 200;
  /// A random pause in [pause_min, pause_max] after each sample, so that
  /// each create is an event batch of its own (0, 0: back to back).
  std::chrono::milliseconds pause_min{0}, pause_max{0};
  /// How long one sample waits for its file; a timeout counts as this long.
  std::chrono::milliseconds timeout{5000};
  /// The series stops after this many timeouts in a row (the daemon is not
  /// picking new files up; waiting out every sample would take long).
  int give_up_after = 3;
};

struct LatencySeries {
  Latencies visible;  ///< close() → visible, ms; timeouts count as the timeout
  Latencies write;    ///< open() → close() returned, ms
  std::size_t timeouts = 0;
  bool gave_up = false;    ///< stopped early after give_up_after timeouts in a row
  int planned = 0;         ///< samples asked for
  int in_subfolders = 0;   ///< samples written below a project's top folder
  std::uint64_t bytes = 0;
};

/// Called between close() and the first poll, with the library-relative
/// folder written into; its time counts in the latency.
using AfterClose = std::function<void(const std::string& folder)>;

class CreateProbe {
 public:
  /// Writes into the folders `plan` gives the library: each sample picks a
  /// project, then its top folder or (half of the time) one of its
  /// sub-folders. File names start with name_prefix (see library_scratch.h).
  CreateProbe(std::filesystem::path library, const LibraryPlan& plan, std::string name_prefix, std::uint64_t seed);

  /// Runs a series: each created file's library-relative path is looked up
  /// under look_in (MOUNT/projects, or the library itself for the floor).
  /// Throws std::system_error when a file cannot be written.
  LatencySeries run(const std::filesystem::path& look_in, const LatencyOptions& options,
                    const AfterClose& after_close = {});

 private:
  std::filesystem::path library_;
  std::vector<std::vector<std::string>> folders_;  ///< per project: its top folder, then its sub-folders
  std::string prefix_;
  SeededRng rng_;
  FileMaker maker_;
  std::uint64_t made_ = 0;
};

}  // namespace lima::bench
