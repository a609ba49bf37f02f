// `limafs mount LIBRARY MOUNTPOINT`: parses the options, checks the paths
// (clearing a mount left by a killed daemon), detaches when asked, then runs
// the daemon: syncs the index, mounts the read-only view and serves it until
// SIGINT/SIGTERM or an unmount.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "cli/api_client.h"
#include "cli/args.h"
#include "cli/background.h"
#include "cli/cli.h"
#include "cli/daemon_registry.h"
#include "cli/progress_view.h"
#include "daemon/daemon.h"
#include "daemon/stop_signals.h"
#include "fs/mount.h"
#include "fs/mount_table.h"
#include "index/log.h"
#include "index/names.h"

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
  --thumb-workers N     threads making pictures (thumbnails, model previews);
                        default 2; 0: make none (the picture routes answer 503)
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

/// What `limafs mount` was asked to do, once its options are read.
struct MountRequest {
  daemon::DaemonOptions daemon;
  std::string library_arg, mountpoint_arg;
  std::vector<std::string> state_opt;
  std::string token_file;  ///< absolute; empty without --token-file
  bool foreground = false, background = false;
};

// Each parse_* and check_* returns nullopt when all is well, else the exit
// status after saying what is wrong.

std::optional<int> parse_api_options(const ParsedArgs& args, http::ApiOptions& api, std::string& token_file) {
  api.any_port_if_taken = !args.has("listen");
  if (auto listen = args.value("listen")) {
    auto hp = http::parse_listen(*listen);
    if (!hp) return complain(kUsage, "mount: " + hp.error().message);
    std::tie(api.host, api.port) = *hp;
  }
  if (auto tf = args.value("token-file")) {
    token_file = stdfs::absolute(*tf).string();
    auto token = read_token_file(token_file);
    if (!token) return complain(kUsage, "mount: " + token.error().message);
    if (token->size() < 16)
      return complain(kUsage, "mount: the token in " + token_file + " is shorter than 16 characters");
    api.token = *token;
  }
  if (!http::is_loopback(api.host) && !api.token)
    return complain(kUsage, "mount: --listen " + api.host +
                                " is not a loopback address; give --token-file so that API requests need a token");
  if (auto mu = args.value("max-upload")) {
    auto size = parse_size(*mu);
    if (!size) return complain(kUsage, "mount: --max-upload wants a size such as 512M or 4G, not '" + *mu + "'");
    api.upload_limit = *size;
  }
  return std::nullopt;
}

std::optional<int> parse_live_options(const ParsedArgs& args, index::LiveSyncOptions& live) {
  live.watch = !args.has("no-watch");
  for (auto [name, target] : {std::pair{"reconcile-interval", &live.reconcile_interval},
                              std::pair{"poll-interval", &live.poll_interval}}) {
    if (auto v = args.value(name)) {
      auto d = index::parse_duration(*v);
      if (!d)
        return complain(kUsage, std::string("mount: --") + name + " wants a duration such as 90s, 15m, 1h or off, not '" +
                                    *v + "'");
      *target = *d;
    }
  }
  if (auto v = args.value("max-watches")) {
    char* end = nullptr;
    errno = 0;
    const auto n = std::strtoull(v->c_str(), &end, 10);
    if (v->empty() || *end || errno || n == 0)
      return complain(kUsage, "mount: --max-watches wants a positive number, not '" + *v + "'");
    live.max_watches = n;
  }
  return std::nullopt;
}

/// Reads the command line into `req`; --help prints the help (kOk).
std::optional<int> parse_mount(const std::vector<std::string>& argv, MountRequest& req) {
  std::string err;
  auto args = parse_args(argv,
                         {{"state", true}, {"o", true, true, 'o'}, {"ignore", true, true}, {"allow-device-change"},
                          {"listen", true}, {"token-file", true}, {"max-upload", true},
                          {"reconcile-interval", true}, {"poll-interval", true}, {"no-watch"}, {"max-watches", true},
                          {"thumb-workers", true}, {"log-level", true}, {"foreground"}, {"background"}, {"help"}},
                         err);
  if (!args) return complain(kUsage, "mount: " + err + " (try 'limafs mount --help')");
  if (args->has("help")) {
    std::fputs(kHelp, stdout);
    return kOk;
  }
  if (args->positional.size() != 2)
    return complain(kUsage, "mount: expected LIBRARY and MOUNTPOINT (usage: limafs mount LIBRARY MOUNTPOINT)");
  req.library_arg = args->positional[0];
  req.mountpoint_arg = args->positional[1];
  req.daemon.fuse_options = split_options(args->all("o"));
  for (const auto& o : req.daemon.fuse_options)
    if (o == "rw") return complain(kUsage, "mount: the view is read-only; '-o rw' is not possible");
  if (auto refused = parse_api_options(*args, req.daemon.api, req.token_file)) return refused;
  if (auto refused = parse_live_options(*args, req.daemon.live)) return refused;
  if (auto v = args->value("thumb-workers")) {
    char* end = nullptr;
    errno = 0;
    const auto n = std::strtol(v->c_str(), &end, 10);
    if (v->empty() || *end || errno || n < 0 || n > 64)
      return complain(kUsage, "mount: --thumb-workers wants a number from 0 to 64, not '" + *v + "'");
    req.daemon.thumb_workers = static_cast<int>(n);
  }
  if (auto v = args->value("log-level")) {
    auto lv = log::parse_level(*v);
    if (!lv) return complain(kUsage, "mount: --log-level is one of error, warning, notice, info, debug; not '" + *v + "'");
    log::set_level(*lv);
  }
  req.daemon.ignore_globs = args->all("ignore");
  req.daemon.allow_device_change = args->has("allow-device-change");
  req.state_opt = args->all("state");
  req.foreground = args->has("foreground");
  req.background = args->has("background");
  return std::nullopt;
}

