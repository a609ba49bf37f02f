// Live sync: keeps the index in step with the library while the daemon
// runs. Directories the watcher saw change are rescanned once they are
// quiet (files still being written are held back until their writer closes
// them); a lost event queue, a root that comes back, and the schedule run a
// full incremental sync; a library that cannot be watched (network or FUSE
// filesystem, no inotify watch left) is synced periodically instead. It
// also notices within a second or two when the library goes offline (root
// moved, deleted, unmounted, unreadable, emptied, on another device) and
// when it returns. Every sync goes through `runner` and is recorded as a
// run like any other.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <optional>

#include "index/catalog.h"
#include "index/ignore.h"
#include "index/live_status.h"

namespace lima::index {

class Watcher;
struct WatchEvents;

struct LiveSyncOptions {
  std::filesystem::path library;  ///< absolute
  std::vector<std::string> ignore_globs;
  /// False: never watch, sync every poll_interval.
  bool watch = true;
  /// Watches at most (0: as many as the system allows).
  std::size_t max_watches = 0;
  /// Changed directories are rescanned once the library's events stopped
  /// for this long…
  std::chrono::milliseconds quiet{30};
  /// …or, under a steady stream of events, once the first change has waited
  /// this long; each further batch of the same stream waits twice as long,
  /// up to max_wait_limit.
  std::chrono::milliseconds max_wait{1000};
  std::chrono::milliseconds max_wait_limit{8000};
  /// A file written to but not closed is held back until it has been quiet
  /// this long (its writer may be gone without a close we saw).
  std::chrono::milliseconds writer_grace{10000};
  /// A full incremental sync this often (0: never).
  std::chrono::seconds reconcile_interval{3600};
  /// When the library cannot be watched: a full incremental sync this often.
  std::chrono::seconds poll_interval{60};
  /// How often the root is checked for being offline.
  std::chrono::milliseconds probe_interval{1000};
  /// More scopes than this in one batch make one full sync instead.
  std::size_t max_scoped_runs = 8;
};

/// One sync for the live sync to run (through the daemon's sync coordinator).
struct SyncRequest {
  Mode mode = Mode::incremental;
  std::string scope;
  Trigger trigger = Trigger::watcher;
  /// Library-relative files still being written: left as the index has them.
  std::vector<std::string> held;
  const std::atomic<bool>* cancel = nullptr;
};
using SyncRunner = std::function<Result<Run>(const SyncRequest&)>;

class LiveSync {
 public:
  LiveSync(Catalog& catalog, LiveSyncOptions options, SyncRunner runner);
  /// Stops (see stop()).
  ~LiveSync();
  LiveSync(const LiveSync&) = delete;
  LiveSync& operator=(const LiveSync&) = delete;

  /// Starts watching (or polling) on threads of its own; call after the
  /// startup sync.
  void start();
  /// Waits until the watches are set up (or watching turned out to be
  /// impossible): a sync started then misses nothing. False on timeout.
  bool wait_started(std::chrono::milliseconds timeout);
  /// Cancels a run going on and stops; idempotent.
  void stop();

  /// The library online or not, how changes are picked up, the counters
  /// and the schedule, as they are now.
  LiveStatus status() const;
  bool online() const { return online_.load(); }
  /// Library-relative files written to and not closed yet.
  std::vector<std::string> files_being_written() const;
  /// The daemon itself has just put the complete file `path` (library-
  /// relative) into the library, e.g. an upload: it is not being written,
  /// whatever the watcher saw or is about to see of its creation.
  void written_by_daemon(const std::string& path);

 private:
  using Clock = std::chrono::steady_clock;
  struct Writing {
    Clock::time_point last;
    std::string scope;
  };
  void watch_loop();  // owns the Watcher; reads its events
  void work_loop();   // probes, schedules and runs the syncs
  Result<std::unique_ptr<Watcher>> start_watching();
  std::string limit_reason(std::size_t watches) const;
  bool probe(std::string& reason, std::uint64_t& dev, std::uint64_t& ino);
  /// Probes the root and acts on it: offline, back online, replaced. True
  /// when the library is online and the same as before.
  bool check_root(std::unique_lock<std::mutex>& lock);
  // The rest are called with mu_ held.
  void absorb(const struct WatchEvents& ev, Clock::time_point now);
  void touch(const std::string& scope, Clock::time_point now);
  void set_periodic(const std::string& reason);
  void go_offline(const std::string& reason);
  void go_online(std::uint64_t dev, std::uint64_t ino);
  void restart_watching();
  void wake_watch_loop();
  void run_locked(std::unique_lock<std::mutex>& lock, std::vector<std::string> scopes, Trigger trigger, bool full);

  Catalog& catalog_;
  LiveSyncOptions opts_;
  SyncRunner runner_;
  IgnoreRules ignore_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false, stopping_ = false;
  std::atomic<bool> cancel_{false};
  int wake_fd_ = -1;  // eventfd: wakes the watch loop
  // Requests to the watch loop.
  bool want_watch_ = false, restart_watch_ = false, rewatch_needed_ = false;
  // Work for the work loop.
  std::set<std::string> pending_;  // scopes touched since the last batch
  Clock::time_point first_touch_, last_touch_;
  std::chrono::milliseconds stream_wait_{1000};
  std::map<std::string, Writing> writing_;  // file → its last write
  std::map<std::string, Clock::time_point> daemon_written_;  // file → when the daemon wrote it
  bool full_needed_ = false, probe_now_ = false;
  Clock::time_point next_reconcile_, next_poll_;
  std::size_t limit_at_failure_ = 0;  // the system limit when watching ran out of watches

  std::atomic<bool> online_{true};
  std::string offline_reason_;
  std::int64_t offline_since_ns_ = 0;
  std::uint64_t root_dev_ = 0, root_ino_ = 0;
  WatchMode mode_ = WatchMode::starting;
  std::string mode_reason_;
  std::size_t watches_ = 0;
  std::uint64_t events_ = 0, overflows_ = 0, batches_ = 0;
  std::atomic<std::uint64_t> runs_done_{0};
  std::int64_t last_event_ns_ = 0;

  std::thread watch_thread_, work_thread_;
};

/// "90s", "5m", "1h", "2d", "0" or "off" (→ 0) → seconds.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

}  // namespace lima::index
