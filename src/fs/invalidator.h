// The invalidator: after each index commit, works out which places of the
// view the change can have touched, among those the kernel knows, and pushes
// exactly those out of the kernel's caches (and the daemon's listings), so
// caches can live long and still never show stale data. Directories whose
// listing changed get a new mtime, and names that left a directory are
// deleted from the kernel's caches (a window showing a removed folder hears
// IN_DELETE_SELF).
//
// Runs on its own thread, fed by the index writer (never from a FUSE request
// handler). Changes that pile up while it works are merged into one round.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <thread>

#include "fs/node_table.h"
#include "fs/tree.h"
#include "index/changes.h"

namespace lima::fs {

/// Where invalidations go (the FUSE session; a recording one in the tests).
class Notifier {
 public:
  virtual ~Notifier() = default;
  /// Drops the kernel's attributes and cached contents of a node.
  virtual void inval_inode(NodeId id) = 0;
  /// Drops the kernel's cached name `name` in directory `parent`.
  virtual void inval_entry(NodeId parent, std::string_view name) = 0;
  /// Tells the kernel that `name` in `parent`, which was node `child`, is
  /// gone: the name is dropped, the node marked deleted, and inotify
  /// watchers of the child itself get IN_DELETE_SELF (Linux tells watchers
  /// of `parent` nothing).
  virtual void delete_entry(NodeId parent, NodeId child, std::string_view name) = 0;
};

/// Orders replies against invalidations: a reply computed from an index
/// read that may predate a change is sent with zero timeouts, so the
/// kernel cannot keep it after the change's invalidations.
class ReplyGate {
 public:
  /// Read before the index read a reply is computed from.
  std::uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }
  /// Held while remembering a reply's nodes and sending it.
  std::shared_lock<std::shared_mutex> hold() { return std::shared_lock(mu_); }
  /// True when nothing changed since `epoch` (call while holding).
  bool still(std::uint64_t epoch) const { return epoch_.load(std::memory_order_acquire) == epoch; }
  /// Starts a round of invalidations: no reply is being sent while the
  /// returned lock is held, and every reply read before it is stale.
  std::unique_lock<std::shared_mutex> advance() {
    std::unique_lock lock(mu_);
    epoch_.fetch_add(1, std::memory_order_acq_rel);
    return lock;
  }

 private:
  std::shared_mutex mu_;
  std::atomic<std::uint64_t> epoch_{0};
};

class Invalidator {
 public:
  Invalidator(const Tree& tree, NodeTable& nodes, Notifier& notifier, ReplyGate& gate);
  ~Invalidator();
  Invalidator(const Invalidator&) = delete;
  Invalidator& operator=(const Invalidator&) = delete;

  /// Queues a committed change (called on the writer's thread).
  void changed(const index::Changes& c);
  /// Waits until every change queued so far has been pushed out.
  void flush();

 private:
  void run();
  void apply(const index::Changes& c);

  const Tree& tree_;
  NodeTable& nodes_;
  Notifier& notifier_;
  ReplyGate& gate_;
  std::mutex mu_;
  std::condition_variable cv_;
  index::Changes pending_;
  bool has_pending_ = false, stop_ = false;
  std::uint64_t queued_ = 0, done_ = 0;
  std::thread thread_;
};

}  // namespace lima::fs