/// The library, the mountpoint (an empty directory that is no mount point,
/// outside the library and not holding it; a dead mount on it is cleared)
/// and the state directory; fills in their absolute paths.
std::optional<int> check_paths(MountRequest& req) {
  const auto library = resolve_library(req.library_arg);
  std::error_code ec;
  if (!stdfs::is_directory(library, ec))
    return complain(kError, "library " + index::printable(library.string()) + " does not exist or is not a directory");

  const stdfs::path mp_arg = stdfs::absolute(req.mountpoint_arg, ec).lexically_normal();
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

  const auto state = resolve_state(library, req.state_opt);
  if (is_inside(state, library))
    return complain(kUsage, "mount: the state directory cannot be inside the library (the library is never written to)");
  if (is_inside(state, mountpoint))
    return complain(kUsage, "mount: the state directory cannot be inside the mountpoint");
  req.daemon.library = library;
  req.daemon.mountpoint = mountpoint;
  req.daemon.state = state;
  return std::nullopt;
}

void log_startup_sync(const index::Result<index::Run>& run) {
  if (!run) {
    log::error("sync failed, serving what the index holds: " + run.error().message);
  } else if (run->status == index::RunStatus::offline) {
    log::warning("library offline, serving what the index holds: " + run->message);
  } else {
    const auto& k = run->counts;
    log::info("sync " + std::string(index::to_string(run->status)) + " (" + std::to_string(k.added) + " added, " +
              std::to_string(k.changed) + " changed, " + std::to_string(k.removed) + " removed, " +
              std::to_string(k.errors) + " errors)");
  }
}

/// Starts the daemon, syncs and mounts (or mounts and syncs, see below),
/// serves until stopped, and stops.
int run_daemon(MountRequest req) {
  if (req.foreground && req.background)
    return complain(kUsage, "mount: --foreground and --background exclude each other");
  // Forked before anything opens the index or starts a thread.
  Detached detached;
  if (req.background) {
    auto d = detach();
    if (!d) return complain(kError, d.error().message);
    if (d->exit_status) return *d->exit_status;  // the starting process
    detached = std::move(d->daemon);
  }

  daemon::StopSignals signals;
  const auto library = req.daemon.library, state = req.daemon.state, mountpoint = req.daemon.mountpoint;
  req.daemon.version = version();
  auto service = daemon::Daemon::start(std::move(req.daemon), signals);
  if (!service) return complain(kError, service.error().message);
  log::info("control API on " + (*service)->api_url());
  // Registered from here on, so `limafs status` finds the daemon during a
  // long startup sync too.
  auto registration = Registration::create(
      {::getpid(), library.string(), state.string(), mountpoint.string(), (*service)->api_url(), req.token_file});
  if (!registration)
    log::warning("client commands will need --api (" + registration.error().message + ")");
  signals.handle();

  (*service)->wait_for_watches();
  index::SyncProgress progress;
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  // An index of this library from an earlier run is served at once, and
  // brought up to date while it is: the startup sync of a large library
  // takes seconds even when nothing changed. A first index is built before
  // the view is served (an empty view would only mislead).
  const bool serve_first = (*service)->index_holds_library();
  index::Result<index::Run> run;
  if (!serve_first) {
    notify_systemd("STATUS=syncing " + library.string());
    if (!tty) log::info("syncing " + index::printable(library.string()));
    {
      ProgressView view(progress, stderr, tty);
      run = (*service)->sync_at_startup(progress, signals.flag());
    }
    if (signals.stop_requested()) {
      log::info("interrupted before mounting");
      return kOk;
    }
    log_startup_sync(run);
  }

  // From here on signals are taken by serve_until_stopped, never by a FUSE
  // worker: every thread started from now on inherits the blocked mask.
  signals.block();
  if (signals.stop_requested()) return kOk;  // a signal between the sync and here

  if (auto mounted = (*service)->mount(); !mounted) return complain(kError, mounted.error().message);
  log::notice("serving " + index::printable(library.string()) + " on " + index::printable(mountpoint.string()) +
              (serve_first ? " while it is synced" : "") + " (Ctrl-C or SIGTERM to unmount)");
  detached.ready();
  notify_systemd("READY=1\nSTATUS=serving " + library.string() + " on " + mountpoint.string());
  std::atomic<bool> stop_startup{false};
  std::thread startup;
  if (serve_first) {
    if (!tty) log::info("syncing " + index::printable(library.string()));
    startup = std::thread([&] {
      {
        ProgressView view(progress, stderr, tty);
        run = (*service)->sync_at_startup(progress, stop_startup);
      }
      if (!stop_startup) log_startup_sync(run);
    });
  }
  (*service)->serve_until_stopped(signals);
  stop_startup = true;
  if (startup.joinable()) startup.join();
  notify_systemd("STOPPING=1");
  service->reset();  // stops everything
  return kOk;
}

}  // namespace

int cmd_mount(const std::vector<std::string>& argv) {
  MountRequest req;
  if (auto done = parse_mount(argv, req)) return *done;
  if (auto refused = check_paths(req)) return *refused;
  return run_daemon(std::move(req));
}

}  // namespace lima::cli
