#include "index/sync.h"

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <unordered_set>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "index/deferred_keys.h"
#include "index/hasher.h"
#include "index/image_header.h"
#include "index/inode_index.h"
#include "index/kinds.h"
#include "index/key_codec.h"
#include "index/library_root.h"
#include "index/reconcile.h"
#include "index/runs.h"
#include "index/schema.h"
#include "index/sync_snapshot.h"
#include "index/walker.h"

namespace lima::index {

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t mtime_of(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}


// Files a batch reconciles at once (SyncOptions::batch_files); the walk
// waits when it has found two batches more than are reconciled. Together
// they bound what a sync holds in memory, whatever the library's size.
constexpr std::size_t kBatchFiles = 20000;

std::size_t batch_files_of(const SyncOptions& opts) { return opts.batch_files ? opts.batch_files : kBatchFiles; }

// How much nicer the walk and hashing threads run than the writing one.
constexpr int kReaderNice = 10;

/// The files of one project (or the loose files), how many of them are
/// still being hashed, and what the index knows of the folder.
struct FileGroup {
  std::deque<SeenFile> files;  // hash jobs hold pointers: never reallocated
  std::atomic<std::size_t> unfinished{0};
  std::atomic<bool> walked{false};
  /// Walked to the end: no cancel cut its listing short. Only such a group
  /// is reconciled (a file missing from a cut listing is not gone).
  std::atomic<bool> whole{false};
  /// Read when the folder's walk began: the assets of the projects it may
  /// be (live and tombstones), and those projects.
  std::vector<Asset> known;
  std::vector<ProjectId> loaded;
  InodeIndex inodes;                 ///< over known's live assets
  std::vector<std::uint64_t> devs;  ///< devices known's files are on
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
/// When a project's walk begins, what the index knows of its folder is read
/// (so unchanged files are not read again); the walk waits there while too
/// many files found are not reconciled yet.
class Collector final : public WalkSink {
 public:
  Collector(Catalog& cat, ProjectBook& book, std::mutex& book_mu, std::uint64_t root_dev,
            const SyncOptions& opts, SyncProgress& progress, bool index_empty)
      : cat_(cat),
        book_(book),
        book_mu_(book_mu),
        root_dev_(root_dev),
        opts_(opts),
        progress_(progress),
        index_empty_(index_empty),
        held_(opts.held.begin(), opts.held.end()) {}

  void set_pool(HashPool* pool) { pool_ = pool; }

  /// Reads what the index knows of the loose files (before a full walk).
  void preload_loose() { preload(loose_, {kRootProject}); }

  std::uint32_t project(std::string_view name, const struct stat& st) override {
    ++root_entries;
    std::lock_guard lock(groups_mu_);
    projects.push_back({std::string(name), st.st_dev, st.st_ino, mtime_of(st)});
    by_project_.push_back(std::make_unique<FileGroup>());
    return static_cast<std::uint32_t>(projects.size() - 1);
  }

