// The library's inotify watches: one per non-ignored directory, kept in step
// with the tree as directories appear, move and vanish. It turns the
// kernel's events into what the live sync needs to know: which directories
// changed (by library-relative path), which files are still being written,
// and when the whole truth must be re-read (a lost event queue).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "index/error.h"
#include "index/ignore.h"

namespace lima::index {

/// One thing an inotify event taught.
struct WatchChange {
  enum What : std::uint8_t {
    changed,  ///< something in `scope` changed
    writing,  ///< file `path` was created or written to (its writer may go on)
    closed,   ///< file `path` is complete: closed after writing, moved, or gone
  };
  What what = changed;
  /// The sync scope that covers the change: "" (the root's loose files), a
  /// project name, or "Project/sub/dir".
  std::string scope;
  std::string path;  ///< library-relative file, for writing and closed
};

/// What one batch of inotify events taught.
struct WatchEvents {
  std::vector<WatchChange> changes;
  bool overflow = false;       ///< IN_Q_OVERFLOW: events were lost
  bool root_changed = false;   ///< the root itself was moved, deleted or unmounted
  bool limit_reached = false;  ///< a new directory could not be watched (no watch left)
  std::uint64_t count = 0;     ///< events read
};

class Watcher {
 public:
  /// Sets up inotify on `library` (absolute) and every directory below it
  /// that `ignore` does not exclude, using at most `max_watches` watches (0:
  /// the system's limit). Errors: inotify unavailable (io). When the limit
  /// is reached, the watcher is returned with limit_reached() true.
  static Result<std::unique_ptr<Watcher>> start(const std::filesystem::path& library, const IgnoreRules& ignore,
                                                std::size_t max_watches = 0);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  /// The inotify descriptor, to poll() for readability.
  int fd() const { return fd_; }
  /// Reads every event queued now (never blocks) and returns what they
  /// taught; adds watches for directories that appeared, drops those of
  /// directories that went away.
  WatchEvents read();
  /// Adds watches for directories the watcher does not know yet (after an
  /// overflow). Returns false when the watch limit was reached.
  bool rewatch();
  std::size_t watches() const { return by_wd_.size(); }
  /// True once a directory could not be watched for want of watches.
  bool limit_reached() const { return limit_reached_; }

 private:
  Watcher(std::filesystem::path library, const IgnoreRules& ignore, std::size_t max_watches, int fd);
  /// Watches `rel` ("" = root) and every directory below it. False when the
  /// limit was reached.
  bool watch_tree(const std::string& rel);
  bool watch_one(const std::string& rel, bool& is_new);
  void forget_tree(const std::string& rel);

  std::filesystem::path library_;
  const IgnoreRules& ignore_;
  std::size_t max_watches_;
  int fd_;
  int root_wd_ = -1;
  bool limit_reached_ = false;
  std::unordered_map<int, std::string> by_wd_;  ///< wd → library-relative dir
  std::map<std::string, int> by_path_;          ///< sorted: a subtree is a range
};

/// The system-wide inotify watch limit (fs.inotify.max_user_watches), 0 if
/// unknown.
std::size_t system_watch_limit();

/// A name for the filesystem type of `path` when inotify cannot see every
/// change there (a network or FUSE filesystem: "nfs", "cifs", "fuse", …),
/// else nullopt.
std::optional<std::string> unwatchable_filesystem(const std::filesystem::path& path);

}  // namespace lima::index
