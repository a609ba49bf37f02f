#include "index/live_sync.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "index/library_root.h"
#include "index/log.h"
#include "index/names.h"
#include "index/reconcile.h"
#include "index/watcher.h"

namespace lima::index {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t wall_ns_at(Clock::time_point t) {
  return wall_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(t - Clock::now()).count();
}

std::string plural(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

/// The scopes to sync for a batch of touched ones: nested scopes fold into
/// their parent; too many fold into their project when they share one, or
/// else make one full sync (nullopt), as do the root's loose files.
std::optional<std::vector<std::string>> fold_scopes(std::vector<std::string> scopes, std::size_t max_runs) {
  std::sort(scopes.begin(), scopes.end());
  scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
  if (scopes.empty()) return scopes;
  if (scopes.front().empty()) return std::nullopt;
  std::vector<std::string> out;
  for (auto& s : scopes) {
    // Sorted, a scope's sub-directories follow it (with siblings such as
    // "a b" between "a" and "a/b", hence the look back past them).
    if (std::any_of(out.begin(), out.end(), [&](const std::string& o) { return path_within(s, o); })) continue;
    out.push_back(std::move(s));
  }
  if (out.size() <= max_runs) return out;
  const std::string project = out.front().substr(0, out.front().find('/'));
  if (std::all_of(out.begin(), out.end(), [&](const std::string& o) { return path_within(o, project); }))
    return std::vector<std::string>{project};
  return std::nullopt;
}

}  // namespace

std::string_view to_string(WatchMode mode) {
  switch (mode) {
    case WatchMode::starting: return "starting";
    case WatchMode::watching: return "watching";
    case WatchMode::periodic: return "periodic";
    case WatchMode::offline: return "offline";
  }
  return "unknown";
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text == "off" || text == "0") return std::chrono::seconds(0);
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::uint64_t mult = 0;
  if (unit.empty() || unit == "s") mult = 1;
  else if (unit == "m" || unit == "min") mult = 60;
  else if (unit == "h") mult = 3600;
  else if (unit == "d") mult = 86400;
  if (!mult || n > 100ull * 365 * 86400 / mult) return std::nullopt;
  return std::chrono::seconds(static_cast<std::int64_t>(n * mult));
}

LiveSync::LiveSync(Catalog& catalog, LiveSyncOptions options, SyncRunner runner)
    : catalog_(catalog), opts_(std::move(options)), runner_(std::move(runner)), ignore_(opts_.ignore_globs) {}

LiveSync::~LiveSync() { stop(); }

void LiveSync::start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  const auto now = Clock::now();
  next_reconcile_ = now + opts_.reconcile_interval;
  next_poll_ = now + opts_.poll_interval;
  stream_wait_ = opts_.max_wait;
  probe_now_ = true;
  if (opts_.watch) {
    want_watch_ = true;
  } else {
    set_periodic("watching is off (--no-watch)");
  }
  watch_thread_ = std::thread([this] { watch_loop(); });
  work_thread_ = std::thread([this] { work_loop(); });
}

bool LiveSync::wait_started(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return stopping_ || mode_ != WatchMode::starting; });
}

