// The walk: lists a library (or one project / sub-path of it) without
// following symlinks, classifies every entry, and hands regular files to a
// sink. It opens directories relative to their parent (openat), so paths
// deeper than PATH_MAX and names with any bytes work.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "index/ignore.h"
#include "index/records.h"

namespace lima::index {

/// An open directory, shared by the walk and the hash jobs of its files.
class DirFd {
 public:
  explicit DirFd(int fd) : fd_(fd) {}
  ~DirFd();
  DirFd(const DirFd&) = delete;
  DirFd& operator=(const DirFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

/// A regular file found by the walk.
struct FoundFile {
  std::string name;  ///< in its directory
  std::string path;  ///< relative to its project folder (the name, for a loose file)
  bool has_stat = false;  ///< false when WalkSink::wants_stat() declined it
  struct stat st {};
};

/// Receives what the walk finds. project() is called from one thread, before
/// any file of that project; the other calls may come from several threads
/// at once (one thread per project at a time).
class WalkSink {
 public:
  virtual ~WalkSink() = default;
  /// A project folder (a directory directly under the root). Returns the
  /// number by which its files will refer to it.
  virtual std::uint32_t project(std::string_view name, const struct stat& st) = 0;
  /// The regular files of one directory of project number `project`
  /// (kLooseFiles for the root). The sink may take the entries' strings.
  virtual void files(const std::shared_ptr<DirFd>& dir, std::uint32_t project, std::vector<FoundFile>& found) = 0;
  /// Whether the walk should stat a regular file of project number
  /// `project` whose directory entry names inode `ino` (a sink that will
  /// read the file anyway can say no).
  virtual bool wants_stat(std::uint32_t project, std::uint64_t ino) const {
    (void)project;
    (void)ino;
    return true;
  }
  /// Called on the thread that walks project number `project`, before its
  /// first file and after its last: a project is walked by one thread from
  /// begin to end. begin_project may block (the sink is behind).
  virtual void begin_project(std::uint32_t project) { (void)project; }
  virtual void end_project(std::uint32_t project) { (void)project; }
  /// A directory whose content could not be listed (library-relative path):
  /// whatever the index knows below it must be kept.
  virtual void unlisted(std::string path) = 0;
  /// Something that is not indexed, with the reason.
  virtual void problem(std::string path, ProblemKind kind, std::string detail) = 0;
  /// Polled between entries; true stops the walk.
  virtual bool cancelled() const { return false; }
};

struct WalkOptions {
  const IgnoreRules* ignore = nullptr;
  /// "" for the whole library, else "Project" or "Project/sub/dir".
  std::string scope;
  /// Directories nested deeper than this below a project are not entered.
  int max_depth = 256;
  /// Projects are walked by this many threads at once.
  unsigned threads = 2;
};

enum class WalkRoot {
  ok,
  scope_missing,  ///< the scope's project or sub-path does not exist (or is not a directory)
};

/// Walks the library whose root directory is open as `root_fd`.
WalkRoot walk_library(int root_fd, const WalkOptions& opts, WalkSink& sink);

}  // namespace lima::index
