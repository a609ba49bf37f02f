// The sync coordinator: every sync of the daemon goes through it, one at a
// time, whoever asks (the startup, the live sync, the schedule, the API).
// A run started in the background (the API's) goes on on a thread of its
// own; asking for another while one runs gets the running one back. A run in
// the caller's thread (the startup sync, the live sync's, an upload's small
// scoped sync) waits until any running one has ended. Any run can be
// cancelled while it goes on, and the daemon stopping cancels them all. It
// answers plain values (progress, metrics); the adapters render them.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "index/sync.h"

namespace lima::index {

/// What every sync of the daemon is run with.
struct SyncSettings {
  std::filesystem::path library;
  std::vector<std::string> ignore_globs;
  bool allow_device_change = false;
};

/// How far a running run is: phase, files and bytes done out of the totals
/// known so far.
struct RunProgress {
  SyncPhase phase = SyncPhase::starting;
  std::uint64_t files_done = 0;
  /// What the walk found, or while it goes on the larger of that and the
  /// index's count.
  std::uint64_t files_total = 0;
  bool files_total_final = false;  ///< the walk is done
  std::uint64_t bytes_done = 0, bytes_total = 0;
  std::uint64_t items_written = 0, items_to_write = 0;
};

/// Runs finished since the coordinator started, and whether one runs now.
struct SyncMetrics {
  /// Upper bounds (seconds) of the duration histogram's buckets.
  static constexpr std::array<double, 10> kBuckets{0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 7200};
  bool running = false;  ///< a background run is going on
  std::map<std::string, std::uint64_t> finished_by_status;  ///< "ok", "partial", …
  /// Runs that took at most kBuckets[i] seconds (cumulative, as Prometheus
  /// histograms count).
  std::array<std::uint64_t, kBuckets.size()> duration_buckets{};
  std::uint64_t duration_count = 0;
  double duration_sum = 0;
  double last_duration = 0;  ///< seconds the last finished run took
};

class SyncCoordinator {
 public:
  SyncCoordinator(Catalog& catalog, SyncSettings settings);
  /// Cancels a running run and waits for it.
  ~SyncCoordinator();
  SyncCoordinator(const SyncCoordinator&) = delete;
  SyncCoordinator& operator=(const SyncCoordinator&) = delete;

  struct Started {
    Run run;
    bool started = false;  ///< false: `run` is the one that was already running
  };
  /// Starts a run in the background once it is recorded, or returns the
  /// running one. Errors: a bad scope (invalid_argument, not_found), …
  Result<Started> start(Mode mode, const std::string& scope, Trigger trigger);
  /// Runs a sync in this thread, after any running one has ended; with its
  /// own progress figures and cancel flag when given, leaving the `held`
  /// files (still being written) as the index has them.
  Result<Run> run_now(Mode mode, const std::string& scope, Trigger trigger, SyncProgress* progress = nullptr,
                      const std::atomic<bool>* cancel = nullptr, std::vector<std::string> held = {});

  /// Indexes files the daemon itself has just written into the library,
  /// complete (an upload): they are never held back as "being written",
  /// and the live sync is told they are done. Syncs `scope` in this thread
  /// like run_now.
  Result<Run> index_written(const std::string& scope, const std::vector<std::string>& files);

  /// Cancels run `id` while it goes on, whoever started it (the API, the
  /// watcher, the schedule, the startup): it stops at its next safe point
  /// and ends `cancelled` (see SyncOptions::cancel_run). Answers the
  /// run as recorded now, still running. Cancelling it again is harmless.
  /// Errors: not_found (no such run), conflict (it is not running).
  Result<Run> cancel_run(RunId id);
  /// The running run's id, if any.
  std::optional<RunId> running() const;
  /// Live progress of the background run `id` while it runs.
  std::optional<RunProgress> progress(RunId id) const;
  /// Counts a finished run for the metrics (runs made elsewhere, e.g. the
  /// sync at startup, are passed in here).
  void record(const Run& run);
  /// Runs by status, durations, the running flag.
  SyncMetrics metrics() const;
  /// Files still being written (the live sync's list), asked for at the
  /// start of every run: no sync, whoever asked for it, reads them half done.
  void set_held_files(std::function<std::vector<std::string>()> held_files) { held_files_ = std::move(held_files); }
  /// Told of each file index_written() indexes (the live sync, so that it
  /// does not take the daemon's own write for a writer still at work).
  void set_written_hook(std::function<void(const std::string&)> hook) { written_hook_ = std::move(hook); }
  /// Cancels the background run, if any, and every one started from now on
  /// (the daemon is stopping): a run waiting for it then ends soon.
  void cancel() { cancel_ = true; }
  /// Waits until no run is going on.
  void wait_idle();
  /// Moves on whenever a run starts or ends.
  std::uint64_t generation() const { return generation_.load(); }

 private:
  Result<Run> run(Mode mode, const std::string& scope, Trigger trigger, SyncProgress* progress,
                  const std::function<void(const Run&)>& on_begin, const std::atomic<bool>* cancel = nullptr,
                  std::vector<std::string> held = {}, const std::vector<std::string>& complete = {});

  Catalog& catalog_;
  SyncSettings settings_;
  std::mutex run_mu_;  // held for the whole of every run
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool background_ = false;      // a background run is starting or running
  std::optional<Run> current_;  // the background run, once recorded
  std::unique_ptr<SyncProgress> progress_;
  std::thread worker_;
  std::atomic<bool> cancel_{false};
  std::optional<RunId> executing_;  // the run going on, whoever asked for it
  std::atomic<bool> cancel_executing_{false};
  std::function<std::vector<std::string>()> held_files_;
  std::function<void(const std::string&)> written_hook_;
  std::atomic<std::uint64_t> generation_{0};
  SyncMetrics metrics_;  // but its running flag, which is background_
};

}  // namespace lima::index
