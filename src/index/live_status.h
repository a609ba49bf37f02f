// What the live sync tells of itself: whether the library is online, how
// changes are picked up (watching, periodic syncs), and its counters. Plain
// data, taken in one go; the API renders it as JSON and Prometheus text, the
// mount as the lines of .limafs/status.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lima::index {

/// How the live sync picks up changes.
enum class WatchMode {
  starting,  ///< setting up the watches; nothing runs meanwhile
  watching,  ///< inotify watches the library
  periodic,  ///< the library cannot be watched: a full sync every poll interval
  offline,   ///< the library is offline: nothing is synced until it returns
};

/// "starting", "watching", "periodic", "offline": as /status names it.
std::string_view to_string(WatchMode mode);

struct LiveStatus {
  // The library.
  bool online = true;
  std::string offline_reason;         ///< while offline
  std::int64_t offline_since_ns = 0;  ///< while offline (Unix ns)

  // The watcher.
  WatchMode mode = WatchMode::starting;
  std::string mode_reason;  ///< why the syncs are periodic; empty otherwise
  std::size_t watches = 0;
  std::size_t watch_limit = 0;  ///< --max-watches, or what the system allows
  std::uint64_t events = 0;     ///< inotify events read
  std::uint64_t overflows = 0;  ///< inotify queue overflows
  std::uint64_t batches = 0;    ///< batches of changes synced
  std::uint64_t runs = 0;       ///< sync runs made
  std::size_t pending_dirs = 0;         ///< changed directories waiting for their rescan
  std::size_t files_being_written = 0;  ///< held back until their writer closes them
  std::int64_t last_event_ns = 0;       ///< 0: none yet

  // The schedule.
  std::chrono::milliseconds quiet{0};
  std::chrono::seconds reconcile_interval{0};  ///< 0: no reconciliation
  std::int64_t next_reconcile_ns = 0;          ///< when reconcile_interval is set
  std::chrono::seconds poll_interval{0};       ///< 0: no periodic syncs
  std::int64_t next_poll_ns = 0;               ///< when periodic with a poll interval
};

}  // namespace lima::index
