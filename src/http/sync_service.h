// Sync runs on behalf of the API (and, later, the watcher): one at a time.
// A run started through the API goes on in the background; asking for
// another while one runs gets the running one back. Ingestion runs a small
// scoped sync in the caller's thread, after any running one has ended.
#pragma once

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

#include <nlohmann/json.hpp>

#include "index/sync.h"

namespace lima::http {

struct SyncSettings {
  std::filesystem::path library;
  std::vector<std::string> ignore_globs;
  bool allow_device_change = false;
};

class SyncService {
 public:
  SyncService(index::Catalog& catalog, SyncSettings settings);
  /// Cancels a running run and waits for it.
  ~SyncService();
  SyncService(const SyncService&) = delete;
  SyncService& operator=(const SyncService&) = delete;

  struct Started {
    index::Run run;
    bool started = false;  ///< false: `run` is the one that was already running
  };
  /// Starts a run in the background once it is recorded, or returns the
  /// running one. Errors: a bad scope (invalid_argument, not_found), …
  index::Result<Started> start(index::Mode mode, const std::string& scope, index::Trigger trigger);
  /// Runs a sync in this thread, after any running one has ended; with its
  /// own progress figures and cancel flag when given, leaving the `held`
  /// files (still being written) as the index has them.
  index::Result<index::Run> run_now(index::Mode mode, const std::string& scope, index::Trigger trigger,
                                    index::SyncProgress* progress = nullptr,
                                    const std::atomic<bool>* cancel = nullptr, std::vector<std::string> held = {});

  /// Indexes files the daemon itself has just written into the library,
  /// complete (an upload): they are never held back as "being written",
  /// and the live sync is told they are done. Syncs `scope` in this thread
  /// like run_now.
  index::Result<index::Run> index_written(const std::string& scope, const std::vector<std::string>& files);

  /// Cancels run `id` while it goes on, whoever started it (the API, the
  /// watcher, the schedule, the startup): it stops at its next safe point
  /// and ends `cancelled` (see index::SyncOptions::cancel_run). Answers the
  /// run as recorded now, still running. Cancelling it again is harmless.
  /// Errors: not_found (no such run), conflict (it is not running).
  index::Result<index::Run> cancel_run(index::RunId id);
  /// The running run's id, if any.
  std::optional<index::RunId> running() const;
  /// Live progress of run `id` while it runs: phase, files and bytes done
  /// out of the totals known so far.
  std::optional<nlohmann::json> progress(index::RunId id) const;
  /// Counts a finished run for the metrics (runs made elsewhere, e.g. the
  /// sync at startup, are passed in here).
  void record(const index::Run& run);
  /// Prometheus text: runs by status, durations, the running flag.
  std::string metrics() const;
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
  index::Result<index::Run> run(index::Mode mode, const std::string& scope, index::Trigger trigger,
                                index::SyncProgress* progress, const std::function<void(const index::Run&)>& on_begin,
                                const std::atomic<bool>* cancel = nullptr, std::vector<std::string> held = {},
                                const std::vector<std::string>& complete = {});

  index::Catalog& catalog_;
  SyncSettings settings_;
  std::mutex run_mu_;  // held for the whole of every run
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool background_ = false;                 // a background run is starting or running
  std::optional<index::Run> current_;       // the background run, once recorded
  std::unique_ptr<index::SyncProgress> progress_;
  std::thread worker_;
  std::atomic<bool> cancel_{false};
  std::optional<index::RunId> executing_;  // the run going on, whoever asked for it
  std::atomic<bool> cancel_executing_{false};
  std::function<std::vector<std::string>()> held_files_;
  std::function<void(const std::string&)> written_hook_;
  std::atomic<std::uint64_t> generation_{0};
  // metrics
  std::map<std::string, std::uint64_t> finished_by_status_;
  std::vector<std::uint64_t> duration_buckets_;
  double duration_sum_ = 0;
  std::uint64_t duration_count_ = 0;
  double last_duration_ = 0;
};

}  // namespace lima::http
