// The FUSE side of a mount: a libfuse low-level session answering the
// kernel from the tree and the node table, read-only. fuse_server.cpp is
// the only file that includes fuse_lowlevel.h.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "fs/invalidator.h"
#include "fs/node_table.h"
#include "fs/request_stats.h"
#include "fs/tree.h"
#include "index/error.h"

struct fuse_session;

namespace lima::fs {

struct MountOptions {
  std::filesystem::path mountpoint;
  /// Extra mount options (the comma-separated list of -o), passed to libfuse.
  std::vector<std::string> fuse_options;
  /// Worker threads at most.
  unsigned threads = 16;
  /// How long the kernel may keep names and attributes (pushed out on change).
  double cache_seconds = 24 * 3600;
  /// The control API's address, shown in .limafs/status ("" when none).
  std::string api_url;
  /// More lines for .limafs/status (library online, watcher), rendered at
  /// each open; none when empty.
  std::function<std::string()> status_text;
};

/// The contents of the files open in the view (README.txt, .limafs/*),
/// each read once at open. Owned here rather than by the kernel's file
/// handles, so that files still open when the session ends (a release the
/// kernel never sent) are freed too.
class OpenFiles {
 public:
  /// Keeps `text`; the pointer is the file handle.
  const std::string* adopt(std::unique_ptr<std::string> text) {
    std::lock_guard lock(mu_);
    const auto* p = text.get();
    files_.emplace(p, std::move(text));
    return p;
  }
  void drop(const std::string* p) {
    std::lock_guard lock(mu_);
    files_.erase(p);
  }

 private:
  std::mutex mu_;
  std::unordered_map<const std::string*, std::unique_ptr<std::string>> files_;
};

/// Everything a request handler reads. Owned by Mount.
struct FsContext {
  const Tree& tree;
  NodeTable& nodes;
  ReplyGate& gate;
  RequestStats& stats;
  double cache_seconds;
  unsigned uid, gid;
  OpenFiles open_files{};
};

class FuseServer : public Notifier {
 public:
  /// Creates the session and mounts it (read-only) on options.mountpoint.
  static index::Result<std::unique_ptr<FuseServer>> mount(FsContext& ctx, const MountOptions& options);
  ~FuseServer() override;
  FuseServer(const FuseServer&) = delete;
  FuseServer& operator=(const FuseServer&) = delete;

  /// Answers requests until exit() or the mount goes away. Returns false
  /// when the loop failed.
  bool serve(unsigned threads);
  /// Makes serve() return: unmounts (lazily) so that no request hangs.
  void exit();

  void inval_inode(NodeId id) override;
  void inval_entry(NodeId parent, std::string_view name) override;
  void delete_entry(NodeId parent, NodeId child, std::string_view name) override;

 private:
  FuseServer() = default;
  ::fuse_session* se_ = nullptr;
  bool mounted_ = false;
};

/// Clears a mount left behind by a daemon that died ("Transport endpoint is
/// not connected"): true when there was one and it is gone.
index::Result<bool> clear_stale_mount(const std::filesystem::path& mountpoint);

}  // namespace lima::fs
