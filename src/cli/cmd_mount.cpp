// `limafs mount LIBRARY MOUNTPOINT`: the daemon. Checks the paths, clears a
// mount left by a killed daemon, syncs the index, mounts the read-only view
// and serves it until SIGINT/SIGTERM or an unmount.
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "cli/api_client.h"
#include "cli/args.h"
#include "cli/background.h"
#include "cli/cli.h"
#include "cli/daemon_registry.h"
#include "cli/progress_view.h"
#include "fs/live_status_text.h"
#include "fs/mount.h"
#include "fs/mount_table.h"
#include "http/api.h"
#include "index/backup.h"
#include "index/live_sync.h"
#include "index/sync_coordinator.h"
#include "index/log.h"
#include "index/names.h"
#include "index/sync.h"

namespace lima::cli {

namespace stdfs = std::filesystem;

namespace {

constexpr const char* kHelp = R"(usage: limafs mount LIBRARY MOUNTPOINT [options]

Sync the index of LIBRARY with the disk, then mount its read-only view on
MOUNTPOINT (an empty directory) and serve it until interrupted (Ctrl-C,
SIGTERM) or unmounted (fusermount3 -u MOUNTPOINT). While it runs, the library
is watched: new, changed, moved and deleted files show in the view a moment
after their writer closed them. A library that goes away (disk unmounted,
root moved) is reported offline and the view keeps the last index. A dead
mount left by a killed daemon is cleared first.

  MOUNTPOINT/projects/<project>/     every project, mirrored (files are links)
  MOUNTPOINT/tags/<tag>/[+<tag>/…]   what is tagged, narrowed by more tags
  MOUNTPOINT/collections/<name>/     a collection's projects, in order
  MOUNTPOINT/search/<words>/         projects and files matching all words
  MOUNTPOINT/untagged/               projects without a tag
  MOUNTPOINT/.limafs/status, stats   index state; requests served

Options:
  --state DIR           state directory (default: $XDG_STATE_HOME/limafs/<name>-<hash>)
  -o OPTIONS            extra FUSE mount options, comma-separated (e.g. allow_other);
                        repeatable. The view is always mounted ro.
  --ignore GLOB         also ignore names matching GLOB when syncing; repeatable
  --allow-device-change accept that the library now lives on another filesystem
  --listen ADDR:PORT    where the control API listens (default 127.0.0.1:7700, or
                        any free port when 7700 is taken). A non-loopback address
                        needs --token-file.
  --token-file FILE     require 'Authorization: Bearer <token>' on every API
                        request; the token is FILE's first line
  --max-upload SIZE     largest file the API accepts for upload (default 4G;
                        suffixes K, M, G, T)
  --reconcile-interval DURATION
                        full incremental sync this often besides watching
                        (default 1h; 30s, 15m, 2h, 1d; 0 or off: never)
  --poll-interval DURATION
                        when the library cannot be watched (network or FUSE
                        filesystem, no inotify watch left): sync this often
                        (default 60s; 0 or off: never)
  --no-watch            do not watch with inotify; sync every --poll-interval
  --max-watches N       use at most N inotify watches (default: what the system
                        allows); a larger library is synced periodically
  --log-level LEVEL     error, warning, notice, info (default) or debug
  --foreground          stay attached to the terminal (the default; what the
                        systemd units run)
  --background          detach once the view is mounted and serving; the exit
                        status tells whether it was (the fstab helper runs this)
  -h, --help            show this help

The control API (see 'limafs status', limafs(1) and /openapi.json) edits
tags, collections and notes, runs syncs and uploads files; its changes show
in the mount at once. Metadata is also exported automatically to
STATE/backups after each change (the newest 10 are kept).

Exit status: 0 unmounted cleanly (or interrupted before mounting), 1 error,
2 usage.
)";

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }

// "4G", "512M", "1000" → bytes.
std::optional<std::uint64_t> parse_size(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const auto n = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || end == text.c_str() || errno != 0) return std::nullopt;
  const std::string suffix(end);
  std::uint64_t unit = 1;
  if (suffix == "K" || suffix == "k") unit = 1ull << 10;
  else if (suffix == "M" || suffix == "m") unit = 1ull << 20;
  else if (suffix == "G" || suffix == "g") unit = 1ull << 30;
  else if (suffix == "T" || suffix == "t") unit = 1ull << 40;
  else if (!suffix.empty()) return std::nullopt;
  if (n == 0 || n > UINT64_MAX / unit) return std::nullopt;
  return n * unit;
}

