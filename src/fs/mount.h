// A mounted view of one library: the tree, the node table, the FUSE server
// and the invalidator wired together, serving on a thread of its own until
// stopped. The daemon (`limafs mount`) and the mount tests both use it.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <thread>

#include "fs/fuse_server.h"
#include "fs/invalidator.h"
#include "fs/node_table.h"
#include "fs/request_stats.h"
#include "fs/tree.h"
#include "index/catalog.h"

namespace lima::fs {

class Mount {
 public:
  /// Mounts the view of `catalog`'s library (rooted at `library_root`) on
  /// options.mountpoint and starts serving. Index writes made through
  /// catalog.write() are pushed into the view as they commit.
  static index::Result<std::unique_ptr<Mount>> start(index::Catalog& catalog,
                                                    const std::filesystem::path& library_root,
                                                    const MountOptions& options);
  /// Unmounts (see stop()).
  ~Mount();
  Mount(const Mount&) = delete;
  Mount& operator=(const Mount&) = delete;

  /// Blocks until the mount ends: stop() or an external unmount.
  void wait();
  /// True once the server has stopped serving (stop() or an external unmount).
  bool finished() const { return finished_.load(); }
  /// Unmounts and waits for the server; never hangs on a busy mount (the
  /// unmount is lazy).
  void stop();

  /// True when stop() had to leave a still-used session running: the
  /// process must then end without destroying this Mount (std::_Exit).
  bool abandoned() const { return abandoned_; }
  const RequestStats& stats() const { return stats_; }
  const Tree& tree() const { return tree_; }
  /// Waits until every index change so far has reached the kernel.
  void flush() { invalidator_->flush(); }

 private:
  Mount(index::Catalog& catalog, const std::filesystem::path& library_root, const MountOptions& options);

  index::Catalog& catalog_;
  std::filesystem::path mountpoint_;
  unsigned threads_;
  RequestStats stats_;
  ReplyGate gate_;
  Tree tree_;
  NodeTable nodes_;
  FsContext ctx_;
  std::unique_ptr<FuseServer> server_;
  std::unique_ptr<Invalidator> invalidator_;
  int subscription_ = 0;
  std::thread serving_;
  bool stopped_ = false, abandoned_ = false;
  std::atomic<bool> finished_{false};
};

}  // namespace lima::fs