void LiveSync::stop() {
  {
    std::lock_guard lock(mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
    cancel_ = true;
  }
  cv_.notify_all();
  const std::uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!::write(wake_fd_, &one, sizeof one);
  if (watch_thread_.joinable()) watch_thread_.join();
  if (work_thread_.joinable()) work_thread_.join();
  if (wake_fd_ >= 0) ::close(wake_fd_);
  wake_fd_ = -1;
}

void LiveSync::wake_watch_loop() {
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

// -- the watch thread: owns the Watcher --

void LiveSync::watch_loop() {
  std::unique_ptr<Watcher> watcher;
  for (;;) {
    bool want = false, rewatch = false;
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
      want = want_watch_;
      rewatch = std::exchange(rewatch_needed_, false);
      if (std::exchange(restart_watch_, false)) watcher.reset();
    }
    if (want && !watcher) {
      {
        auto w = start_watching();
        std::lock_guard lock(mu_);
        if (!want_watch_) {
          // Gone offline meanwhile.
        } else if (w && !(*w)->limit_reached()) {
          limit_at_failure_ = 0;
          watcher = std::move(*w);
          mode_ = WatchMode::watching;
          mode_reason_.clear();
          watches_ = watcher->watches();
          full_needed_ = full_needed_ || rewatch;
          log::info("watching " + plural(watches_, "directory", "directories") + " of " + opts_.library.string());
        } else {
          if (w) {
            limit_at_failure_ = system_watch_limit();
            set_periodic(limit_reason((*w)->watches()));
          } else if (w.error().code == Errc::library_offline) {
            go_offline(w.error().message);  // the probes tell when it is back
          } else {
            set_periodic(w.error().message);
          }
        }
        cv_.notify_all();
      }
    } else if (!want && watcher) {
      watcher.reset();
      std::lock_guard lock(mu_);
      watches_ = 0;
    } else if (watcher && rewatch) {
      const bool complete = watcher->rewatch();
      std::lock_guard lock(mu_);
      watches_ = watcher->watches();
      if (!complete) {
        limit_at_failure_ = system_watch_limit();
        set_periodic(limit_reason(watcher->watches()));
        watcher.reset();
        watches_ = 0;
      }
      full_needed_ = true;
      cv_.notify_all();
      continue;
    }

    std::array<pollfd, 2> fds{{{wake_fd_, POLLIN, 0}, {watcher ? watcher->fd() : -1, POLLIN, 0}}};
    if (::poll(fds.data(), watcher ? 2 : 1, -1) < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      std::uint64_t n = 0;
      (void)!::read(wake_fd_, &n, sizeof n);
    }
    if (!watcher || !(fds[1].revents & POLLIN)) continue;
    WatchEvents ev = watcher->read();
    const auto now = Clock::now();
    std::lock_guard lock(mu_);
    absorb(ev, now);
    watches_ = watcher->watches();
    if (ev.limit_reached) {
      limit_at_failure_ = system_watch_limit();
      set_periodic(limit_reason(watcher->watches()));
      watcher.reset();
      watches_ = 0;
      full_needed_ = true;
    }
    cv_.notify_all();
  }
}

Result<std::unique_ptr<Watcher>> LiveSync::start_watching() {
  if (auto fs = unwatchable_filesystem(opts_.library))
    return fail(Errc::invalid_argument, "the library is on a " + *fs +
                                            " filesystem, where inotify does not see changes made by other machines "
                                            "or by the filesystem's server");
  return Watcher::start(opts_.library, ignore_, opts_.max_watches);
}

std::string LiveSync::limit_reason(std::size_t watches) const {
  std::string r = "the inotify watch limit is reached after " + plural(watches, "directory", "directories");
  if (opts_.max_watches && watches >= opts_.max_watches)
    r += " (--max-watches " + std::to_string(opts_.max_watches) + ")";
  else
    r += " (fs.inotify.max_user_watches = " + std::to_string(system_watch_limit()) + "; see limafs(1) to raise it)";
  return r;
}

// Under mu_.
void LiveSync::set_periodic(const std::string& reason) {
  const bool changed = mode_ != WatchMode::periodic || mode_reason_ != reason;
  mode_ = WatchMode::periodic;
  mode_reason_ = reason;
  want_watch_ = false;
  pending_.clear();
  writing_.clear();
  if (!changed) return;
  if (opts_.poll_interval.count())
    log::warning("not watching the library: " + reason + "; syncing it every " +
                 std::to_string(opts_.poll_interval.count()) + " s instead");
  else
    log::warning("not watching the library: " + reason + "; periodic sync is off, so changes show after a manual sync");
}

// Under mu_.
void LiveSync::touch(const std::string& scope, Clock::time_point now) {
  if (pending_.empty()) first_touch_ = now;
  last_touch_ = now;
  pending_.insert(scope);
}

// Under mu_.
void LiveSync::absorb(const WatchEvents& ev, Clock::time_point now) {
  events_ += ev.count;
  if (ev.count) last_event_ns_ = wall_ns();
  auto touch = [&](const std::string& scope) { this->touch(scope, now); };
  for (const auto& c : ev.changes) {
    switch (c.what) {
      case WatchChange::changed: touch(c.scope); break;
      case WatchChange::writing:
        // The creation of a file the daemon wrote whole (an upload linked
        // into place): its own sync indexes it.
        if (daemon_written_.erase(c.path)) break;
        writing_[c.path] = Writing{now, c.scope};
        break;
      case WatchChange::closed:
        writing_.erase(c.path);
        touch(c.scope);
        break;
    }
  }
  if (ev.overflow) {
    ++overflows_;
    full_needed_ = true;
    rewatch_needed_ = true;
    log::warning("the inotify event queue overflowed (fs.inotify.max_queued_events): rescanning the whole library");
  }
  if (ev.root_changed) probe_now_ = true;
}

// -- the work thread: probes, schedules, runs --

void LiveSync::work_loop() {
  std::unique_lock lock(mu_);
  auto next_probe = Clock::now();
  while (!stopping_) {
    auto now = Clock::now();
    if (probe_now_ || now >= next_probe) {
      probe_now_ = false;
      next_probe = now + opts_.probe_interval;
      check_root(lock);
      continue;
    }
    if (!online_) {
      cv_.wait_until(lock, next_probe);  // the loop looks again at whatever woke it
      continue;
    }

    // Writers quiet for too long are taken as done.
    for (auto it = writing_.begin(); it != writing_.end();) {
      if (now - it->second.last >= opts_.writer_grace) {
        touch(it->second.scope, now);
        it = writing_.erase(it);
      } else {
        ++it;
      }
    }

    // While the watches are being set up, nothing runs: a sync must start
    // after them, or what changes in between would go unseen.
    if (mode_ == WatchMode::starting) {
      cv_.wait_until(lock, next_probe);
      continue;
    }

    // What is due, and when the next thing will be.
    auto wake = next_probe;
    const bool periodic = mode_ == WatchMode::periodic;
    if (full_needed_) {
      full_needed_ = false;
      pending_.clear();
      run_locked(lock, {}, Trigger::watcher, true);
      continue;
    }
    if (opts_.reconcile_interval.count() && now >= next_reconcile_) {
      pending_.clear();
      run_locked(lock, {}, Trigger::schedule, true);
      continue;
    }
    if (periodic && opts_.poll_interval.count() && now >= next_poll_) {
      // Out of watches before: watch again if the limit was raised since.
      if (limit_at_failure_ && system_watch_limit() > limit_at_failure_) {
        limit_at_failure_ = 0;
        restart_watching();
      }
      run_locked(lock, {}, Trigger::schedule, true);
      continue;
    }
    if (!pending_.empty()) {
      // Everything touched goes in one batch, once the library has been
      // quiet for a moment; under a steady stream of changes (a long copy)
      // the batch goes after max_wait, and the next one waits twice as long
      // (up to max_wait_limit), so a stream makes a few runs.
      const auto due = std::min(last_touch_ + opts_.quiet, first_touch_ + stream_wait_);
      if (now >= due) {
        const bool streaming = now < last_touch_ + opts_.quiet;
        stream_wait_ = streaming ? std::min(stream_wait_ * 2, opts_.max_wait_limit) : opts_.max_wait;
        std::vector<std::string> ready(pending_.begin(), pending_.end());
        pending_.clear();
        run_locked(lock, std::move(ready), Trigger::watcher, false);
        continue;
      }
      wake = std::min(wake, due);
    }
    for (const auto& [path, w] : writing_) wake = std::min(wake, w.last + opts_.writer_grace);
    if (opts_.reconcile_interval.count()) wake = std::min(wake, next_reconcile_);
    if (periodic && opts_.poll_interval.count()) wake = std::min(wake, next_poll_);
    cv_.wait_until(lock, wake);
  }
}

// Called and returns with `lock` held; runs the syncs without it.
void LiveSync::run_locked(std::unique_lock<std::mutex>& lock, std::vector<std::string> scopes, Trigger trigger,
                          bool full) {
  std::optional<std::vector<std::string>> folded;
  if (!full) folded = fold_scopes(std::move(scopes), opts_.max_scoped_runs);
  // The root is checked right before: a disk unmounted a moment after a
  // change leaves an empty directory (or another one) where the library
  // was, and a scoped sync there would take its projects for deleted.
  if (!check_root(lock)) return;
  std::vector<std::string> runs = folded ? std::move(*folded) : std::vector<std::string>{""};
  std::vector<std::string> held;
  held.reserve(writing_.size());
  for (const auto& [path, w] : writing_) held.push_back(path);
  ++batches_;
  if (!folded) {
    // A full sync covers everything pending, and restarts the schedule.
    pending_.clear();
    const auto now = Clock::now();
    next_reconcile_ = now + opts_.reconcile_interval;
    next_poll_ = now + opts_.poll_interval;
  }
  lock.unlock();
  bool went_offline = false;
  for (const auto& scope : runs) {
    if (cancel_) break;
    SyncRequest req;
    req.scope = scope;
    req.trigger = trigger;
    req.held = held;
    req.cancel = &cancel_;
    auto run = runner_(req);
    if (!run) {
      // A folder that came and went before its sync: nothing to do.
      if (run.error().code != Errc::not_found)
        log::warning("sync of " + (scope.empty() ? std::string("the library") : "'" + printable(scope) + "'") +
                     " failed: " + run.error().message);
      continue;
    }
    runs_done_.fetch_add(1);
    if (run->status == RunStatus::offline) went_offline = true;
    const auto& k = run->counts;
    if (k.added || k.changed || k.moved || k.removed || k.errors || k.projects_added || k.projects_removed ||
        k.projects_renamed || run->status != RunStatus::ok)
      log::info("sync #" + std::to_string(run->id) + " (" + std::string(to_string(trigger)) +
                (scope.empty() ? "" : ", " + printable(scope)) + ") " + std::string(to_string(run->status)) + ": " +
                std::to_string(k.added) + " added, " + std::to_string(k.changed) + " changed, " +
                std::to_string(k.moved) + " moved, " + std::to_string(k.removed) + " removed, " +
                std::to_string(k.errors) + " errors" + (run->message.empty() ? "" : " (" + run->message + ")"));
  }
  lock.lock();
  if (went_offline) probe_now_ = true;
}

// Called and returns with `lock` held; probes without it.
bool LiveSync::check_root(std::unique_lock<std::mutex>& lock) {
  std::string reason;
  std::uint64_t dev = 0, ino = 0;
  lock.unlock();
  const bool ok = probe(reason, dev, ino);
  lock.lock();
  if (!ok) {
    go_offline(reason);
    return false;
  }
  if (!online_) {
    go_online(dev, ino);
    return false;
  }
  const bool replaced = root_ino_ && (dev != root_dev_ || ino != root_ino_);
  root_dev_ = dev;
  root_ino_ = ino;
  if (replaced) {
    log::notice("the library root " + opts_.library.string() + " was replaced: watching it anew and syncing");
    restart_watching();
  }
  return !replaced;
}

bool LiveSync::probe(std::string& reason, std::uint64_t& dev, std::uint64_t& ino) {
  RootExpectation expect;
  try {
    ReadTxn t(catalog_.env());
    expect = expected_root(catalog_, t);
  } catch (const std::exception& e) {
    // Nothing known against the disk: online when the root opens and lists.
    log::warning(std::string("cannot read the index: ") + e.what());
  }
  const RootProbe p = probe_library_root(opts_.library, expect);
  dev = p.dev;
  ino = p.ino;
  reason = p.reason(opts_.library.string());
  return p.online();
}

// Under mu_.
void LiveSync::go_offline(const std::string& reason) {
  if (!online_) {
    offline_reason_ = reason;
    return;
  }
  online_ = false;
  offline_reason_ = reason;
  offline_since_ns_ = wall_ns();
  mode_ = WatchMode::offline;
  want_watch_ = false;
  pending_.clear();
  writing_.clear();
  wake_watch_loop();
  log::warning("library offline (" + reason + "); the mount keeps serving the last index, nothing is removed");
}

// Under mu_.
void LiveSync::go_online(std::uint64_t dev, std::uint64_t ino) {
  log::notice("library online again: " + opts_.library.string() + "; catching up with a sync");
  online_ = true;
  offline_reason_.clear();
  offline_since_ns_ = 0;
  root_dev_ = dev;
  root_ino_ = ino;
  restart_watching();
}

// Under mu_.
void LiveSync::restart_watching() {
  if (opts_.watch) {
    mode_ = WatchMode::starting;
    mode_reason_.clear();
    want_watch_ = true;
    rewatch_needed_ = false;
    restart_watch_ = true;
  } else {
    set_periodic("watching is off (--no-watch)");
  }
  full_needed_ = true;
  wake_watch_loop();
}

// -- reporting --

void LiveSync::written_by_daemon(const std::string& path) {
  std::lock_guard lock(mu_);
  const auto now = Clock::now();
  std::erase_if(daemon_written_, [&](const auto& e) { return now - e.second > opts_.writer_grace; });
  writing_.erase(path);
  // Remembered until its creation event comes through (if it has not yet).
  daemon_written_[path] = now;
}

std::vector<std::string> LiveSync::files_being_written() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  out.reserve(writing_.size());
  for (const auto& [path, w] : writing_) out.push_back(path);
  return out;
}

LiveStatus LiveSync::status() const {
  std::lock_guard lock(mu_);
  LiveStatus st;
  st.online = online_.load();
  if (!st.online) {
    st.offline_reason = offline_reason_;
    st.offline_since_ns = offline_since_ns_;
  }
  st.mode = mode_;
  st.mode_reason = mode_reason_;
  st.watches = watches_;
  st.watch_limit = opts_.max_watches ? opts_.max_watches : system_watch_limit();
  st.events = events_;
  st.overflows = overflows_;
  st.batches = batches_;
  st.runs = runs_done_.load();
  st.pending_dirs = pending_.size();
  st.files_being_written = writing_.size();
  st.last_event_ns = last_event_ns_;
  st.quiet = opts_.quiet;
  st.reconcile_interval = opts_.reconcile_interval;
  if (opts_.reconcile_interval.count()) st.next_reconcile_ns = wall_ns_at(next_reconcile_);
  st.poll_interval = opts_.poll_interval;
  if (mode_ == WatchMode::periodic && opts_.poll_interval.count()) st.next_poll_ns = wall_ns_at(next_poll_);
  return st;
}

}  // namespace lima::index
