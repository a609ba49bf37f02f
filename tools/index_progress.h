// What the daemon's index holds and whether it is still syncing, as its
// control API tells: a project's live asset count, whether a sync runs or
// the watcher holds pending changes, the waits built on those, and the
// sync runs recorded since a given one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "daemon_api.h"

namespace lima::bench {

/// Live assets of the project with this folder name; 0 when the index has
/// no live project of that name.
std::uint64_t project_assets(DaemonApi& api, const std::string& project);

/// Live assets in the whole index.
std::uint64_t index_assets(DaemonApi& api);

/// True when no sync run is going on and the watcher (when the daemon has
/// one) holds no changed folder or file being written that it has not
/// synced yet.
bool daemon_quiet(DaemonApi& api);

struct AssetWait {
  bool reached = false;
  double seconds = 0;          ///< from `since` to the poll that saw it (or to giving up)
  std::uint64_t last_count = 0;
  std::size_t polls = 0;
};

/// Polls until count() answers `expected` (e.g. project_assets(): 0 when
/// the project is gone) and the daemon is quiet, or `timeout` after `since`
/// passes.
AssetWait wait_for_assets(DaemonApi& api, const std::function<std::uint64_t()>& count, std::uint64_t expected,
                          std::chrono::steady_clock::time_point since, std::chrono::milliseconds timeout);

/// Polls until the daemon is quiet; false when `timeout` passes first.
bool wait_quiet(DaemonApi& api, std::chrono::milliseconds timeout);

/// Id of the newest recorded sync run; 0 when there is none.
std::uint64_t newest_run_id(DaemonApi& api);

/// The sync runs recorded after run `after`, newest first.
struct RunTally {
  std::size_t runs = 0;
  std::map<std::string, std::size_t> by_trigger;  ///< "watcher" → 3
  std::uint64_t added = 0, removed = 0, errors = 0;
  std::map<std::string, std::size_t> scopes;  ///< "" (the library) or a folder → runs
};
RunTally runs_since(DaemonApi& api, std::uint64_t after);

/// The "watcher" member of /status ("" for each field the daemon does not report).
struct WatcherInfo {
  std::string state;   ///< "watching", "periodic", "off", …
  std::string reason;
  std::uint64_t watches = 0, events = 0, overflows = 0;
};
WatcherInfo watcher_info(DaemonApi& api);

}  // namespace lima::bench
