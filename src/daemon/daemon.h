// The daemon of `limafs mount`: every part that serves a library, owned by
// one object. Its members are declared in the order they start: the index,
// the backup writer, the sync coordinator, the live sync, the picture
// worker, the control API
// and, once the startup sync is done, the mounted view. Starting it starts
// them in that order; destroying it stops them (the syncs first, so that
// nothing waits on a long one; then the API before the view it settles and
// the pictures it serves) and
// ends the process at once when the view's kernel session had to be left
// running. A new worker (thumbnails, an indexer) is one more member and one
// line where it starts.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "daemon/picture_feed.h"
#include "daemon/stop_signals.h"
#include "http/api.h"
#include "index/backup.h"
#include "index/catalog.h"
#include "index/live_sync.h"
#include "index/sync_coordinator.h"
#include "thumbs/picture_worker.h"

namespace lima::fs {
class Mount;
}

namespace lima::daemon {

/// Everything the daemon is started with, checked by the command line.
struct DaemonOptions {
  std::filesystem::path library;     ///< absolute
  std::filesystem::path state;       ///< the state directory
  std::filesystem::path mountpoint;  ///< absolute, an empty directory
  std::vector<std::string> ignore_globs;
  bool allow_device_change = false;
  std::vector<std::string> fuse_options;  ///< besides ro
  http::ApiOptions api;
  /// The schedule and the watching; library and ignore_globs are filled in
  /// from the above.
  index::LiveSyncOptions live;
  std::string version;  ///< shown by /status
  /// Threads making pictures (0: none are made, the picture routes answer
  /// 503) and the caps on one file's work.
  int thumb_workers = 2;
  thumbs::Limits picture_limits;
};

class Daemon {
 public:
  /// Opens the index and starts the backup writer, the control API and the
  /// live sync's watching, their threads with the stop signals masked. The
  /// API comes up first, so a taken address is known before a long sync and
  /// leaves no mount behind. Errors: the index cannot be opened, the API
  /// cannot listen ("cannot start the control API: …").
  static index::Result<std::unique_ptr<Daemon>> start(DaemonOptions options, const StopSignals& signals);
  /// Stops everything (see the file comment).
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  /// The control API's "http://HOST:PORT".
  std::string api_url() const;
  /// Waits (up to a minute) until the watches are set up: a sync started
  /// then misses nothing that changes during or after it.
  void wait_for_watches();
  /// True when the index holds this library from an earlier sync: the view
  /// can then be served at once, while the startup sync catches up.
  bool index_holds_library();
  /// The sync at startup, through the coordinator: a sync asked for
  /// meanwhile waits. `stop` set ends it `interrupted`.
  index::Result<index::Run> sync_at_startup(index::SyncProgress& progress, const std::atomic<bool>& stop);
  /// Mounts the view and serves it. Errors: the mount failed.
  index::Result<void> mount();
  /// Serves until a stop signal (taken by `signals.wait`) or an unmount.
  void serve_until_stopped(StopSignals& signals);

 private:
  explicit Daemon(DaemonOptions options, std::unique_ptr<index::Catalog> catalog);
  void stop();
  index::Result<void> start_pictures();
  /// Mirrors a file's picture failure into the index's problem report.
  void record_picture_failure(const thumbs::PictureJob& job, const thumbs::Failure& failure);
  /// Whether the picture store is due a whole collection (and claims it).
  bool collection_due();
  /// Drops the recorded failures of contents no live file has any more.
  void drop_orphan_failures();

  DaemonOptions opts_;
  std::unique_ptr<index::Catalog> catalog_;
  std::unique_ptr<index::BackupWriter> backup_;  // exports metadata after each change
  index::SyncCoordinator syncs_;                 // one sync at a time, cancellable
  index::LiveSync live_;                         // watches the library, runs syncs through syncs_
  PictureFeed feed_;                             // what pictures the index still lacks
  std::unique_ptr<thumbs::PictureWorker> pictures_;  // makes them, clients' first
  int feed_listener_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> last_collection_{0};  // steady clock, 0: never
  static constexpr std::chrono::hours kCollectionInterval{24};
  std::unique_ptr<http::ApiServer> api_;
  std::atomic<fs::Mount*> mounted_{nullptr};  // what the API settles and counts, once serving
  std::unique_ptr<fs::Mount> mount_;
  std::int64_t started_ns_ = 0;
};

}  // namespace lima::daemon
