// The library part of the pictures benchmark: a generated library's
// pictures made by the daemon with its workers, while its API and its view
// are measured against the same daemon with no picture workers; then the
// cost of a restart when every picture is made.
#include <algorithm>
#include <chrono>
#include <deque>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <thread>

#include "child_process.h"
#include "index/catalog.h"
#include "index/metadata.h"
#include "picture_daemon.h"
#include "pictures_bench.h"
#include "progress_log.h"
#include "scratch_mounts.h"
#include "status_probe.h"
#include "text_table.h"
#include "thumbs/make_picture.h"

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;

/// The tag put on kTaggedAssets assets; MNT/tags/<it> is the folder ls -l lists.
constexpr const char* kFilesTag = "ten-k-files";
constexpr std::size_t kTaggedAssets = 10'000;
/// The API is asked for /status this often while the daemon works.
constexpr auto kProbeInterval = std::chrono::milliseconds(20);
/// At least this long a window of /status samples with no workers.
constexpr auto kIdleWindow = std::chrono::seconds(10);
/// The picture worker counts as done once nothing is queued or running for this long.
constexpr auto kSettled = std::chrono::seconds(2);
/// A restarted daemon's picture feed is done once the daemon uses at most
/// this fraction of one CPU over this window.
constexpr auto kQuietWindow = std::chrono::seconds(1);
constexpr double kQuietCpuFraction = 0.03;
constexpr auto kServeTimeout = std::chrono::minutes(30);
constexpr auto kPicturesTimeout = std::chrono::minutes(90);

struct Paths {
  stdfs::path library, state, mnt, log, ls_err;
};

PictureDaemon start(const PicturesBenchOptions& opt, const Paths& p, int workers) {
  return PictureDaemon({opt.limafs, p.library, p.mnt, p.state, p.log, workers});
}

/// Tags the first kTaggedAssets assets (in project order) with kFilesTag,
/// in one transaction, with no daemon running. Returns how many.
std::size_t tag_assets(const stdfs::path& state) {
  auto catalog = index::Catalog::open(state, index::OpenMode::read_write);
  if (!catalog) throw std::runtime_error("cannot open the index in " + state.string() + ": " + catalog.error().message);
  index::Catalog& cat = **catalog;
  std::vector<index::AssetId> ids;
  {
    index::ReadTxn t(cat.env());
    for (const auto& p : cat.projects(t)) {
      for (const auto& a : cat.assets_of(t, p.id)) {
        if (ids.size() < kTaggedAssets) ids.push_back(a.id);
      }
    }
  }
  index::Metadata meta(cat);
  std::string error;
  cat.write([&](index::WriteTxn& t) {
    error.clear();
    for (const auto id : ids) {
      if (auto r = meta.tag_asset(t, id, kFilesTag); !r && error.empty()) error = r.error().message;
    }
  });
  if (!error.empty()) throw std::runtime_error("tagging failed: " + error);
  return ids.size();
}

/// One warm-up, then `repeat` timed runs of ls -l on the tag folder.
Timing time_ls(const Paths& p, int repeat) {
  const stdfs::path dir = p.mnt / "tags" / kFilesTag;
  Timing t;
  for (int r = 0; r <= repeat; ++r) {
    const ChildResult c = run_child({"ls", "-l", dir.string()}, p.ls_err);
    if (!c.ok()) throw std::runtime_error("ls -l " + dir.string() + " failed (" + c.describe() + "): " + file_tail(p.ls_err));
    if (r > 0) t.runs.push_back(c.seconds);
  }
  return t;
}

void keep_probe(Responsiveness& out, ProbeResults probe) {
  out.status = std::move(probe.latencies);
  out.status_errors = probe.errors;
  out.status_first_error = probe.first_error;
}

/// A condition for wait_until(): nothing queued or running for kSettled
/// (and, when `after_work`, some picture done); `idle_at` gets when that
/// quiet began.
auto settled(Clock::time_point& idle_at, bool after_work) {
  return [&idle_at, after_work, quiet_since = std::optional<Clock::time_point>()](const PictureCounts& c) mutable {
    if (!c.idle() || (after_work && c.done() == 0)) {
      quiet_since.reset();
      return false;
    }
    if (!quiet_since) quiet_since = Clock::now();
    idle_at = *quiet_since;
    return Clock::now() - *quiet_since >= kSettled;
  };
}

/// A restart: serving, then the picture feed settled (with workers).
RestartRun restart(const PicturesBenchOptions& opt, const Paths& p, int workers, DaemonStop& stop,
                   const Progress& progress) {
  RestartRun run;
  const auto started = Clock::now();
  PictureDaemon d = start(opt, p, workers);
  run.serving_s = d.wait_serving(kServeTimeout);
  run.idle_s = run.serving_s;
  if (workers > 0) {
    // The feed walks the index in batches from a worker thread (and then
    // sweeps the store) with nothing queued or running, so /status cannot
    // show it: it is over when the daemon's CPU falls quiet.
    struct Reading {
      Clock::time_point at;
      double cpu_s;
    };
    std::deque<Reading> window;
    const auto deadline = Clock::now() + kPicturesTimeout;
    for (;;) {
      const PictureCounts c = d.counts();
      window.push_back({Clock::now(), d.sample().cpu_s});
      while (window.size() > 1 && window.back().at - window[1].at >= kQuietWindow) window.pop_front();
      const bool full = window.back().at - window.front().at >= kQuietWindow;
      const double busy = window.back().cpu_s - window.front().cpu_s;
      if (c.idle() && full && busy <= kQuietCpuFraction * std::chrono::duration<double>(kQuietWindow).count()) {
        run.idle_s = std::chrono::duration<double>(window.front().at - started).count();
        run.made = c.made;
        run.failed = c.failed;
        break;
      }
      if (Clock::now() > deadline) throw std::runtime_error("the restarted daemon did not fall quiet in time");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    run.cpu_s = d.sample().cpu_s;
  }
  const ProcessSample s = d.sample();
  run.hwm_kib = s.hwm_kib;
  run.rss_kib = s.rss_kib;
  stop = d.stop();
  progress("  restart, --thumb-workers " + std::to_string(workers) + ": serving after " + fmt("%.2f s", run.serving_s) +
           ", picture feed settled after " + fmt("%.2f s", run.idle_s) + " (CPU " + fmt("%.2f s", run.cpu_s) +
           " since start), VmHWM " +
           fmt("%.1f MiB", static_cast<double>(run.hwm_kib) / 1024) + "; " + stop.text());
  return run;
}

}  // namespace

