// The sync engine: one run that brings the index in line with the library
// (or one project / sub-path of it). It walks the tree, hashes only files
// whose (device, inode, size, mtime) changed (or all of them in verify
// mode) on a pool of threads while the walk goes on, reconciles identities
// (reconcile.h) a batch of projects at a time as they are read, writes each
// batch in one transaction, and records the run. It never writes to the
// library.
//
// Cost: what a run reads of the index is what its folders may be (the
// assets of the projects they are, by name or folder inode), plus, for
// each file it does not recognise there, the assets of the same inode or
// content anywhere (sync_snapshot.h). A scoped run (a watcher batch, an
// upload, an API sync of one folder) thus costs in proportion to its
// folder, not the library; a full run holds a few batches in memory
// (SyncOptions::batch_files), whatever the library's size. A first index
// (an empty index) also keeps 36 bytes per file aside: its content and
// inode keys, written in key order when it ends (deferred_keys.h).
//
// Durability: each batch is committed with the meta page flushed lazily
// (Env::set_lazy_meta): a system crash may undo the last batches (never
// corrupt the index); the run's record, and any other thread's commit (an
// API edit), is flushed whole, with everything before it.
//
// On a first index, the walk and the hashing threads run nicer than the
// thread that writes, so that on few cores the writing keeps pace with them.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "index/catalog.h"

namespace lima::index {

enum class SyncPhase : int { starting = 0, walking = 1, writing = 2, done = 3 };

/// Live figures of a running sync, readable from any thread.
struct SyncProgress {
  std::atomic<int> phase{0};  ///< SyncPhase
  std::atomic<bool> walk_done{false};
  std::atomic<std::uint64_t> files_seen{0}, files_to_hash{0}, files_hashed{0};
  /// Files the index held before the sync (0 on a first index): an estimate
  /// of how many the walk will find.
  std::atomic<std::uint64_t> files_expected{0};
  std::atomic<std::uint64_t> bytes_to_hash{0}, bytes_hashed{0};
  std::atomic<std::uint64_t> items_to_write{0}, items_written{0};
};

struct SyncOptions {
  std::filesystem::path library;  ///< absolute path of the library root
  Mode mode = Mode::incremental;
  Trigger trigger = Trigger::cli;
  std::string scope;  ///< "" = whole library; "Project" or "Project/sub/path"
  std::vector<std::string> ignore_globs;
  /// Library-relative files still being written ("Project/path", or the
  /// name of a loose file): neither read nor changed in the index.
  std::vector<std::string> held;
  /// Accept a library root on another device than recorded (the library
  /// moved to another disk); otherwise that is treated as offline.
  bool allow_device_change = false;
  unsigned hash_threads = 0;  ///< 0: chosen from the CPU count
  /// Files reconciled at once (a batch of whole projects); 0: 20,000. What
  /// a sync holds in memory is a few batches, whatever the library's size.
  std::size_t batch_files = 0;
  SyncProgress* progress = nullptr;
  /// Set when the process is stopping: the run ends `interrupted`.
  const std::atomic<bool>* cancel = nullptr;
  /// Set when someone cancels this run (limafs sync --cancel, DELETE
  /// /api/v1/sync/runs/{id}): the run ends `cancelled`.
  ///
  /// Either flag stops the run at its next safe point. The run reconciles
  /// the library a batch of projects at a time as they are walked and
  /// hashed: the batches written before the stop stay (their projects are
  /// up to date), and nothing is changed in the projects it had not reached
  /// (a project gone as a whole is only removed by a run that got through).
  /// Once the walk and the hashing are done, the run writes its results and
  /// ends as usual.
  const std::atomic<bool>* cancel_run = nullptr;
  /// Called once the run is recorded (it has its id, status running).
  std::function<void(const Run&)> on_begin;
};

/// Normalizes a scope ("Proj/sub/" → "Proj/sub"); rejects absolute paths,
/// "." and ".." components.
Result<std::string> normalize_scope(std::string_view scope);

/// Runs one sync. The returned run tells how it ended (ok, partial,
/// offline, interrupted, cancelled, failed); an error means no run could be started
/// (bad scope, the index belongs to another library, …).
Result<Run> run_sync(Catalog& catalog, const SyncOptions& opts);

}  // namespace lima::index
