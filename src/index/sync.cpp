#include "index/sync.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <unordered_set>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "index/hasher.h"
#include "index/image_header.h"
#include "index/inode_index.h"
#include "index/kinds.h"
#include "index/key_codec.h"
#include "index/library_root.h"
#include "index/reconcile.h"
#include "index/runs.h"
#include "index/schema.h"
#include "index/walker.h"

namespace lima::index {

namespace {

// Assets per write transaction. Large batches matter: content-hash and inode
// keys are random, so every batch rewrites most pages of those tables.
constexpr std::size_t kBatchItems = 100000;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t mtime_of(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// What earlier syncs reported under paths this run's changes made stale,
// also outside its scope: the `removed` line of an item that came back
// (maybe under another name or in another folder), and everything under a
// project folder's old name once it was renamed.
void forget_stale_problems(WriteTxn& t, RunLog& log, const Snapshot& snap, const Plan& plan) {
  std::unordered_set<std::string_view> live_names;
  bool renamed = false;
  for (const auto& [before, after] : plan.projects) {
    if (!before) continue;
    if (before->state == ItemState::tombstone && after.state == ItemState::live) log.forget_removed(t, before->name);
    renamed |= before->state == ItemState::live && after.state == ItemState::live && before->name != after.name;
  }
  if (renamed) {
    for (const auto& p : snap.projects)
      if (p.state == ItemState::live) live_names.insert(p.name);
    for (const auto& [before, after] : plan.projects) {
      if (before) live_names.erase(before->name);
      if (after.state == ItemState::live) live_names.insert(after.name);
    }
    for (const auto& [before, after] : plan.projects)
      if (before && before->state == ItemState::live && after.state == ItemState::live && before->name != after.name &&
          !live_names.count(before->name))
        log.replace_problems(t, before->name, {});
  }
  if (plan.counts.revived == 0) return;
  std::unordered_map<ProjectId, std::string_view> names;
  for (const auto& p : snap.projects) names.emplace(p.id, p.name);
  for (const auto& [before, after] : plan.assets)
    if (before && before->state == ItemState::tombstone && after.state == ItemState::live) {
      auto it = names.find(before->project);
      log.forget_removed(t, library_path(it == names.end() ? std::string() : std::string(it->second), before->path));
    }
}

Snapshot load_snapshot(Catalog& cat) {
  Snapshot s;
  ReadTxn t(cat.env());
  s.projects = cat.projects(t, true);
  const auto n = cat.counts(t);
  s.assets.reserve(n.assets + n.tombstoned_assets);
  cat.for_each_asset(t, [&](const Asset& a) { s.assets.push_back(a); });
  auto next = [&](const char* table) {
    auto v = t.get(cat.db().meta, std::string(schema::kMetaNextId) + table);
    return v && v->size() == 8 ? get_u64(*v) : 1;
  };
  s.next_project_id = next(schema::kProjects);
  s.next_asset_id = next(schema::kAssets);
  return s;
}

/// The files of one project (or the loose files) and how many of them are
/// still being hashed.
struct FileGroup {
  std::deque<SeenFile> files;  // hash jobs hold pointers: never reallocated
  std::atomic<std::size_t> unfinished{0};
};

/// One file for a hash job.
struct HashItem {
  std::string name;
  SeenFile* file;
  FileGroup* group;
  bool has_stat;
  struct stat st;
  bool image;        ///< an image: its header is read too
  bool header_only;  ///< unchanged: only its header is read (its record has no facts)
};

/// Collects the walk's findings and hashes files on the pool as they come.
/// Files are kept per project (each project is walked by one thread), so
/// the walk needs no lock and the final order does not depend on timing.
class Collector final : public WalkSink {
 public:
  Collector(const Snapshot& snap, const InodeIndex& known, std::uint64_t root_dev, const SyncOptions& opts,
            SyncProgress& progress)
      : snap_(snap), known_(known), opts_(opts), progress_(progress), held_(opts.held.begin(), opts.held.end()) {
    devs_.push_back(root_dev);
    for (const auto& a : snap.assets)  // a few at most: nested mounts
      if (a.state == ItemState::live && std::find(devs_.begin(), devs_.end(), a.dev) == devs_.end())
        devs_.push_back(a.dev);
  }

  void set_pool(HashPool* pool) { pool_ = pool; }

  std::uint32_t project(std::string_view name, const struct stat& st) override {
    ++root_entries;
    projects.push_back({std::string(name), st.st_dev, st.st_ino, mtime_of(st)});
    by_project_.push_back(std::make_unique<FileGroup>());
    return static_cast<std::uint32_t>(projects.size() - 1);
  }

  bool wants_stat(std::uint64_t ino) const override {
    // A file whose inode the index does not know is new: it gets hashed, and
    // hashing learns its stat, so the walk need not ask.
    if (opts_.mode != Mode::incremental) return false;
    for (auto dev : devs_)
      if (known_.find(dev, ino) != InodeIndex::kNone) return true;
    return false;
  }

  void files(const std::shared_ptr<DirFd>& dir, std::uint32_t project, std::vector<FoundFile>& found) override {
    const bool loose = project == kLooseFiles;
    FileGroup& grp = loose ? loose_ : *by_project_[project];
    auto& out = grp.files;
    if (!held_.empty()) {
      // Files still being written are left alone: what the index holds of
      // them (if anything) stays, as for a directory that cannot be listed.
      std::erase_if(found, [&](const FoundFile& ff) {
        std::string path = loose ? ff.path : projects[project].name + "/" + ff.path;
        if (!held_.count(path)) return false;
        unlisted(std::move(path));
        return true;
      });
    }
    if (loose) root_entries += found.size();
    progress_.files_seen.fetch_add(found.size(), std::memory_order_relaxed);

    // Files to hash go to the pool in small groups: one hand-over per group,
    // not per file, while several groups are still read at once.
    constexpr std::size_t kGroupFiles = 32;
    constexpr std::uint64_t kGroupBytes = std::uint64_t{16} << 20;
    std::vector<HashItem> group;
    std::uint64_t group_bytes = 0;
    auto flush = [&] {
      if (group.empty()) return;
      pool_->submit([this, dir, items = std::move(group)](std::span<char> buf) {
        for (const auto& item : items) hash_one(*dir, item, buf);
      });
      group = {};
      group_bytes = 0;
    };
    for (auto& ff : found) {
      const bool image = kind_of(ff.name) == Kind::image;
      SeenFile& f = out.emplace_back();
      f.project = project;
      f.path = std::move(ff.path);
      if (ff.has_stat) {
        f.dev = ff.st.st_dev;
        f.ino = ff.st.st_ino;
        f.size = static_cast<std::uint64_t>(ff.st.st_size);
        f.mtime_ns = mtime_of(ff.st);
        if (opts_.mode == Mode::incremental) {
          const std::uint32_t j = known_.find(f.dev, f.ino);
          if (j != InodeIndex::kNone && snap_.assets[j].size == f.size && snap_.assets[j].mtime_ns == f.mtime_ns) {
            f.hash = snap_.assets[j].hash;
            // An image indexed before its facts were kept: its header is
            // read, once (the record keeps what it says).
            if (snap_.assets[j].image == ImageFacts::unread && image) {
              grp.unfinished.fetch_add(1, std::memory_order_relaxed);
              group.push_back({std::move(ff.name), &f, &grp, ff.has_stat, ff.st, true, true});
              if (group.size() >= kGroupFiles) flush();
            }
            continue;
          }
        }
        progress_.bytes_to_hash.fetch_add(f.size, std::memory_order_relaxed);
      }
      progress_.files_to_hash.fetch_add(1, std::memory_order_relaxed);
      grp.unfinished.fetch_add(1, std::memory_order_relaxed);
      group.push_back({std::move(ff.name), &f, &grp, ff.has_stat, ff.st, image, false});
      group_bytes += f.size;
      if (group.size() >= kGroupFiles || group_bytes >= kGroupBytes) flush();
    }
    flush();
  }

  /// Every file seen, in project order, loose files last.
  std::vector<SeenFile> take_files() {
    std::vector<SeenFile> out;
    out.reserve(file_count());
    for_each_group([&](FileGroup& g) {
      for (auto& f : g.files) out.push_back(std::move(f));
    });
    by_project_.clear();
    loose_.files.clear();
    return out;
  }

  /// The files in take_files() order with only what the walk learnt (where
  /// they are), as if every one of them were readable. Call once the walk
  /// is over; safe while hashing goes on.
  std::vector<SeenFile> provisional_files() const {
    std::vector<SeenFile> out;
    out.reserve(file_count());
    for_each_group([&](const FileGroup& g) {
      for (const auto& f : g.files) {
        SeenFile& p = out.emplace_back();
        p.project = f.project;
        p.path = f.path;
      }
    });
    return out;
  }

  /// Calls fn(files) for each project's files, in order, then for the loose
  /// files, each once all of its files are hashed. Stops early when the sync
  /// is cancelled; returns whether it got through.
  bool for_each_group_when_hashed(const std::function<void(std::deque<SeenFile>&)>& fn) {
    bool done = true;
    for_each_group([&](FileGroup& g) {
      if (!done) return;
      std::unique_lock lock(hashed_mu_);
      // Cancelling does not notify: look again now and then.
      while (!hashed_cv_.wait_for(lock, std::chrono::milliseconds(200),
                                  [&] { return g.unfinished.load(std::memory_order_acquire) == 0 || cancelled(); })) {
      }
      lock.unlock();
      if (g.unfinished.load(std::memory_order_acquire) != 0) {
        done = false;
        return;
      }
      fn(g.files);
    });
    return done;
  }

  void unlisted(std::string path) override {
    std::lock_guard lock(mu_);
    unlisted_dirs.push_back(std::move(path));
  }

  void problem(std::string path, ProblemKind kind, std::string detail) override {
    if (path.find('/') == std::string::npos && kind != ProblemKind::loose_file) ++root_entries;
    std::lock_guard lock(mu_);
    problems.push_back({std::move(path), kind, std::move(detail), 0});
  }

  /// Asked by whoever is about to do some work: true means it leaves it
  /// undone, and the run can no longer finish as a whole (stopped_early).
  bool cancelled() const override {
    const bool stop = aborted_.load(std::memory_order_relaxed) ||
                      (opts_.cancel && opts_.cancel->load(std::memory_order_relaxed)) ||
                      (opts_.cancel_run && opts_.cancel_run->load(std::memory_order_relaxed));
    if (stop) stopped_.store(true, std::memory_order_relaxed);
    return stop;
  }
  /// True when some work was left undone because of a cancel: a cancel
  /// that comes once everything is walked and hashed stops nothing.
  bool stopped_early() const { return stopped_.load(); }
  /// Stops the walk and the hashing early (the sync is failing).
  void abort() { aborted_ = true; }

  std::vector<SeenProject> projects;
  std::vector<std::string> unlisted_dirs;
  std::vector<Problem> problems;
  std::atomic<std::uint64_t> root_entries{0};
  std::atomic<std::uint64_t> files_hashed{0}, bytes_hashed{0};

 private:
  std::size_t file_count() const {
    std::size_t n = loose_.files.size();
    for (const auto& g : by_project_) n += g->files.size();
    return n;
  }

  template <class Fn>
  void for_each_group(Fn&& fn) {
    for (auto& g : by_project_) fn(*g);
    fn(loose_);
  }
  template <class Fn>
  void for_each_group(Fn&& fn) const {
    for (const auto& g : by_project_) fn(static_cast<const FileGroup&>(*g));
    fn(loose_);
  }

  std::string lib_path(const SeenFile& f) const {
    return f.project == kLooseFiles ? f.path : projects[f.project].name + "/" + f.path;
  }

  void hash_one(const DirFd& dir, const HashItem& item, std::span<char> buf) {
    try {
      read_one(dir, item, buf);
    } catch (...) {
      item.file->ok = false;  // e.g. out of memory while reporting: not indexed this time
    }
    // Whatever happened, the file is settled now; the last one of its group
    // wakes the writer (under the lock, so a waiter cannot miss it).
    if (item.group->unfinished.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard lock(hashed_mu_);
      hashed_cv_.notify_all();
    }
  }

  void read_one(const DirFd& dir, const HashItem& item, std::span<char> buf) {
    SeenFile& f = *item.file;
    const struct stat* st = item.has_stat ? &item.st : nullptr;
    if (cancelled()) {
      f.ok = false;
      return;
    }
    if (item.header_only) {
      if (auto head = read_head(dir.get(), item.name.c_str(), buf.first(std::min(buf.size(), kImageHeaderBytes))))
        f.header = read_image_header(*head, head->size() >= f.size);
      return;  // unreadable now: the record stays as it was, facts unread
    }
    try {
      std::optional<ImageHeader> header;
      HeadReader read_header;
      if (item.image) read_header = [&](std::string_view head, bool whole) { header = read_image_header(head, whole); };
      HashedFile h = hash_file(dir.get(), item.name.c_str(), buf, st, 3, [this] { return cancelled(); }, read_header);
      if (h.stopped) {
        f.ok = false;  // cancelled part way: left as the index has it
      } else if (h.error == ENOENT || h.not_regular) {
        f.ok = false;
        f.gone = true;
        problem(lib_path(f), ProblemKind::vanished,
                h.not_regular ? "no longer a regular file" : "disappeared during the sync");
      } else if (h.error) {
        f.ok = false;
        problem(lib_path(f), ProblemKind::unreadable, std::strerror(h.error));
      } else if (h.unstable) {
        f.ok = false;
        problem(lib_path(f), ProblemKind::changed_while_hashing, "kept changing while it was read; try again later");
      } else {
        f.hash = h.hash;
        f.dev = h.dev;
        f.ino = h.ino;
        f.size = h.size;
        f.mtime_ns = h.mtime_ns;
        f.hashed = true;
        if (item.image) f.header = header ? *header : read_image_header({}, true);  // no bytes: empty
        files_hashed.fetch_add(1, std::memory_order_relaxed);
        bytes_hashed.fetch_add(h.size, std::memory_order_relaxed);
      }
    } catch (const std::exception& e) {
      f.ok = false;
      problem(lib_path(f), ProblemKind::unreadable, e.what());
    }
    if (!st) progress_.bytes_to_hash.fetch_add(f.size, std::memory_order_relaxed);  // learnt only now
    progress_.files_hashed.fetch_add(1, std::memory_order_relaxed);
    progress_.bytes_hashed.fetch_add(f.size, std::memory_order_relaxed);
  }

  const Snapshot& snap_;
  const InodeIndex& known_;
  std::vector<std::uint64_t> devs_;  ///< devices the index has files on
  const SyncOptions& opts_;
  HashPool* pool_ = nullptr;
  SyncProgress& progress_;
  const std::unordered_set<std::string> held_;
  // Hash jobs hold pointers into these: each group stays where it is.
  std::vector<std::unique_ptr<FileGroup>> by_project_;
  FileGroup loose_;
  std::mutex hashed_mu_;
  std::condition_variable hashed_cv_;
  std::atomic<bool> aborted_{false};
  mutable std::atomic<bool> stopped_{false};
  std::mutex mu_;
};

// Reserves the ids a plan hands out (checking nobody else took some
// meanwhile) and writes its live projects: the first transaction of a sync.
void write_ids_and_live_projects(Catalog& cat, const Plan& plan, std::uint64_t expected_project,
                                 std::uint64_t expected_asset) {
  auto reserve = [&](WriteTxn& t, const char* table, std::uint64_t expected, std::uint64_t next) {
    const std::string key = std::string(schema::kMetaNextId) + table;
    auto v = t.get(cat.db().meta, key);
    std::uint64_t current = v && v->size() == 8 ? get_u64(*v) : 1;
    if (current != expected) throw std::runtime_error("the index was changed by someone else during the sync");
    if (next != current) t.put(cat.db().meta, key, key_u64(next));
  };
  cat.write([&](WriteTxn& t) {
    reserve(t, schema::kProjects, expected_project, plan.next_project_id);
    reserve(t, schema::kAssets, expected_asset, plan.next_asset_id);
    for (const auto& [before, after] : plan.projects)
      if (after.state == ItemState::live) cat.put_project(t, after, before);
  });
}

// A library the index has never seen (no project, no asset) has no identity
// to work out: every folder and file is new. Its plan is made as soon as the
// walk is over, and each project's files are written as soon as they are
// hashed, while the rest are still being read. Returns the plan (its assets
// consumed), or nullopt when the sync was cancelled part way (what was
// written stays: the next sync goes on from there).
std::optional<Plan> stream_new_library(Catalog& cat, const Snapshot& snap, const InodeIndex& inodes,
                                       Collector& sink, const Coverage& coverage, Mode mode, std::int64_t now,
                                       SyncProgress& progress, bool& wrote_some, std::uint64_t& added) {
  std::vector<SeenFile> provisional = sink.provisional_files();
  Plan plan = reconcile(snap, inodes, sink.projects, provisional, coverage, mode, now);
  if (plan.assets.size() != provisional.size())
    throw std::logic_error("a new library's plan does not cover every file");
  provisional = {};
  progress.items_to_write = plan.projects.size() + plan.assets.size();
  write_ids_and_live_projects(cat, plan, snap.next_project_id, snap.next_asset_id);
  wrote_some = true;
  progress.items_written = plan.projects.size();

  std::vector<AssetChange> batch;
  std::size_t next = 0, unreadable = 0;
  auto flush = [&] {
    if (batch.empty()) return;
    cat.write([&](WriteTxn& t) { cat.put_assets(t, batch); });
    progress.items_written += batch.size();
    added += batch.size();
    batch.clear();
  };
  const bool complete = sink.for_each_group_when_hashed([&](std::deque<SeenFile>& files) {
    for (const SeenFile& f : files) {
      AssetChange& change = plan.assets[next++];
      if (!f.ok) {
        ++unreadable;  // reported by the hashing; not indexed, like in any sync
        continue;
      }
      take_file_facts(change.after, f);
      batch.push_back(std::move(change));
    }
    if (batch.size() >= kBatchItems / 4) flush();
  });
  flush();
  if (!complete) return std::nullopt;
  plan.counts.added -= unreadable;
  plan.assets.clear();
  return plan;
}

// Hash groups waiting in the queue. A deep queue lets the walk finish (and
// the total be known) long before the hashing does; each waiting group keeps
// its directory open, so the depth follows the open-file limit.
std::size_t hash_queue_groups() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return 1024;
  return std::clamp<std::size_t>((lim.rlim_cur > 256 ? lim.rlim_cur - 256 : 0) / 2, 32, 4096);
}

/// The name of the folder directly under the root with this device and
/// inode, if any.
std::optional<std::string> find_folder_by_inode(int root_fd, std::uint64_t dev, std::uint64_t ino) {
  int fd = ::fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
  DIR* d = fd >= 0 ? ::fdopendir(fd) : nullptr;
  if (!d) {
    if (fd >= 0) ::close(fd);
    return std::nullopt;
  }
  std::optional<std::string> found;
  while (dirent* de = ::readdir(d)) {
    if (de->d_ino != ino || de->d_name[0] == '.') continue;
    struct stat st{};
    if (::fstatat(root_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) && st.st_dev == dev &&
        st.st_ino == ino) {
      found = de->d_name;
      break;
    }
  }
  ::closedir(d);
  return found;
}

unsigned hash_threads(unsigned requested) {
  if (requested) return requested;
  // Reads in flight matter more than cores on a cold cache; on a warm one the
  // extra threads just wait their turn.
  return std::clamp(std::thread::hardware_concurrency() + 1, 3u, 8u);
}

}  // namespace

Result<std::string> normalize_scope(std::string_view scope) {
  if (scope.starts_with('/')) return fail(Errc::invalid_argument, "a scope is a path inside the library, not absolute");
  std::string out;
  std::size_t start = 0;
  while (start <= scope.size()) {
    std::size_t end = scope.find('/', start);
    if (end == std::string_view::npos) end = scope.size();
    std::string_view comp = scope.substr(start, end - start);
    start = end + 1;
    if (comp.empty()) continue;
    if (comp == "." || comp == "..") return fail(Errc::invalid_argument, "a scope cannot contain '.' or '..'");
    if (comp.find('\0') != std::string_view::npos) return fail(Errc::invalid_argument, "a scope cannot contain NUL");
    if (!out.empty()) out += '/';
    out += comp;
  }
  return out;
}

namespace {

// A sync, step by step: the scope check, what the index knows, the root
// probe, the run's record, then collect (walk and hash), plan, write, and
// record the problems and how the run ended.

/// The scope, normalized; refused when an ignore rule covers it or the
/// library path is relative.
Result<std::string> checked_scope(const SyncOptions& opts, const IgnoreRules& ignore) {
  auto scope = normalize_scope(opts.scope);
  if (!scope) return tl::unexpected(scope.error());
  std::string prefix;
  for (std::size_t start = 0; start < scope->size();) {
    std::size_t end = std::min(scope->find('/', start), scope->size());
    const std::string comp = scope->substr(start, end - start);
    prefix += (prefix.empty() ? "" : "/") + comp;
    if (ignore.ignored(comp, prefix))
      return fail(Errc::invalid_argument, "'" + prefix + "' is ignored (see limafs(1), Ignored names); nothing to sync");
    start = end + 1;
  }
  if (!opts.library.is_absolute()) return fail(Errc::invalid_argument, "the library path must be absolute");
  return scope;
}

/// What the index knows before the run starts.
struct Known {
  RootExpectation root;                   ///< the device last seen; projects for a scoped sync
  std::optional<Project> scoped_project;  ///< the project the scope names, if indexed
};

/// Reads what the index knows of `library`; refuses an index of another
/// library.
Result<Known> read_known(Catalog& cat, const std::string& library, const std::string& scope) {
  ReadTxn t(cat.env());
  if (auto root = cat.library_root(t); root && *root != library)
    return fail(Errc::conflict, "the index in " + cat.state_dir().string() + " belongs to the library " + *root +
                                    ", not " + library + " (use another --state directory)");
  Known k;
  k.root.dev = cat.library_dev(t);
  if (!scope.empty()) {
    // A scoped sync does not walk the root, but an empty root (a disk
    // unmounted from under its mount point) must not make its projects
    // look deleted either: the probe looks inside when there are some.
    k.root.projects = cat.counts(t).projects;
    if (scope.find('/') == std::string::npos)
      if (auto id = cat.project_id_by_name(t, scope)) k.scoped_project = cat.project(t, *id);
  }
  k.root.list = k.root.projects > 0;  // a full sync's walk lists the root itself
  return k;
}

/// Checks that the scope names a folder of the library (the root open as
/// `root_fd`, -1 if it could not be). A project renamed since the last sync
/// is synced under its new name (rather than declared gone under the old
/// one): `scope` is changed and the returned note says so.
Result<std::string> locate_scope(int root_fd, std::string& scope, const Known& known) {
  if (scope.empty() || root_fd < 0) return std::string();
  struct stat st{};
  if (!known.scoped_project) {
    if (::fstatat(root_fd, scope.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
      return fail(Errc::not_found, "there is no folder '" + scope + "' in the library");
    return std::string();
  }
  if (::fstatat(root_fd, scope.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
    if (auto now = find_folder_by_inode(root_fd, known.scoped_project->dev, known.scoped_project->ino)) {
      std::string note = "project '" + scope + "' is now '" + *now + "'";
      scope = *now;
      return note;
    }
  return std::string();
}

/// Why the probed root makes the run offline, in the run's words; nullopt
/// when it is online. Offline never removes anything.
std::optional<std::string> offline_message(const RootProbe& root, const std::string& library) {
  switch (root.state) {
    case RootState::online: return std::nullopt;
    case RootState::missing: return "the library root " + library + " does not exist";
    case RootState::not_directory: return "the library root " + library + " is not a directory";
    case RootState::cannot_open:
      return "cannot open the library root " + library + ": " + std::strerror(root.error);
    case RootState::cannot_stat: return "cannot stat the library root: " + std::string(std::strerror(root.error));
    case RootState::other_device:
      return "the library root is on another device than before (was " + std::to_string(root.expected_dev) +
             ", now " + std::to_string(root.dev) +
             "): is its disk mounted? If the library moved to another disk, sync once with --allow-device-change";
    case RootState::cannot_list: return "cannot list the library root; nothing was removed";
    case RootState::empty:
      return "the library root is empty but the index has " + std::to_string(root.projects) +
             " projects: is its disk mounted? Nothing was removed";
  }
  return std::nullopt;
}

/// The live files in the scope: what the walk will likely find.
std::uint64_t files_expected(const Snapshot& snap, const std::string& scope) {
  const auto slash = scope.find('/');
  const std::string scope_project = scope.substr(0, slash);
  const std::string scope_dir = slash == std::string::npos ? std::string() : scope.substr(slash + 1) + "/";
  std::unordered_set<ProjectId> in_scope;
  for (const auto& p : snap.projects)
    if (p.state == ItemState::live && p.name == scope_project) in_scope.insert(p.id);
  return static_cast<std::uint64_t>(std::count_if(snap.assets.begin(), snap.assets.end(), [&](const Asset& a) {
    return a.state == ItemState::live &&
           (scope.empty() || (in_scope.count(a.project) && a.path.starts_with(scope_dir)));
  }));
}

/// One run: recorded in the index from begin() on, ended by finish().
class SyncRun {
 public:
  SyncRun(Catalog& cat, const SyncOptions& opts, const IgnoreRules& ignore, std::string scope, const Known& known)
      : cat_(cat),
        opts_(opts),
        ignore_(ignore),
        scope_(std::move(scope)),
        known_(known),
        log_(cat),
        progress_(opts.progress ? *opts.progress : local_progress_) {}

  /// Records the run as running (closing runs a crash left open).
  Result<void> begin(const std::string& library, const std::string& note) {
    run_.trigger = opts_.trigger;
    run_.mode = opts_.mode;
    run_.scope = scope_;
    run_.message = note;
    run_.started_ns = now_ns();
    try {
      cat_.write([&](WriteTxn& t) {
        log_.close_stale(t, run_.started_ns);
        log_.begin(t, run_);
        cat_.set_library_root(t, library);
      });
    } catch (const std::exception& e) {
      return fail(errc_of(e), std::string("cannot record the sync in the index: ") + e.what());
    }
    if (opts_.on_begin) opts_.on_begin(run_);
    return {};
  }

  /// Ends the run early with this status and message.
  Result<Run> finish(RunStatus status, std::string message) {
    run_.status = status;
    run_.message = std::move(message);
    run_.ended_ns = now_ns();
    progress_.phase = static_cast<int>(SyncPhase::done);
    try {
      cat_.write([&](WriteTxn& t) { log_.update(t, run_); });
    } catch (const std::exception& e) {
      if (errc_of(e) == Errc::no_space)
        return fail(Errc::no_space, std::string(e.what()) + ": the sync stopped (" + std::string(to_string(status)) +
                                        "), keeping what it had written, and could not record how it ended");
      return fail(Errc::io, "the sync ended (" + std::string(to_string(status)) + ": " + run_.message +
                                ") but its record could not be written: " + e.what());
    }
    return run_;
  }

  /// Walks and hashes the library open as `root_fd`, then plans and writes
  /// what changed.
  Result<Run> sync(int root_fd, std::uint64_t root_dev) {
    Snapshot snap = load_snapshot(cat_);
    progress_.files_expected = files_expected(snap, scope_);
    progress_.phase = static_cast<int>(SyncPhase::walking);
    const InodeIndex inodes(snap.assets);
    Collector sink(snap, inodes, root_dev, opts_, progress_);
    std::optional<Plan> streamed = collect(root_fd, snap, inodes, sink);
    run_.counts.files_hashed = sink.files_hashed;
    run_.counts.bytes_hashed = sink.bytes_hashed;
    if (sink.stopped_early()) return stopped_early();
    if (auto verdict = walk_verdict(snap, sink)) return finish(verdict->first, std::move(verdict->second));

    Plan plan;
    if (streamed) {
      plan = std::move(*streamed);
    } else {
      plan = make_plan(snap, inodes, sink);
      write_plan(plan, snap);
    }
    count(plan);
    record(plan, snap, sink, root_dev);
    progress_.phase = static_cast<int>(SyncPhase::done);
    return run_;
  }

 private:
  /// Collect: walks the scope, hashing files on a pool as they are found. A
  /// library the index has never seen is written while it is read: its
  /// plan is returned.
  std::optional<Plan> collect(int root_fd, const Snapshot& snap, const InodeIndex& inodes, Collector& sink) {
    std::optional<Plan> streamed;
    HashPool pool(hash_threads(opts_.hash_threads), hash_queue_groups());  // destroyed (drained) before sink
    sink.set_pool(&pool);
    // When an error unwinds from here, the queued files are skipped, not read.
    struct AbortOnError {
      Collector& sink;
      ~AbortOnError() {
        if (std::uncaught_exceptions()) sink.abort();
      }
    } abort_on_error{sink};
    walked_ = walk_library(root_fd, WalkOptions{.ignore = &ignore_, .scope = scope_, .threads = 2}, sink);
    progress_.walk_done = true;
    const bool root_listed =
        std::none_of(sink.unlisted_dirs.begin(), sink.unlisted_dirs.end(), [](const auto& u) { return u.empty(); });
    if (snap.projects.empty() && snap.assets.empty() && walked_ == WalkRoot::ok && root_listed && !sink.cancelled()) {
      // The phase stays "walking": the writes follow the hashing, which is
      // what the progress line shows.
      streamed = stream_new_library(cat_, snap, inodes, sink, Coverage{scope_, sink.unlisted_dirs}, opts_.mode,
                                    run_.started_ns, progress_, wrote_some_, streamed_added_);
    }
    pool.wait_idle();
    return streamed;
  }

  /// Stopped part way (cancelled, or limafs is stopping): nothing it did not
  /// reach is touched.
  Result<Run> stopped_early() {
    const bool asked = opts_.cancel_run && opts_.cancel_run->load();
    const std::string what = asked ? "the sync was cancelled" : "the sync was interrupted (limafs is stopping)";
    run_.counts.added = streamed_added_;
    std::string kept = " before it changed anything";
    if (streamed_added_)
      kept = "; the " + std::to_string(streamed_added_) +
             " files read so far are indexed, the rest will be at the next sync";
    else if (wrote_some_)
      kept = "; the project folders are indexed, their files will be at the next sync";
    return finish(asked ? RunStatus::cancelled : RunStatus::interrupted, what + kept);
  }

  /// How the walk makes the run end before planning (the scope is gone, the
  /// root is empty or unreadable); nullopt when it goes on.
  std::optional<std::pair<RunStatus, std::string>> walk_verdict(const Snapshot& snap, const Collector& sink) const {
    if (walked_ == WalkRoot::scope_missing && !known_.scoped_project)
      return std::pair{RunStatus::failed, "there is no folder '" + scope_ + "' in the library"};
    const auto live_projects = static_cast<std::size_t>(std::count_if(
        snap.projects.begin(), snap.projects.end(), [](const Project& p) { return p.state == ItemState::live; }));
    if (scope_.empty() && sink.root_entries == 0 && live_projects > 0)
      return std::pair{RunStatus::offline, "the library root is empty but the index has " +
                                               std::to_string(live_projects) +
                                               " projects: is its disk mounted? Nothing was removed"};
    for (const auto& u : sink.unlisted_dirs)
      if (u.empty()) return std::pair{RunStatus::offline, std::string("cannot list the library root; nothing was removed")};
    return std::nullopt;
  }

  /// Plan: what changed between the index and the walk. The walk's files
  /// are freed once planned; the snapshot stays (the plan points into it).
  Plan make_plan(const Snapshot& snap, const InodeIndex& inodes, Collector& sink) const {
    const std::vector<SeenFile> files = sink.take_files();
    return reconcile(snap, inodes, sink.projects, files, Coverage{scope_, sink.unlisted_dirs}, opts_.mode,
                     run_.started_ns);
  }

  /// Write: id reservations and live projects first, then assets in
  /// batches; project tombstones come last, with the run record (record()).
  /// Whenever a crash cuts this short, the next sync finds every asset's
  /// project and no project gone while its files are still live.
  void write_plan(const Plan& plan, const Snapshot& snap) {
    progress_.phase = static_cast<int>(SyncPhase::writing);
    progress_.items_to_write = plan.projects.size() + plan.assets.size();
    write_ids_and_live_projects(cat_, plan, snap.next_project_id, snap.next_asset_id);
    progress_.items_written = plan.projects.size();
    for (std::size_t i = 0; i < plan.assets.size(); i += kBatchItems) {
      const std::size_t end = std::min(plan.assets.size(), i + kBatchItems);
      const std::span<const AssetChange> batch(plan.assets.data() + i, end - i);
      cat_.write([&](WriteTxn& t) { cat_.put_assets(t, batch); });
      progress_.items_written += end - i;
    }
  }

  void count(const Plan& plan) {
    run_.counts.added = plan.counts.added;
    run_.counts.changed = plan.counts.changed;
    run_.counts.moved = plan.counts.moved;
    run_.counts.removed = plan.counts.removed;
    run_.counts.unchanged = plan.counts.unchanged;
    run_.counts.revived = plan.counts.revived;
    run_.counts.projects_added = plan.counts.projects_added;
    run_.counts.projects_removed = plan.counts.projects_removed;
    run_.counts.projects_renamed = plan.counts.projects_renamed;
  }

  /// Record the problems (errors first in the run record, all of them in the
  /// table), the project tombstones, the root's device and how the run
  /// ended, in one transaction.
  void record(const Plan& plan, const Snapshot& snap, Collector& sink, std::uint64_t root_dev) {
    auto problems = std::move(sink.problems);
    problems.insert(problems.end(), plan.notices.begin(), plan.notices.end());
    for (auto& p : problems) {
      p.run = run_.id;
      if (is_error(p.kind)) ++run_.counts.errors;
      else if (p.kind == ProblemKind::symlink || p.kind == ProblemKind::special_file) ++run_.counts.skipped;
    }
    std::stable_partition(problems.begin(), problems.end(), [](const Problem& p) { return is_error(p.kind); });
    run_.problems.assign(problems.begin(), problems.begin() + static_cast<std::ptrdiff_t>(
                                                                   std::min(problems.size(), kMaxRunProblems)));
    run_.status = run_.counts.errors ? RunStatus::partial : RunStatus::ok;
    run_.ended_ns = now_ns();
    cat_.write([&](WriteTxn& t) {
      for (const auto& [before, after] : plan.projects)
        if (after.state != ItemState::live) cat_.put_project(t, after, before);
      log_.replace_problems(t, scope_, problems);
      forget_stale_problems(t, log_, snap, plan);
      cat_.set_library_dev(t, root_dev);
      log_.update(t, run_);
    });
  }

  Catalog& cat_;
  const SyncOptions& opts_;
  const IgnoreRules& ignore_;
  const std::string scope_;
  const Known& known_;
  RunLog log_;
  Run run_;
  SyncProgress local_progress_;
  SyncProgress& progress_;
  WalkRoot walked_{};
  bool wrote_some_ = false;
  std::uint64_t streamed_added_ = 0;
};

Result<Run> run_sync_unguarded(Catalog& cat, const SyncOptions& opts) {
  const IgnoreRules ignore(opts.ignore_globs);
  auto scope = checked_scope(opts, ignore);
  if (!scope) return tl::unexpected(scope.error());
  const std::string library = opts.library.lexically_normal().string();
  auto known = read_known(cat, library, *scope);
  if (!known) return tl::unexpected(known.error());

  RootExpectation expect = known->root;
  if (opts.allow_device_change) expect.dev.reset();
  const RootProbe root = probe_library_root(library, expect);
  auto note = locate_scope(root.fd(), *scope, *known);
  if (!note) return tl::unexpected(note.error());

  SyncRun run(cat, opts, ignore, *scope, *known);
  if (auto begun = run.begin(library, *note); !begun) return tl::unexpected(begun.error());
  if (auto offline = offline_message(root, library)) return run.finish(RunStatus::offline, std::move(*offline));
  try {
    return run.sync(root.fd(), root.dev);
  } catch (const std::exception& e) {
    return run.finish(RunStatus::failed, std::string("sync failed: ") + e.what());
  }
}

}  // namespace

Result<Run> run_sync(Catalog& catalog, const SyncOptions& opts) {
  try {
    return run_sync_unguarded(catalog, opts);
  } catch (const std::exception& e) {
    return fail(errc_of(e), std::string("the sync failed: ") + e.what());
  }
}

}  // namespace lima::index