// The mount's request counters as Prometheus text.
std::string fuse_metrics(const fs::RequestStats& stats) {
  std::string out =
      "# HELP limafs_fuse_requests_total Requests the kernel sent the mount, by operation.\n"
      "# TYPE limafs_fuse_requests_total counter\n";
  for (std::size_t i = 0; i < fs::kOpNames.size(); ++i)
    out += "limafs_fuse_requests_total{op=\"" + std::string(fs::kOpNames[i]) + "\"} " +
           std::to_string(stats.get(static_cast<fs::Op>(i))) + "\n";
  return out;
}

std::vector<std::string> split_options(const std::vector<std::string>& given) {
  std::vector<std::string> out;
  for (const auto& g : given) {
    std::stringstream ss(g);
    std::string item;
    while (std::getline(ss, item, ','))
      if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

int cmd_mount(const std::vector<std::string>& argv) {
  std::string err;
  auto args = parse_args(argv,
                         {{"state", true}, {"o", true, true, 'o'}, {"ignore", true, true}, {"allow-device-change"},
                          {"listen", true}, {"token-file", true}, {"max-upload", true},
                          {"reconcile-interval", true}, {"poll-interval", true}, {"no-watch"}, {"max-watches", true},
                          {"log-level", true}, {"foreground"}, {"background"}, {"help"}},
                         err);
  if (!args) return complain(kUsage, "mount: " + err + " (try 'limafs mount --help')");
  if (args->has("help")) {
    std::fputs(kHelp, stdout);
    return kOk;
  }
  if (args->positional.size() != 2)
    return complain(kUsage, "mount: expected LIBRARY and MOUNTPOINT (usage: limafs mount LIBRARY MOUNTPOINT)");
  const auto fuse_options = split_options(args->all("o"));
  for (const auto& o : fuse_options)
    if (o == "rw") return complain(kUsage, "mount: the view is read-only; '-o rw' is not possible");

  http::ApiOptions api_opts;
  api_opts.any_port_if_taken = !args->has("listen");
  if (auto listen = args->value("listen")) {
    auto hp = http::parse_listen(*listen);
    if (!hp) return complain(kUsage, "mount: " + hp.error().message);
    std::tie(api_opts.host, api_opts.port) = *hp;
  }
  std::string token_file;
  if (auto tf = args->value("token-file")) {
    token_file = stdfs::absolute(*tf).string();
    auto token = read_token_file(token_file);
    if (!token) return complain(kUsage, "mount: " + token.error().message);
    if (token->size() < 16)
      return complain(kUsage, "mount: the token in " + token_file + " is shorter than 16 characters");
    api_opts.token = *token;
  }
  if (!http::is_loopback(api_opts.host) && !api_opts.token)
    return complain(kUsage, "mount: --listen " + api_opts.host +
                                " is not a loopback address; give --token-file so that API requests need a token");
  if (auto mu = args->value("max-upload")) {
    auto size = parse_size(*mu);
    if (!size) return complain(kUsage, "mount: --max-upload wants a size such as 512M or 4G, not '" + *mu + "'");
    api_opts.upload_limit = *size;
  }

  index::LiveSyncOptions live_opts;
  live_opts.watch = !args->has("no-watch");
  for (auto [name, target] : {std::pair{"reconcile-interval", &live_opts.reconcile_interval},
                              std::pair{"poll-interval", &live_opts.poll_interval}}) {
    if (auto v = args->value(name)) {
      auto d = index::parse_duration(*v);
      if (!d)
        return complain(kUsage, std::string("mount: --") + name + " wants a duration such as 90s, 15m, 1h or off, not '" +
                                    *v + "'");
      *target = *d;
    }
  }
  if (auto v = args->value("max-watches")) {
    char* end = nullptr;
    errno = 0;
    const auto n = std::strtoull(v->c_str(), &end, 10);
    if (v->empty() || *end || errno || n == 0)
      return complain(kUsage, "mount: --max-watches wants a positive number, not '" + *v + "'");
    live_opts.max_watches = n;
  }
  if (auto v = args->value("log-level")) {
    auto lv = log::parse_level(*v);
    if (!lv) return complain(kUsage, "mount: --log-level is one of error, warning, notice, info, debug; not '" + *v + "'");
    log::set_level(*lv);
  }

  const auto library = resolve_library(args->positional[0]);
  std::error_code ec;
  if (!stdfs::is_directory(library, ec))
    return complain(kError, "library " + index::printable(library.string()) + " does not exist or is not a directory");

  const stdfs::path mp_arg = stdfs::absolute(args->positional[1], ec).lexically_normal();
  auto cleared = fs::clear_stale_mount(mp_arg);
  if (!cleared) return complain(kError, cleared.error().message);
  if (*cleared) log::notice("cleared a dead mount left on " + index::printable(mp_arg.string()));
  struct stat st {};
  if (::stat(mp_arg.c_str(), &st) != 0)
    return complain(kError, "mountpoint " + index::printable(mp_arg.string()) + " does not exist");
  if (!S_ISDIR(st.st_mode))
    return complain(kError, "mountpoint " + index::printable(mp_arg.string()) + " is not a directory");
  const stdfs::path mountpoint = stdfs::canonical(mp_arg, ec);
  if (ec) return complain(kError, "mountpoint " + index::printable(mp_arg.string()) + ": " + ec.message());
  if (is_inside(mountpoint, library))
    return complain(kError, "mountpoint " + index::printable(mountpoint.string()) + " is inside the library " +
                                index::printable(library.string()) + " (the library is never written to)");
  if (is_inside(library, mountpoint))
    return complain(kError, "the library " + index::printable(library.string()) + " is inside the mountpoint " +
                                index::printable(mountpoint.string()) + " (the mount would hide it)");
  struct stat parent {};
  if ((mountpoint != "/" && ::stat(mountpoint.parent_path().c_str(), &parent) == 0 && parent.st_dev != st.st_dev) ||
      fs::mounted_at(mountpoint))
    return complain(kError, "mountpoint " + index::printable(mountpoint.string()) +
                                " is already a mount point (is another limafs serving it?)");
  if (!stdfs::is_empty(mountpoint, ec) || ec)
    return complain(kError, "mountpoint " + index::printable(mountpoint.string()) + " is not empty");

  const auto state = resolve_state(library, args->all("state"));
  if (is_inside(state, library))
    return complain(kUsage, "mount: the state directory cannot be inside the library (the library is never written to)");
  if (is_inside(state, mountpoint))
    return complain(kUsage, "mount: the state directory cannot be inside the mountpoint");

  if (args->has("foreground") && args->has("background"))
    return complain(kUsage, "mount: --foreground and --background exclude each other");
  // Forked before anything opens the index or starts a thread.
  Detached detached;
  if (args->has("background")) {
    auto d = detach();
    if (!d) return complain(kError, d.error().message);
    if (d->exit_status) return *d->exit_status;  // the starting process
    detached = std::move(d->daemon);
  }

  auto catalog = index::Catalog::open(state, index::OpenMode::read_write);
  if (!catalog) return complain(kError, catalog.error().message);

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);

  // The API comes up first, so a taken address is known before a long sync
  // and leaves no mount behind. Its threads (and the backup writer's) start
  // with the stop signals blocked: only the main thread takes them.
  const std::vector<std::string> ignore_globs = args->all("ignore");
  index::SyncCoordinator syncs(**catalog, {library, ignore_globs, args->has("allow-device-change")});
  std::atomic<fs::Mount*> mounted{nullptr};
  live_opts.library = library;
  live_opts.ignore_globs = ignore_globs;
  index::LiveSync live(**catalog, live_opts, [&syncs](const index::SyncRequest& r) {
    return syncs.run_now(r.mode, r.scope, r.trigger, nullptr, r.cancel, r.held);
  });
  syncs.set_held_files([&live] { return live.files_being_written(); });
  syncs.set_written_hook([&live](const std::string& path) { live.written_by_daemon(path); });
  // Whichever way this function ends, the syncs stop before `live` and
  // `syncs` go: each calls the other.
  struct StopSyncs {
    index::SyncCoordinator& syncs;
    index::LiveSync& live;
    ~StopSyncs() {
      syncs.cancel();  // a long API sync must not hold up the live sync's stop
      live.stop();
      syncs.wait_idle();
    }
  } stop_syncs{syncs, live};
  http::ApiContext ctx;
  ctx.catalog = catalog->get();
  ctx.library = library;
  ctx.sync = &syncs;
  ctx.settle = [&mounted] {
    if (auto* m = mounted.load()) m->flush();
  };
  ctx.extra_metrics = [&mounted] {
    auto* m = mounted.load();
    return m ? fuse_metrics(m->stats()) : std::string();
  };
  ctx.mount_status = [&mounted, &mountpoint] {
    auto* m = mounted.load();
    return nlohmann::json{{"mountpoint", mountpoint.string()}, {"mounted", m && !m->finished()}};
  };
  ctx.live_status = [&live] { return live.status(); };
  ctx.started_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  ctx.version = version();
  sigset_t old_mask;
  pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
  auto backup = std::make_unique<index::BackupWriter>(**catalog);
  auto api = http::ApiServer::start(ctx, api_opts);
  // Watching starts before the startup sync, so that nothing changed while
  // it runs is missed; what the watcher sees meanwhile is synced after it.
  if (api) live.start();
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (!api) return complain(kError, "cannot start the control API: " + api.error().message);
  log::info("control API on " + (*api)->url());
  // Registered from here on, so `limafs status` finds the daemon during a
  // long startup sync too.
  auto registration = Registration::create(
      {::getpid(), library.string(), state.string(), mountpoint.string(), (*api)->url(), token_file});
  if (!registration)
    log::warning("client commands will need --api (" + registration.error().message + ")");

  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESETHAND;  // a second Ctrl-C during the sync kills at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);

  // The startup sync begins once the watches are set: what changes during
  // or after it is then seen.
  if (!live.wait_started(std::chrono::seconds(60)))
    log::warning("setting up the watches takes long; syncing meanwhile");
  index::SyncProgress progress;
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  notify_systemd("STATUS=syncing " + library.string());
  if (!tty) log::info("syncing " + index::printable(library.string()));
  index::Result<index::Run> run;
  {
    // Through the API's sync service: a sync asked for meanwhile waits.
    ProgressView view(progress, stderr, tty);
    run = syncs.run_now(index::Mode::incremental, "", index::Trigger::startup, &progress, &g_stop);
  }
  if (g_stop.load()) {
    live.stop();
    log::info("interrupted before mounting");
    return kOk;
  }
  if (!run) {
    log::error("sync failed, mounting what the index holds: " + run.error().message);
  } else if (run->status == index::RunStatus::offline) {
    log::warning("library offline, mounting what the index holds: " + run->message);
  } else {
    const auto& k = run->counts;
    log::info("sync " + std::string(index::to_string(run->status)) + " (" + std::to_string(k.added) + " added, " +
              std::to_string(k.changed) + " changed, " + std::to_string(k.removed) + " removed, " +
              std::to_string(k.errors) + " errors)");
  }

  // From here on signals are taken by sigtimedwait below, never by a FUSE
  // worker: every thread started from now on inherits the blocked mask.
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  if (g_stop.load()) {  // a signal between the sync and here
    live.stop();
    return kOk;
  }

  fs::MountOptions mopts;
  mopts.mountpoint = mountpoint;
  mopts.fuse_options = fuse_options;
  mopts.api_url = (*api)->url();
  mopts.status_text = [&live] { return fs::live_status_text(live.status()); };
  auto mount = fs::Mount::start(**catalog, library, mopts);
  if (!mount) {
    live.stop();
    return complain(kError, mount.error().message);
  }
  mounted = mount->get();
  log::notice("serving " + index::printable(library.string()) + " on " + index::printable(mountpoint.string()) +
              " (Ctrl-C or SIGTERM to unmount)");
  detached.ready();
  notify_systemd("READY=1\nSTATUS=serving " + library.string() + " on " + mountpoint.string());
  const timespec tick{0, 200'000'000};
  while (!(*mount)->finished()) {
    const int sig = sigtimedwait(&stop_signals, nullptr, &tick);
    if (sig > 0 || g_stop.load()) break;
  }
  notify_systemd("STOPPING=1");
  syncs.cancel();
  live.stop();
  (*api)->stop();
  (*mount)->stop();
  mounted = nullptr;
  log::notice("unmounted " + index::printable(mountpoint.string()));
  if (auto written = backup->flush(); !written)
    log::warning("the last metadata export failed: " + written.error().message);
  if ((*mount)->abandoned()) {
    std::fflush(nullptr);
    std::_Exit(kOk);  // its threads still run: nothing may be destroyed under them
  }
  return kOk;
}

}  // namespace lima::cli