  void begin_project(std::uint32_t project) override {
    list_root_done();
    {
      std::unique_lock lock(groups_mu_);
      const std::size_t most = 2 * batch_files_of(opts_);
      // The project reconciled next never waits: the others wait for it.
      while (pending_files_ > most && project > next_needed_ && !cancelled())
        released_cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
    FileGroup& g = group(project);
    if (index_empty_) return;
    std::vector<ProjectId> ids;
    {
      std::lock_guard lock(book_mu_);
      ids = book_.candidates(projects_at(project));
    }
    preload(g, ids);
  }

  void end_project(std::uint32_t project) override {
    FileGroup& g = group(project);
    g.whole = !cancel_requested();
    g.walked = true;
    std::lock_guard lock(hashed_mu_);
    hashed_cv_.notify_all();
  }

  bool wants_stat(std::uint32_t project, std::uint64_t ino) const override {
    // A file whose inode the index does not know is new: it gets hashed, and
    // hashing learns its stat, so the walk need not ask.
    if (opts_.mode != Mode::incremental) return false;
    const FileGroup& g = project == kLooseFiles ? loose_ : *by_project_at(project);
    for (auto dev : g.devs)
      if (g.inodes.find(dev, ino) != InodeIndex::kNone) return true;
    return false;
  }

  void files(const std::shared_ptr<DirFd>& dir, std::uint32_t project, std::vector<FoundFile>& found) override {
    const bool loose = project == kLooseFiles;
    FileGroup& grp = loose ? loose_ : *by_project_at(project);
    auto& out = grp.files;
    if (!held_.empty()) {
      // Files still being written are left alone: what the index holds of
      // them (if anything) stays, as for a directory that cannot be listed.
      std::erase_if(found, [&](const FoundFile& ff) {
        std::string path = loose ? ff.path : projects_at(project).name + "/" + ff.path;
        if (!held_.count(path)) return false;
        unlisted(std::move(path));
        return true;
      });
    }
    if (loose) root_entries += found.size();
    progress_.files_seen.fetch_add(found.size(), std::memory_order_relaxed);
    pending_files_.fetch_add(found.size(), std::memory_order_relaxed);

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
          const std::uint32_t j = grp.inodes.find(f.dev, f.ino);
          if (j != InodeIndex::kNone && grp.known[j].size == f.size && grp.known[j].mtime_ns == f.mtime_ns) {
            f.hash = grp.known[j].hash;
            // An image indexed before its facts were kept: its header is
            // read, once (the record keeps what it says).
            if (grp.known[j].image == ImageFacts::unread && image) {
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

  /// The walk is over (or failed): every group is as complete as it gets.
  void walk_finished() {
    list_root_done();
    walk_over_ = true;
    std::lock_guard lock(hashed_mu_);
    hashed_cv_.notify_all();
  }
  /// Waits for the walk's end, for at most `wait`; true when it is over.
  bool wait_walk_over(std::chrono::milliseconds wait) {
    std::unique_lock lock(hashed_mu_);
    return hashed_cv_.wait_for(lock, wait, [&] { return walk_over_.load() || cancelled(); }) && walk_over_;
  }
  /// Waits until the root is listed (the walk began its projects or ended).
  void wait_root_listed() {
    std::unique_lock lock(hashed_mu_);
    while (!root_listed_ && !cancelled()) hashed_cv_.wait_for(lock, std::chrono::milliseconds(20));
  }

  std::size_t project_count() {
    std::lock_guard lock(groups_mu_);
    return projects.size();
  }
  FileGroup& group(std::uint32_t project) { return project == kLooseFiles ? loose_ : *by_project_at(project); }
  const SeenProject& projects_at(std::uint32_t project) {
    std::lock_guard lock(groups_mu_);
    return projects[project];
  }

  /// Waits until group `project` is walked and hashed, for at most `wait`;
  /// true when it is.
  bool wait_ready(std::uint32_t project, std::chrono::milliseconds wait) {
    if (project != kLooseFiles && project > next_needed_) {
      std::lock_guard lock(groups_mu_);
      next_needed_ = project;
      released_cv_.notify_all();
    }
    FileGroup& g = group(project);
    auto ready = [&] {
      return (g.walked.load(std::memory_order_acquire) || walk_over_.load()) &&
             g.unfinished.load(std::memory_order_acquire) == 0;
    };
    std::unique_lock lock(hashed_mu_);
    return hashed_cv_.wait_for(lock, wait, [&] { return ready() || cancelled(); }) && ready();
  }

  /// Frees a reconciled group and lets the walk go on.
  void release(FileGroup& g) {
    const std::size_t n = g.files.size();
    // (Not `= {}`: that would keep the containers' memory.)
    std::deque<SeenFile>().swap(g.files);
    std::vector<Asset>().swap(g.known);
    g.inodes = InodeIndex();
    pending_files_.fetch_sub(std::min(n, pending_files_.load()), std::memory_order_relaxed);
    std::lock_guard lock(groups_mu_);
    released_cv_.notify_all();
  }

  void unlisted(std::string path) override {
    std::lock_guard lock(mu_);
    unlisted_dirs.push_back(std::move(path));
  }
  std::vector<std::string> unlisted_now() {
    std::lock_guard lock(mu_);
    return unlisted_dirs;
  }

  void problem(std::string path, ProblemKind kind, std::string detail) override {
    if (path.find('/') == std::string::npos && kind != ProblemKind::loose_file) ++root_entries;
    std::lock_guard lock(mu_);
    problems.push_back({std::move(path), kind, std::move(detail), 0});
  }

  /// Whether a cancel was asked for (or the run is failing), without
  /// counting as work left undone.
  bool cancel_requested() const {
    return aborted_.load(std::memory_order_relaxed) ||
           (opts_.cancel && opts_.cancel->load(std::memory_order_relaxed)) ||
           (opts_.cancel_run && opts_.cancel_run->load(std::memory_order_relaxed));
  }

  /// Whether group `project` may be reconciled once ready; when not (its
  /// listing was cut short by a cancel), the run stops there.
  bool whole(std::uint32_t project) {
    if (group(project).whole) return true;
    stopped_ = true;
    return false;
  }

  /// Asked by whoever is about to do some work: true means it leaves it
  /// undone, and the run can no longer finish as a whole (stopped_early).
  bool cancelled() const override {
    const bool stop = aborted_.load(std::memory_order_relaxed) ||
                      (opts_.cancel && opts_.cancel->load(std::memory_order_relaxed)) ||
                      (opts_.cancel_run && opts_.cancel_run->load(std::memory_order_relaxed));
    if (stop && !aborted_.load(std::memory_order_relaxed)) stopped_.store(true, std::memory_order_relaxed);
    return stop;
  }
  /// True when some work was left undone because of a cancel: a cancel
  /// that comes once everything is walked and hashed stops nothing.
  bool stopped_early() const { return stopped_.load(); }
  /// Stops the walk and the hashing early (the sync is failing, or ends
  /// without reconciling: offline).
  void abort() { aborted_ = true; }

  std::deque<SeenProject> projects;  // grows during the root listing only; references stay valid
  std::vector<std::string> unlisted_dirs;
  std::vector<Problem> problems;
  std::atomic<std::uint64_t> root_entries{0};
  std::atomic<std::uint64_t> files_hashed{0}, bytes_hashed{0};

 private:
  // The root's listing is over (the walk began its projects, or ended): the
  // loose files are whole unless a cancel came first.
  void list_root_done() {
    if (root_listed_.exchange(true)) return;
    loose_.whole = !cancel_requested();
  }

  FileGroup* by_project_at(std::uint32_t project) const {
    std::lock_guard lock(groups_mu_);
    return by_project_[project].get();
  }

  void preload(FileGroup& g, const std::vector<ProjectId>& ids) {
    g.devs = {root_dev_};
    if (ids.empty()) return;
    {
      ReadTxn t(cat_.env());
      for (ProjectId id : ids) {
        if (std::find(g.loaded.begin(), g.loaded.end(), id) != g.loaded.end()) continue;
        g.loaded.push_back(id);
        auto assets = assets_of_project(cat_, t, id);
        g.known.insert(g.known.end(), std::make_move_iterator(assets.begin()), std::make_move_iterator(assets.end()));
      }
    }
    g.inodes = InodeIndex(g.known);
    for (const auto& a : g.known)  // a few at most: nested mounts
      if (a.state == ItemState::live && std::find(g.devs.begin(), g.devs.end(), a.dev) == g.devs.end())
        g.devs.push_back(a.dev);
  }

  std::string lib_path(const SeenFile& f) {
    return f.project == kLooseFiles ? f.path : projects_at(f.project).name + "/" + f.path;
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

  Catalog& cat_;
  ProjectBook& book_;
  std::mutex& book_mu_;
  std::uint64_t root_dev_;
  const SyncOptions& opts_;
  HashPool* pool_ = nullptr;
  SyncProgress& progress_;
  const bool index_empty_;
  const std::unordered_set<std::string> held_;
  // Hash jobs hold pointers into these: each group stays where it is.
  std::vector<std::unique_ptr<FileGroup>> by_project_;
  FileGroup loose_;
  mutable std::mutex groups_mu_;
  std::condition_variable released_cv_;
  std::atomic<std::size_t> pending_files_{0};
  std::atomic<std::uint32_t> next_needed_{0};  // the project the reconciling waits for
  std::mutex hashed_mu_;
  std::condition_variable hashed_cv_;
  std::atomic<bool> root_listed_{false}, walk_over_{false};
  std::atomic<bool> aborted_{false};
  mutable std::atomic<bool> stopped_{false};
  std::mutex mu_;
};

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
std::uint64_t files_expected(Catalog& cat, const std::string& scope) {
  ReadTxn t(cat.env());
  if (scope.empty()) return cat.counts(t).assets;
  const auto slash = scope.find('/');
  auto id = cat.project_id_by_name(t, scope.substr(0, slash));
  if (!id) return 0;
  std::uint64_t n = 0;
  std::string prefix = key_u64(*id);
  if (slash != std::string::npos) prefix += scope.substr(slash + 1) + "/";
  t.scan_prefix(cat.db().asset_paths, prefix, [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  return n;
}

/// One run: recorded in the index from begin() on, ended by finish().
///
/// The library is reconciled a batch of projects at a time, as the walk and
/// the hashing finish them (a scoped run is one batch): each batch reads
/// only what its folders and files may be (sync_snapshot.h) and is written
/// in one transaction. Projects whose folders are gone are removed last,
/// with the run's record and problems.
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
    try {
      write_deferred_keys();
    } catch (const std::exception&) {
      // They stay marked missing: the next open rebuilds them.
    }
    cat_.env().set_lazy_meta(false);
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

  /// Walks and hashes the library open as `root_fd`, reconciling and
  /// writing a batch of projects at a time as they are read.
  Result<Run> sync(int root_fd, std::uint64_t root_dev) {
    {
      ReadTxn t(cat_.env());
      book_.open(cat_, scope_.empty());
      const auto n = cat_.counts(t);
      index_empty_ = n.projects + n.tombstoned_projects + n.assets + n.tombstoned_assets == 0;
      auto next = [&](const char* table) {
        auto v = t.get(cat_.db().meta, std::string(schema::kMetaNextId) + table);
        return v && v->size() == 8 ? get_u64(*v) : 1;
      };
      next_project_id_ = next(schema::kProjects);
      next_asset_id_ = next(schema::kAssets);
    }
    progress_.files_expected = index_empty_ ? 0 : files_expected(cat_, scope_);
    // Batches are flushed once each (the meta page lazily): a system crash
    // may undo the last ones, which the next sync does again. The run's
    // record (record(), finish()) is flushed whole, and everything with it.
    cat_.env().set_lazy_meta(true);
    progress_.phase = static_cast<int>(SyncPhase::walking);
    Collector sink(cat_, book_, book_mu_, root_dev, opts_, progress_, index_empty_);
    std::optional<std::pair<RunStatus, std::string>> verdict;
    {
      // On a first index the walk and the hashing yield to this thread,
      // which reconciles and writes every file they find: on few cores, a
      // starved writer would leave most of the writing for after the walk.
      // (Other runs write little: their readers keep their priority.)
      const int nice = index_empty_ ? kReaderNice : 0;
      HashPool pool(hash_threads(opts_.hash_threads), hash_queue_groups(), std::size_t{128} << 10,
                    nice);  // destroyed (drained) before sink
      sink.set_pool(&pool);
      if (scope_.empty()) sink.preload_loose();
      std::exception_ptr walk_error;
      std::thread walker([&] {
        lower_thread_priority(nice);  // its own threads inherit it
        try {
          walked_ = walk_library(root_fd, WalkOptions{.ignore = &ignore_, .scope = scope_, .threads = 2}, sink);
        } catch (...) {
          walk_error = std::current_exception();
          sink.abort();
        }
        progress_.walk_done = true;
        sink.walk_finished();
      });
      try {
        verdict = reconcile_as_walked(sink);
      } catch (...) {
        sink.abort();
        walker.join();
        pool.wait_idle();
        throw;
      }
      walker.join();
      pool.wait_idle();
      if (walk_error) std::rethrow_exception(walk_error);
    }
    run_.counts.files_hashed = sink.files_hashed;
    run_.counts.bytes_hashed = sink.bytes_hashed;
    if (sink.stopped_early()) return stopped_early();
    if (verdict) return finish(verdict->first, std::move(verdict->second));

    progress_.phase = static_cast<int>(SyncPhase::writing);
    remove_vanished(sink);
    reconcile_deferred(sink);
    write_deferred_keys();
    record(sink, root_dev);
    progress_.phase = static_cast<int>(SyncPhase::done);
    return run_;
  }

 private:
  /// Reconciles the walk's projects in order as each is walked and hashed,
  /// in batches, then the loose files. Returns how the run ends early
  /// (offline, failed) when the walk says so before anything is changed.
  std::optional<std::pair<RunStatus, std::string>> reconcile_as_walked(Collector& sink) {
    if (!scope_.empty()) {
      while (!sink.wait_walk_over(std::chrono::milliseconds(50)))
        if (sink.cancelled()) return std::nullopt;
      if (auto v = walk_verdict(sink)) return v;
      std::vector<std::uint32_t> groups;
      for (std::uint32_t i = 0; i < sink.project_count(); ++i) groups.push_back(i);
      while (!groups.empty() && !sink.wait_ready(groups.front(), std::chrono::milliseconds(200)))
        if (sink.cancelled()) return std::nullopt;
      // (A scope whose sub-folder is gone has its project, never walked.)
      if (!groups.empty() && walked_ != WalkRoot::scope_missing && !sink.whole(groups.front())) return std::nullopt;
      std::vector<ProjectId> extra;
      if (groups.empty() && known_.scoped_project) extra.push_back(known_.scoped_project->id);
      reconcile_batch(sink, groups, false, extra);
      return std::nullopt;
    }

    sink.wait_root_listed();
    if (sink.cancelled()) return std::nullopt;
    if (auto v = root_verdict(sink)) {
      sink.abort();
      return v;
    }
    const std::size_t count = sink.project_count();
    {
      // Live projects whose folders are nowhere: a new folder may be one of
      // them by content.
      std::unordered_set<std::string> names;
      std::unordered_set<std::uint64_t> inos;
      for (std::uint32_t i = 0; i < count; ++i) {
        names.insert(sink.projects_at(i).name);
        inos.insert(sink.projects_at(i).ino);
      }
      for (const auto& p : book_.all())
        if (p.state == ItemState::live && !names.count(p.name) && !inos.count(p.ino)) vanishing_.insert(p.id);
      seen_names_ = std::move(names);
    }
    std::vector<std::uint32_t> batch;
    std::size_t batch_files = 0;
    for (std::uint32_t next = 0; next < count;) {
      if (sink.wait_ready(next, std::chrono::milliseconds(50))) {
        if (!sink.whole(next)) return std::nullopt;
        batch_files += sink.group(next).files.size();
        batch.push_back(next++);
        if (batch_files < batch_files_of(opts_) && next < count) continue;
      } else if (sink.cancelled()) {
        return std::nullopt;
      } else if (batch.empty()) {
        continue;
      }
      // Full, or the next project is not ready yet: reconcile what is.
      reconcile_batch(sink, batch, false, {});
      batch.clear();
      batch_files = 0;
    }
    if (!batch.empty()) reconcile_batch(sink, batch, false, {});
    while (!sink.wait_ready(kLooseFiles, std::chrono::milliseconds(200)))
      if (sink.cancelled()) return std::nullopt;
    if (!sink.whole(kLooseFiles)) return std::nullopt;
    if (auto v = walk_verdict(sink)) return v;
    reconcile_batch(sink, {}, true, {});
    return std::nullopt;
  }

  /// Reconciles the folders `groups` (and the loose files when `loose`),
  /// and the projects `extra` as wholes, and writes what changed.
  void reconcile_batch(Collector& sink, const std::vector<std::uint32_t>& groups, bool loose,
                       const std::vector<ProjectId>& extra) {
    ReadTxn t(cat_.env());
    std::lock_guard book_lock(book_mu_);
    SnapshotBuilder b(cat_, t, book_);
    std::vector<SeenProject> seen;
    std::vector<SeenFile> files;
    Coverage cov{scope_, sink.unlisted_now(), std::unordered_set<std::string>{}, loose, vanishing_};
    std::vector<bool> unresolved_seen;
    bool unresolved = false;
    std::vector<FileGroup*> taken;
    auto take = [&](FileGroup& g, std::uint32_t number) {
      b.add_assets(std::move(g.known), g.loaded, stale_);
      for (auto& f : g.files) {
        if (!index_empty_ && !f.gone && f.ok) {
          if (g.inodes.find(f.dev, f.ino) == InodeIndex::kNone) b.add_by_inode(f.dev, f.ino);
          if (f.hashed && f.size > 0) b.add_by_hash(f.hash);
        }
        f.project = number;
        files.push_back(std::move(f));
      }
      taken.push_back(&g);
    };
    for (std::uint32_t n : groups) {
      const SeenProject& s = sink.projects_at(n);
      const auto local = static_cast<std::uint32_t>(seen.size());
      seen.push_back(s);
      cov.projects->insert(s.name);
      const auto candidates = book_.candidates(s);
      for (ProjectId id : candidates) b.add_project(id);
      unresolved_seen.push_back(candidates.empty());
      unresolved |= candidates.empty();
      take(sink.group(n), local);
    }
    if (loose) take(sink.group(kLooseFiles), kLooseFiles);
    for (ProjectId id : extra) {
      b.add_project(id);
      if (const Project* p = book_.find(id)) cov.projects->insert(p->name);
    }
    if (unresolved && !index_empty_) {
      // A new folder may be a removed or vanishing project come back.
      std::vector<ProjectId> tombstoned;
      for (const auto& f : files)
        if (f.project != kLooseFiles && f.ok && !f.gone && f.size > 0 && unresolved_seen[f.project])
          b.add_by_hash(f.hash, &tombstoned);
      for (ProjectId id : tombstoned) b.add_project(id);
      for (ProjectId id : vanishing_) b.add_project(id);
    }
    Snapshot snap = b.take(next_project_id_, next_asset_id_);
    t.commit();
    const InodeIndex inodes(snap.assets);
    Plan plan = reconcile(snap, inodes, seen, files, cov, opts_.mode, run_.started_ns);
    if (scope_.empty() && !index_empty_) defer_copies(plan, snap, seen, files, cov);
    std::vector<SeenFile>().swap(files);
    for (FileGroup* g : taken) sink.release(*g);
    write_batch(plan, snap);
  }

  /// A full sync: a new file whose content is live in a project of another
  /// batch may be that file moved there (copied, then deleted), which only
  /// the other batch can tell. It waits for the end of the run
  /// (reconcile_deferred), when what vanished is known.
  void defer_copies(Plan& plan, const Snapshot& snap, const std::vector<SeenProject>& seen,
                    const std::vector<SeenFile>& files, const Coverage& cov) {
    std::unordered_set<ContentHash, ContentHashHasher> elsewhere;
    for (const auto& a : snap.assets) {
      if (a.state != ItemState::live || a.size == 0) continue;
      const Project* p = a.project == kRootProject ? nullptr : book_.find(a.project);
      const bool inside = a.project == kRootProject ? cov.loose : p && cov.projects->count(p->name);
      if (!inside) elsewhere.insert(a.hash);
    }
    if (elsewhere.empty()) return;
    // The id each seen folder has once the plan is written.
    std::unordered_map<std::string_view, ProjectId> ids;
    for (const auto& [before, after] : plan.projects)
      if (after.state == ItemState::live) ids.emplace(after.name, after.id);
    auto id_of = [&](std::uint32_t project) -> std::optional<ProjectId> {
      if (project == kLooseFiles) return kRootProject;
      if (auto it = ids.find(seen[project].name); it != ids.end()) return it->second;
      if (const Project* p = book_.live_named(seen[project].name)) return p->id;
      return std::nullopt;
    };
    std::set<std::pair<ProjectId, std::string_view>> wait;
    for (const auto& f : files) {
      if (!f.ok || f.gone || f.size == 0 || !elsewhere.count(f.hash)) continue;
      if (auto id = id_of(f.project)) wait.emplace(*id, f.path);
    }
    if (wait.empty()) return;
    // Copies of the paths: the changes they come from are erased here.
    std::set<std::pair<ProjectId, std::string>, std::less<>> waiting;
    std::erase_if(plan.assets, [&](const AssetChange& c) {
      if (c.before || !wait.count({c.after.project, c.after.path})) return false;
      waiting.emplace(c.after.project, c.after.path);
      --plan.counts.added;
      return true;
    });
    for (const auto& f : files) {
      auto id = f.ok && !f.gone && f.size > 0 ? id_of(f.project) : std::nullopt;
      if (!id || !waiting.count(std::pair<ProjectId, std::string>{*id, f.path})) continue;
      SeenFile& late = deferred_files_.emplace_back(f);
      late.project = kLooseFiles;
      if (f.project != kLooseFiles) {
        auto [it, fresh] = deferred_index_.emplace(seen[f.project].name, deferred_projects_.size());
        if (fresh) deferred_projects_.push_back(seen[f.project]);
        late.project = static_cast<std::uint32_t>(it->second);
      }
    }
  }

  /// The files defer_copies() set aside, reconciled once every batch is
  /// written: a tombstone this run made with the same content is the file
  /// moved; otherwise it is new. Nothing else is removed or changed.
  void reconcile_deferred(Collector& sink) {
    if (deferred_files_.empty()) return;
    ReadTxn t(cat_.env());
    std::lock_guard book_lock(book_mu_);
    SnapshotBuilder b(cat_, t, book_);
    for (const auto& s : deferred_projects_)
      for (ProjectId id : book_.candidates(s)) b.add_project(id);
    for (const auto& f : deferred_files_) {
      b.add_by_inode(f.dev, f.ino);
      b.add_by_hash(f.hash);
    }
    Snapshot snap = b.take(next_project_id_, next_asset_id_);
    t.commit();
    const InodeIndex inodes(snap.assets);
    // Covering no folder: nothing is taken for removed.
    const Coverage cov{scope_, sink.unlisted_now(), std::unordered_set<std::string>{}, false, {}};
    Plan plan = reconcile(snap, inodes, deferred_projects_, deferred_files_, cov, opts_.mode, run_.started_ns);
    std::vector<SeenFile>().swap(deferred_files_);
    write_batch(plan, snap);
  }

  /// Writes a batch's plan in one transaction (projects removed wait for
  /// the run's end), and takes its counts, notices and identities in.
  void write_batch(Plan& plan, const Snapshot& snap) {
    progress_.items_to_write += plan.projects.size() + plan.assets.size();
    std::unordered_map<ProjectId, const Project*> before_names;
    for (const auto& p : snap.projects) before_names.emplace(p.id, &p);
    // A file tombstoned earlier in this run (another batch) that is back is
    // a move, as the whole walk would have seen it.
    for (const auto& [before, after] : plan.assets)
      if (before && before->state == ItemState::tombstone && after.state == ItemState::live &&
          before->removed_ns == run_.started_ns) {
        --plan.counts.added, --plan.counts.revived, --totals_.removed, ++plan.counts.moved;
      }
    if (!plan.assets.empty() || !plan.projects.empty() || plan.next_project_id != next_project_id_ ||
        plan.next_asset_id != next_asset_id_) {
      cat_.write([&](WriteTxn& t) {
        reserve(t, schema::kProjects, next_project_id_, plan.next_project_id);
        reserve(t, schema::kAssets, next_asset_id_, plan.next_asset_id);
        for (const auto& [before, after] : plan.projects)
          if (after.state == ItemState::live) cat_.put_project(t, after, before);
        cat_.put_assets(t, plan.assets, index_empty_ ? &deferred_keys_ : nullptr);
      });
      wrote_some_ = true;
    }
    std::vector<ProjectChange> live_changes;
    for (const auto& [before, after] : plan.projects) {
      if (after.state != ItemState::live) {
        removed_projects_.push_back({before ? std::optional<Project>(*before) : std::nullopt, after});
        continue;
      }
      live_changes.push_back({before, after});
      if (!before) continue;
      if (before->state == ItemState::tombstone) forget_removed_.push_back(before->name);
      else if (before->name != after.name) renamed_from_.push_back(before->name);
    }
    for (const auto& [before, after] : plan.assets) {
      if (!index_empty_) stale_.insert(after.id);
      if (before && before->state == ItemState::tombstone && after.state == ItemState::live) {
        auto it = before_names.find(before->project);
        forget_removed_.push_back(
            library_path(it == before_names.end() ? std::string() : it->second->name, before->path));
      }
    }
    book_.apply(live_changes);
    next_project_id_ = plan.next_project_id;
    next_asset_id_ = plan.next_asset_id;
    add_counts(plan.counts);
    streamed_added_ += plan.counts.added;
    notices_.insert(notices_.end(), std::make_move_iterator(plan.notices.begin()),
                    std::make_move_iterator(plan.notices.end()));
    progress_.items_written += plan.projects.size() + plan.assets.size();
    // What a large batch read of the index is not needed again, nor what
    // it held in memory (the walk's threads freed some of it in their own
    // arenas, where it would otherwise stay). A small one's pages (the
    // watcher's) are those the next small one reads.
    if (snap.assets.size() + plan.assets.size() >= batch_files_of(opts_) / 4)
      cat_.env().release_mapped_pages();
    if (plan.assets.size() >= 4096) ::malloc_trim(0);
  }

  /// Writes the content and inode keys a first index kept aside.
  void write_deferred_keys() {
    if (deferred_keys_.empty()) return;
    ::malloc_trim(0);  // what the batches took goes back first
    deferred_keys_.write(cat_);
    deferred_keys_ = DeferredKeys();
  }

  /// Reserves the ids a plan hands out, checking nobody else took some
  /// meanwhile.
  void reserve(WriteTxn& t, const char* table, std::uint64_t expected, std::uint64_t next) {
    const std::string key = std::string(schema::kMetaNextId) + table;
    auto v = t.get(cat_.db().meta, key);
    std::uint64_t current = v && v->size() == 8 ? get_u64(*v) : 1;
    if (current != expected) throw std::runtime_error("the index was changed by someone else during the sync");
    if (next != current) t.put(cat_.db().meta, key, key_u64(next));
  }

  /// A full sync: the live projects whose folders the walk did not find
  /// are removed, with their files (one notice each).
  void remove_vanished(Collector& sink) {
    if (!scope_.empty()) return;
    std::vector<ProjectId> gone;
    {
      std::lock_guard lock(book_mu_);
      for (const auto& p : book_.all())
        if (p.state == ItemState::live && !seen_names_.count(p.name)) gone.push_back(p.id);
    }
    if (gone.empty()) return;
    reconcile_batch(sink, {}, false, gone);
  }

  void add_counts(const RunCounts& c) {
    totals_.added += c.added;
    totals_.changed += c.changed;
    totals_.moved += c.moved;
    totals_.removed += c.removed;
    totals_.unchanged += c.unchanged;
    totals_.revived += c.revived;
    totals_.projects_added += c.projects_added;
    totals_.projects_removed += c.projects_removed;
    totals_.projects_renamed += c.projects_renamed;
  }

  /// Stopped part way (cancelled, or limafs is stopping): what was not
  /// reconciled yet is left as it was.
  Result<Run> stopped_early() {
    const bool asked = opts_.cancel_run && opts_.cancel_run->load();
    const std::string what = asked ? "the sync was cancelled" : "the sync was interrupted (limafs is stopping)";
    count();
    std::string kept = " before it changed anything";
    if (index_empty_ && streamed_added_)
      kept = "; the " + std::to_string(streamed_added_) +
             " files read so far are indexed, the rest will be at the next sync";
    else if (index_empty_ && wrote_some_)
      kept = "; the project folders are indexed, their files will be at the next sync";
    else if (wrote_some_)
      kept = "; the projects it had read are up to date, the others will be at the next sync";
    return finish(asked ? RunStatus::cancelled : RunStatus::interrupted, what + kept);
  }

  /// How the root listing makes a full run end before anything changes.
  std::optional<std::pair<RunStatus, std::string>> root_verdict(Collector& sink) {
    for (const auto& u : sink.unlisted_now())
      if (u.empty()) return std::pair{RunStatus::offline, std::string("cannot list the library root; nothing was removed")};
    const std::size_t live_projects = book_.live_count();
    if (sink.root_entries == 0 && live_projects > 0)
      return std::pair{RunStatus::offline, "the library root is empty but the index has " +
                                               std::to_string(live_projects) +
                                               " projects: is its disk mounted? Nothing was removed"};
    return std::nullopt;
  }

  /// How the walk makes the run end before reconciling (the scope is gone,
  /// the root is empty or unreadable); nullopt when it goes on.
  std::optional<std::pair<RunStatus, std::string>> walk_verdict(Collector& sink) {
    if (walked_ == WalkRoot::scope_missing && !known_.scoped_project)
      return std::pair{RunStatus::failed, "there is no folder '" + scope_ + "' in the library"};
    if (scope_.empty()) return root_verdict(sink);
    for (const auto& u : sink.unlisted_now())
      if (u.empty()) return std::pair{RunStatus::offline, std::string("cannot list the library root; nothing was removed")};
    return std::nullopt;
  }

  void count() {
    run_.counts.added = totals_.added;
    run_.counts.changed = totals_.changed;
    run_.counts.moved = totals_.moved;
    run_.counts.removed = totals_.removed;
    run_.counts.unchanged = totals_.unchanged;
    run_.counts.revived = totals_.revived;
    run_.counts.projects_added = totals_.projects_added;
    run_.counts.projects_removed = totals_.projects_removed;
    run_.counts.projects_renamed = totals_.projects_renamed;
  }

  /// Record the problems (errors first in the run record, all of them in the
  /// table), the project tombstones, the root's device and how the run
  /// ended, in one transaction.
  void record(Collector& sink, std::uint64_t root_dev) {
    cat_.env().set_lazy_meta(false);
    count();
    auto problems = std::move(sink.problems);
    const std::unordered_set<std::string> back(forget_removed_.begin(), forget_removed_.end());
    for (auto& n : notices_) {
      // A file that went from one batch's project to another's was moved,
      // not removed.
      if (n.kind == ProblemKind::removed && back.count(n.path)) continue;
      problems.push_back(std::move(n));
    }
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
      for (const auto& [before, after] : removed_projects_) cat_.put_project(t, after, before ? &*before : nullptr);
      log_.replace_problems(t, scope_, problems);
      // What earlier syncs reported under paths this run made stale, also
      // outside its scope: the `removed` line of an item that came back,
      // and everything under a project folder's old name once renamed.
      for (const auto& path : forget_removed_) log_.forget_removed(t, path);
      for (const auto& name : renamed_from_)
        if (!cat_.project_id_by_name(t, name)) log_.replace_problems(t, name, {});
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
  bool index_empty_ = false;
  std::uint64_t streamed_added_ = 0;
  ProjectBook book_;
  std::mutex book_mu_;  // the walk reads the book while batches are written
  std::uint64_t next_project_id_ = 1, next_asset_id_ = 1;
  std::unordered_set<ProjectId> vanishing_;
  std::unordered_set<std::string> seen_names_;
  std::unordered_set<AssetId> stale_;  // written by this run: what the walk read of them is old
  RunCounts totals_;
  std::vector<Problem> notices_;
  std::vector<std::pair<std::optional<Project>, Project>> removed_projects_;
  std::vector<std::string> forget_removed_, renamed_from_;
  std::vector<SeenProject> deferred_projects_;  // defer_copies()
  std::unordered_map<std::string, std::size_t> deferred_index_;
  std::vector<SeenFile> deferred_files_;
  DeferredKeys deferred_keys_;  // a first index's content and inode keys, written at its end
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
  Result<Run> r;
  try {
    r = run_sync_unguarded(catalog, opts);
  } catch (const std::exception& e) {
    r = fail(errc_of(e), std::string("the sync failed: ") + e.what());
  }
  // A long-lived process (the daemon) gives back what the run's batches
  // took, and the index pages it read, after a run of a batch or more. A
  // small run (the watcher's) took little, and the pages it read are those
  // the next one reads again.
  catalog.env().set_lazy_meta(false);
  const auto& n = r ? r->counts : RunCounts{};
  const std::uint64_t met = n.added + n.changed + n.moved + n.removed + n.unchanged + n.revived;
  if (!r || met >= batch_files_of(opts)) {
    ::malloc_trim(0);
    catalog.env().release_mapped_pages();
  }
  return r;
}

}  // namespace lima::index
