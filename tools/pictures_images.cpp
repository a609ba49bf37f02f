// The images part of the pictures benchmark: the daemon's picture pipeline
// on the image corpus, against vipsthumbnail and ImageMagick on the same
// files, all making 256 px WebP thumbnails.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <ostream>
#include <stdexcept>
#include <thread>

#include "child_process.h"
#include "picture_daemon.h"
#include "pictures_bench.h"
#include "progress_log.h"
#include "scratch_mounts.h"
#include "text_table.h"

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;

constexpr auto kServeTimeout = std::chrono::minutes(10);
constexpr auto kPicturesTimeout = std::chrono::minutes(30);

void reset_dir(const stdfs::path& dir) {
  std::error_code ec;
  stdfs::remove_all(dir, ec);
  if (ec) throw std::runtime_error("cannot remove " + dir.string() + ": " + ec.message());
  stdfs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create " + dir.string() + ": " + ec.message());
}

std::size_t files_in(const stdfs::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(dir, ec)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

/// One daemon from a fresh state directory until every picture of the
/// corpus is made or failed.
DaemonPictureRun run_daemon(const PicturesBenchOptions& opt, const ImageCorpus& corpus, const Progress& progress) {
  const stdfs::path state = opt.work / "pictures-images-state";
  const stdfs::path mnt = opt.work / "pictures-images-mnt";
  std::error_code ec;
  stdfs::remove_all(state, ec);
  if (ec) throw std::runtime_error("cannot remove " + state.string() + ": " + ec.message());
  prepare_mountpoint(mnt);
  const std::uint64_t n = corpus.files.size();
  DaemonPictureRun run;
  PictureDaemon daemon({opt.limafs, corpus.library, mnt, state, opt.work / "pictures-images-daemon.log", opt.workers});
  run.serving_s = daemon.wait_serving(kServeTimeout);
  const auto t0 = std::chrono::steady_clock::now();
  run.done_at_serving = daemon.counts().done();
  const double cpu0 = daemon.sample().cpu_s;
  const PictureCounts end =
      daemon.wait_until([n](const PictureCounts& c) { return c.done() >= n && c.idle(); }, kPicturesTimeout);
  run.pictures_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  run.made = end.made;
  run.failed = end.failed;
  const ProcessSample end_sample = daemon.sample();
  run.hwm_kib = end_sample.hwm_kib;
  run.cpu_s = end_sample.cpu_s - cpu0;
  run.stop = daemon.stop();
  progress("  limafs: " + std::to_string(run.made) + " made, " + std::to_string(run.failed) + " failed in " +
           fmt("%.2f s", run.pictures_s) + " (CPU " + fmt("%.2f s", run.cpu_s) + ") after serving (" + fmt("%.2f s", run.serving_s) + " to serve), peak RSS " +
           fmt("%.1f MiB", static_cast<double>(run.hwm_kib) / 1024) + "; " + run.stop.text());
  if (!opt.keep) stdfs::remove_all(state, ec);
  stdfs::remove(mnt, ec);
  return run;
}

/// Wall-clock and CPU seconds of one baseline run.
struct BaselineRun {
  double seconds = 0, cpu_s = 0;
};

BaselineRun run_vipsthumbnail(const ImageCorpus& corpus, const stdfs::path& out, const stdfs::path& err, long& rss) {
  reset_dir(out);
  std::vector<std::string> argv = {"vipsthumbnail", "-s", "256", "-o", (out / "%s.webp").string()};
  for (const auto& f : corpus.files) argv.push_back(f.string());
  const ChildResult r = run_child(argv, err);
  if (!r.ok()) throw std::runtime_error("vipsthumbnail failed (" + r.describe() + "): " + file_tail(err));
  if (files_in(out) != corpus.files.size()) {
    throw std::runtime_error("vipsthumbnail made " + std::to_string(files_in(out)) + " thumbnails, expected " +
                             std::to_string(corpus.files.size()));
  }
  rss = std::max(rss, r.max_rss_kib);
  return {r.seconds, r.cpu_s};
}

/// convert FILE -thumbnail 256x256 OUT.webp for every file, `jobs` at a time.
BaselineRun run_magick(const std::string& convert, const ImageCorpus& corpus, const stdfs::path& out,
                  const stdfs::path& err_dir, int jobs, long& rss) {
  reset_dir(out);
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::string error;
  double cpu_s = 0;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int j = 0; j < jobs; ++j) {
    pool.emplace_back([&, j] {
      const stdfs::path err = err_dir / ("convert-" + std::to_string(j) + ".log");
      for (std::size_t i; (i = next.fetch_add(1)) < corpus.files.size();) {
        const stdfs::path& f = corpus.files[i];
        const stdfs::path target = out / (f.stem().string() + ".webp");
        try {
          const ChildResult r = run_child({convert, f.string(), "-thumbnail", "256x256", target.string()}, err);
          std::lock_guard lock(mutex);
          rss = std::max(rss, r.max_rss_kib);
          cpu_s += r.cpu_s;
          if (!r.ok() && error.empty()) error = convert + " " + f.string() + " failed (" + r.describe() + "): " + file_tail(err);
        } catch (const std::exception& e) {
          std::lock_guard lock(mutex);
          if (error.empty()) error = e.what();
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!error.empty()) throw std::runtime_error(error);
  if (files_in(out) != corpus.files.size()) {
    throw std::runtime_error(convert + " made " + std::to_string(files_in(out)) + " thumbnails, expected " +
                             std::to_string(corpus.files.size()));
  }
  return {seconds, cpu_s};
}

}  // namespace

void run_images_part(const PicturesBenchOptions& opt, ImagesResults& res) {
  const Progress progress(opt.log);
  // The real ImageMagick, not a wrapper script in front of it.
  res.magick = is_executable("/usr/bin/convert") ? "/usr/bin/convert" : find_in_path("convert").string();
  if (res.magick.empty()) throw std::runtime_error("convert is not in PATH (Debian package imagemagick)");
  if (find_in_path("vipsthumbnail").empty()) {
    throw std::runtime_error("vipsthumbnail is not in PATH (Debian package libvips-tools)");
  }
  progress("images: the corpus (generated once with vips) ...");
  res.corpus = make_image_corpus(opt.work / "pictures-corpus", opt.log);
  progress(std::string(res.corpus.reused ? "  reusing " : "  generated ") + res.corpus.library.string() + ": " +
           std::to_string(res.corpus.files.size()) + " images, " +
           fmt("%.1f MiB", static_cast<double>(res.corpus.bytes) / (1 << 20)) + ", " +
           fmt("%.0f Mpixels", static_cast<double>(res.corpus.pixels) / 1e6));
  res.magick_jobs = opt.workers;
  const stdfs::path err = opt.work / "pictures-baseline.log";
  for (int r = 0; r < opt.repeat; ++r) {
    progress("images, run " + std::to_string(r + 1) + " of " + std::to_string(opt.repeat) + ":");
    res.limafs.push_back(run_daemon(opt, res.corpus, progress));
    res.limafs_s.runs.push_back(res.limafs.back().pictures_s);
    res.limafs_cpu_s.runs.push_back(res.limafs.back().cpu_s);
    const BaselineRun vips =
        run_vipsthumbnail(res.corpus, opt.work / "pictures-vipsthumbnail", err, res.vipsthumbnail_rss_kib);
    res.vipsthumbnail_s.runs.push_back(vips.seconds);
    res.vipsthumbnail_cpu_s.runs.push_back(vips.cpu_s);
    progress("  vipsthumbnail: " + fmt("%.2f s", vips.seconds) + " (CPU " + fmt("%.2f s", vips.cpu_s) + ")");
    const BaselineRun magick =
        run_magick(res.magick, res.corpus, opt.work / "pictures-magick", opt.work, res.magick_jobs, res.magick_rss_kib);
    res.magick_s.runs.push_back(magick.seconds);
    res.magick_cpu_s.runs.push_back(magick.cpu_s);
    progress("  convert, " + std::to_string(res.magick_jobs) + " at a time: " + fmt("%.2f s", magick.seconds) +
             " (CPU " + fmt("%.2f s", magick.cpu_s) + ")");
  }
  std::error_code ec;
  stdfs::remove(err, ec);
}

}  // namespace lima::bench
