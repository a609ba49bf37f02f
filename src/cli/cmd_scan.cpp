// `limafs scan LIBRARY`: one sync of the index with the disk, with progress
// and a one-line summary.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/progress_view.h"
#include "index/names.h"
#include "index/records_json.h"
#include "index/sync.h"

namespace lima::cli {

namespace {

constexpr const char* kHelp = R"(usage: limafs scan LIBRARY [options]

Sync the index of LIBRARY with the disk once, without mounting: new files are
hashed and added, changed files rehashed, moved and renamed files and project
folders keep their ids, vanished ones become tombstones that keep their
metadata. The library itself is never written to.

Options:
  --state DIR           state directory (default: $XDG_STATE_HOME/limafs/<name>-<hash>)
  --verify              rehash every file, not only those whose size or mtime changed
  --project NAME        sync only the project folder NAME
  --path SUBPATH        sync only SUBPATH (a folder inside the library)
  --ignore GLOB         also ignore names (or library-relative paths, if GLOB has
                        a '/') matching GLOB; repeatable
  --allow-device-change accept that the library now lives on another filesystem
  --json                print the run record as JSON instead of the summary
  -h, --help            show this help

Exit status: 0 ok, 1 error, 2 usage, 3 finished with unindexable items,
4 library offline (nothing changed), 130 interrupted.
)";

std::atomic<bool> g_cancel{false};

extern "C" void on_signal(int) { g_cancel.store(true); }

std::string summary(const index::Run& run) {
  const auto& c = run.counts;
  const double secs = static_cast<double>(run.ended_ns - run.started_ns) / 1e9;
  std::string s = std::string(index::to_string(run.status)) + ": ";
  s += std::to_string(c.added) + " added, " + std::to_string(c.changed) + " changed, " + std::to_string(c.moved) +
       " moved, " + std::to_string(c.removed) + " removed, " + std::to_string(c.unchanged) + " unchanged, " +
       std::to_string(c.errors) + " errors";
  if (c.skipped) s += ", " + std::to_string(c.skipped) + " skipped";
  if (c.revived) s += " (" + std::to_string(c.revived) + " restored with their metadata)";
  if (c.projects_added || c.projects_removed || c.projects_renamed)
    s += "; projects: " + std::to_string(c.projects_added) + " added, " + std::to_string(c.projects_removed) +
         " removed, " + std::to_string(c.projects_renamed) + " renamed";
  s += "; " + human_bytes(static_cast<double>(c.bytes_hashed)) + " hashed in " + human_duration(secs) + " (run " +
       std::to_string(run.id) + ")";
  return s;
}

}  // namespace

int cmd_scan(const std::vector<std::string>& argv) {
  std::string err;
  auto args = parse_args(argv,
                         {{"state", true}, {"verify"}, {"project", true}, {"path", true}, {"ignore", true, true},
                          {"allow-device-change"}, {"json"}, {"help"}},
                         err);
  if (!args) return complain(kUsage, "scan: " + err + " (try 'limafs scan --help')");
  if (args->has("help")) {
    std::fputs(kHelp, stdout);
    return kOk;
  }
  if (args->positional.size() != 1)
    return complain(kUsage, args->positional.empty() ? "scan: which library? (usage: limafs scan LIBRARY)"
                                                     : "scan: expected one LIBRARY, got " +
                                                           std::to_string(args->positional.size()) + " arguments");
  if (args->has("project") && args->has("path")) return complain(kUsage, "scan: give --project or --path, not both");
  if (auto p = args->value("project"); p && (p->empty() || p->find('/') != std::string::npos))
    return complain(kUsage, "scan: --project takes a project folder name (no '/'); use --path for sub-folders");
  for (const auto& g : args->all("ignore"))
    if (g.empty()) return complain(kUsage, "scan: --ignore needs a non-empty glob");

  const auto library = resolve_library(args->positional.front());
  const auto state = resolve_state(library, args->all("state"));
  std::error_code ec;
  if (!std::filesystem::exists(state / "index" / "data.mdb", ec) && !std::filesystem::is_directory(library, ec))
    return complain(kError, "library " + library.string() + " is not a directory");
  if (is_inside(state, library))
    return complain(kUsage, "scan: the state directory cannot be inside the library (the library is never written to)");

  auto catalog = index::Catalog::open(state, index::OpenMode::read_write);
  if (!catalog) return complain(kError, catalog.error().message);

  index::SyncOptions opts;
  opts.library = library;
  opts.mode = args->has("verify") ? index::Mode::verify : index::Mode::incremental;
  opts.trigger = index::Trigger::cli;
  opts.scope = args->value("project").value_or(args->value("path").value_or(""));
  opts.ignore_globs = args->all("ignore");
  opts.allow_device_change = args->has("allow-device-change");
  index::SyncProgress progress;
  opts.progress = &progress;
  opts.cancel = &g_cancel;

  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESETHAND;  // a second Ctrl-C kills at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  const bool tty = ::isatty(STDERR_FILENO) == 1;
  const bool json = args->has("json");
  if (!json && !tty)
    std::fprintf(stderr, "limafs: scanning %s (%s%s%s)\n", index::printable(library.string()).c_str(),
                 index::to_string(opts.mode).data(), opts.scope.empty() ? "" : ", only ",
                 index::printable(opts.scope).c_str());
  index::Result<index::Run> result;
  {
    ProgressView view(progress, stderr, tty);
    result = index::run_sync(**catalog, opts);
  }
  if (!result) return complain(result.error().code == index::Errc::invalid_argument ? kUsage : kError,
                               result.error().message);
  const index::Run& run = *result;

  if (json) {
    std::printf("%s\n", index::dump_json(index::to_json(run)).c_str());
  } else {
    std::size_t shown = 0;
    const std::size_t kShow = 10;
    for (const auto& p : run.problems) {
      if (shown++ == kShow) break;
      std::printf("%-22s %s: %s\n", index::to_string(p.kind).data(), index::printable(p.path).c_str(),
                  p.detail.c_str());
    }
    const auto total_problems = run.counts.errors + run.counts.skipped;
    if (run.problems.size() > kShow || total_problems > run.problems.size())
      std::printf("… see 'limafs runs %s %llu' for the full list\n", index::printable(library.string()).c_str(),
                  static_cast<unsigned long long>(run.id));
    if (!run.message.empty()) std::printf("%s\n", run.message.c_str());
    std::printf("%s\n", summary(run).c_str());
  }
  switch (run.status) {
    case index::RunStatus::ok: return kOk;
    case index::RunStatus::partial: return kPartial;
    case index::RunStatus::offline: return kOffline;
    case index::RunStatus::interrupted: return kInterrupted;
    default: return kError;
  }
}

}  // namespace lima::cli