void run_library_part(const PicturesBenchOptions& opt, LibraryResults& res) {
  const Progress progress(opt.log);
  Paths p;
  p.library = res.library_dir = bench_library_dir(opt.work, opt.tier, opt.seed);
  p.state = opt.work / "pictures-library-state";
  p.mnt = opt.work / "pictures-library-mnt";
  p.log = opt.work / "pictures-library-daemon.log";
  p.ls_err = opt.work / "pictures-ls.log";
  res.library = generate_library(p.library, opt.tier, opt.seed, opt.log);
  progress("library: " + generated_text(res.library, p.library));
  for (const auto& f : plan_library(opt.tier, opt.seed).files) {
    res.picture_files += thumbs::may_have_picture(f.path.substr(f.path.rfind('/') + 1)) ? 1 : 0;
  }
  std::error_code ec;
  stdfs::remove_all(p.state, ec);
  if (ec) throw std::runtime_error("cannot remove " + p.state.string() + ": " + ec.message());
  prepare_mountpoint(p.mnt);

  {
    progress("  indexing it (limafs mount, --thumb-workers 0) ...");
    PictureDaemon d = start(opt, p, 0);
    res.index_s = d.wait_serving(kServeTimeout);
    const DaemonStop stop = d.stop();
    progress("  serving after " + fmt("%.1f s", res.index_s) + "; " + stop.text());
  }
  res.tagged = tag_assets(p.state);
  progress("  tagged " + std::to_string(res.tagged) + " assets '" + kFilesTag + "'");

  {
    progress("  --thumb-workers 0: /status every 20 ms and ls -l tags/" + std::string(kFilesTag) + " ...");
    PictureDaemon d = start(opt, p, 0);
    res.restart_no_workers.serving_s = res.restart_no_workers.idle_s = d.wait_serving(kServeTimeout);
    res.restart_no_workers.cpu_s = d.sample().cpu_s;
    const auto t0 = Clock::now();
    StatusProbe probe(d.url(), "/api/v1/status", kProbeInterval);
    res.idle.ls_s = time_ls(p, opt.ls_repeat);
    while (Clock::now() - t0 < kIdleWindow) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    keep_probe(res.idle, probe.finish());
    const ProcessSample s = d.sample();
    res.restart_no_workers.hwm_kib = s.hwm_kib;
    res.restart_no_workers.rss_kib = s.rss_kib;
    const DaemonStop stop = d.stop();
    progress("    ls -l " + fmt("%.3f s", res.idle.ls_s.median()) + ", /status p99 " +
             fmt("%.2f ms", res.idle.status.percentile(0.99)) + " over " + std::to_string(res.idle.status.ms.size()) +
             " requests; serving after " + fmt("%.2f s", res.restart_no_workers.serving_s) + "; " + stop.text());
  }

  {
    progress("  --thumb-workers " + std::to_string(opt.workers) + ": making every picture ...");
    PictureDaemon d = start(opt, p, opt.workers);
    res.making.serving_s = d.wait_serving(kServeTimeout);
    const auto t0 = Clock::now();
    res.making.done_at_serving = d.counts().done();
    const double cpu0 = d.sample().cpu_s;
    StatusProbe probe(d.url(), "/api/v1/status", kProbeInterval);
    res.busy.ls_s = time_ls(p, opt.ls_repeat);
    progress("    ls -l while making pictures: " + fmt("%.3f s", res.busy.ls_s.median()));
    Clock::time_point idle_at;
    const PictureCounts end = d.wait_until(settled(idle_at, true), kPicturesTimeout, std::chrono::milliseconds(100));
    keep_probe(res.busy, probe.finish());
    res.making.pictures_s = std::chrono::duration<double>(idle_at - t0).count();
    res.making.made = end.made;
    res.making.failed = end.failed;
    const ProcessSample end_sample = d.sample();
    res.making.hwm_kib = end_sample.hwm_kib;
    res.making.cpu_s = end_sample.cpu_s - cpu0;
    res.making_rss_max_kib = d.rss_max_kib();
    res.making.stop = d.stop();
    progress("    " + std::to_string(end.made) + " made, " + std::to_string(end.failed) + " failed in " +
             fmt("%.1f s", res.making.pictures_s) + "; /status p99 " + fmt("%.2f ms", res.busy.status.percentile(0.99)) +
             "; VmHWM " + fmt("%.1f MiB", static_cast<double>(res.making.hwm_kib) / 1024) + "; " +
             res.making.stop.text());
  }

  res.restart_done = restart(opt, p, opt.workers, res.stop, progress);
  if (!opt.keep) stdfs::remove_all(p.state, ec);
  stdfs::remove(p.ls_err, ec);
  stdfs::remove(p.mnt, ec);
}

}  // namespace lima::bench
