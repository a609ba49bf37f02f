#include "mount_bench.h"

#include <chrono>
#include <ostream>
#include <stdexcept>
#include <vector>

#include "child_process.h"
#include "fs/mount.h"
#include "index/metadata.h"
#include "index/sync.h"
#include "scratch_mounts.h"
#include "text_table.h"

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;

/// Generous: the copy of the default shape needs a few hundred MiB.
constexpr const char* kTmpfsSize = "4g";

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::unique_ptr<fs::Mount> start_mount(index::Catalog& catalog, const std::string& library_root,
                                       const stdfs::path& mountpoint) {
  fs::MountOptions mo;
  mo.mountpoint = mountpoint;
  auto m = fs::Mount::start(catalog, library_root, mo);
  if (!m) throw std::runtime_error("cannot mount the view on " + mountpoint.string() + ": " + m.error().message);
  return std::move(*m);
}

/// Tags every project with kProjectsTag and every asset with kAssetsTag
/// (one transaction each), and returns the assets as the freshness probe
/// needs them.
std::vector<ProbeAsset> tag_everything(index::Catalog& catalog, const std::string& root, MountBenchResults& res) {
  std::vector<index::ProjectId> projects;
  std::vector<ProbeAsset> assets;
  {
    index::ReadTxn t(catalog.env());
    for (const auto& p : catalog.projects(t)) {
      projects.push_back(p.id);
      for (const auto& a : catalog.assets_of(t, p.id)) {
        const auto slash = a.path.rfind('/');
        const std::string file = slash == std::string::npos ? a.path : a.path.substr(slash + 1);
        assets.push_back({a.id, p.name + " - " + file, root + "/" + index::library_path(p.name, a.path)});
      }
    }
  }
  if (projects.size() != res.shape.projects || assets.size() != res.shape.files()) {
    throw std::runtime_error("the index holds " + std::to_string(projects.size()) + " projects and " +
                             std::to_string(assets.size()) + " files, expected " +
                             std::to_string(res.shape.projects) + " and " + std::to_string(res.shape.files()));
  }
  index::Metadata meta(catalog);
  std::string error;
  auto t0 = Clock::now();
  catalog.write([&](index::WriteTxn& t) {
    error.clear();  // the transaction may be run again
    for (auto id : projects) {
      if (auto r = meta.tag_project(t, id, kProjectsTag); !r && error.empty()) error = r.error().message;
    }
  });
  res.tag_projects_s = seconds_since(t0);
  t0 = Clock::now();
  catalog.write([&](index::WriteTxn& t) {
    if (!error.empty()) return;
    for (const auto& a : assets) {
      if (auto r = meta.tag_asset(t, a.id, kAssetsTag); !r && error.empty()) error = r.error().message;
    }
  });
  res.tag_assets_s = seconds_since(t0);
  if (!error.empty()) throw std::runtime_error("tagging failed: " + error);
  return assets;
}

/// Runs programs on the view and on the tmpfs copy.
class Timer {
 public:
  Timer(const MountBenchOptions& opt, const stdfs::path& mountpoint, const stdfs::path& baseline)
      : opt_(opt), mnt_(mountpoint), base_(baseline), stderr_file_(opt.work / "mount-child-stderr.log") {}
  ~Timer() {
    std::error_code ec;
    stdfs::remove(stderr_file_, ec);
  }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  /// One run of argv + DIR; throws when the program fails.
  double run(std::vector<std::string> argv, const stdfs::path& dir) {
    argv.push_back(dir.string());
    const ChildResult r = run_child(argv, stderr_file_);
    if (!r.ok()) {
      const std::string err = file_tail(stderr_file_);
      throw std::runtime_error(argv.front() + " " + dir.string() + " failed (" + r.describe() + ")" +
                               (err.empty() ? "" : ":\n" + err));
    }
    return r.seconds;
  }

  /// One warm-up run on each side, then opt.repeat timed runs on each.
  Comparison compare(const std::vector<std::string>& argv, const std::string& rel, const fs::Mount& mount) {
    Comparison c;
    for (const auto& a : argv) c.command += a + " ";
    c.command += rel.empty() ? "DIR" : "DIR/" + rel;
    const stdfs::path on_mount = rel.empty() ? mnt_ : mnt_ / rel;
    const stdfs::path on_tmpfs = rel.empty() ? base_ : base_ / rel;
    run(argv, on_mount);
    run(argv, on_tmpfs);
    for (int r = 0; r < opt_.repeat; ++r) {
      const RequestCounts before = RequestCounts::read(mount.stats());
      c.mount.runs.push_back(run(argv, on_mount));
      c.requests += RequestCounts::read(mount.stats()) - before;
      c.tmpfs.runs.push_back(run(argv, on_tmpfs));
    }
    log(c.command + ": mount " + fmt_s(c.mount.median()) + ", tmpfs " + fmt_s(c.tmpfs.median()) + ", requests " +
        c.requests.text());
    return c;
  }

  void log(const std::string& line) const {
    if (opt_.log) *opt_.log << line << "\n" << std::flush;
  }

  static std::string fmt_s(double s) { return fmt("%.3f s", s); }

 private:
  const MountBenchOptions& opt_;
  stdfs::path mnt_, base_, stderr_file_;
};

}  // namespace

RequestCounts RequestCounts::read(const fs::RequestStats& stats) {
  RequestCounts c;
  for (std::size_t i = 0; i < c.by_op.size(); ++i) c.by_op[i] = stats.get(static_cast<fs::Op>(i));
  return c;
}

std::uint64_t RequestCounts::total() const {
  std::uint64_t n = 0;
  for (auto v : by_op) n += v;
  return n;
}

std::string RequestCounts::text() const {
  std::string out;
  for (std::size_t i = 0; i < by_op.size(); ++i) {
    if (by_op[i] == 0) continue;
    out += (out.empty() ? "" : ", ") + std::string(fs::kOpNames[i]) + " " + std::to_string(by_op[i]);
  }
  return out.empty() ? "none" : out;
}

RequestCounts& RequestCounts::operator+=(const RequestCounts& o) {
  for (std::size_t i = 0; i < by_op.size(); ++i) by_op[i] += o.by_op[i];
  return *this;
}

RequestCounts RequestCounts::operator-(const RequestCounts& o) const {
  RequestCounts c;
  for (std::size_t i = 0; i < by_op.size(); ++i) c.by_op[i] = by_op[i] - o.by_op[i];
  return c;
}

MountBenchResults run_mount_benchmark(const MountBenchOptions& opt) {
  MountBenchResults res;
  res.shape = opt.shape;
  res.library = opt.work / ("mount-lib-" + std::to_string(opt.shape.projects) + "x" +
                            std::to_string(opt.shape.files_per_project));
  res.state = opt.work / "mount-state";
  res.mountpoint = opt.work / "mnt";
  res.baseline = opt.work / "baseline";
  Timer timer(opt, res.mountpoint, res.baseline);

  res.generated = generate_mount_library(res.library, opt.shape, opt.log);
  timer.log(res.generated.already_generated ? "reusing " + res.library.string()
                                            : "generated " + res.library.string() + " in " +
                                                  Timer::fmt_s(res.generated.seconds));
  std::error_code ec;
  stdfs::remove_all(res.state, ec);
  if (ec) throw std::runtime_error("cannot remove " + res.state.string() + ": " + ec.message());

  auto catalog = index::Catalog::open(res.state, index::OpenMode::read_write);
  if (!catalog) throw std::runtime_error("cannot open the index in " + res.state.string() + ": " +
                                         catalog.error().message);
  index::Catalog& cat = **catalog;
  index::SyncOptions so;
  so.library = res.library;
  auto t0 = Clock::now();
  const auto run = index::run_sync(cat, so);
  res.sync_s = seconds_since(t0);
  if (!run) throw std::runtime_error("sync failed: " + run.error().message);
  if (run->status != index::RunStatus::ok) {
    throw std::runtime_error("sync ended " + std::string(index::to_string(run->status)) + ": " + run->message);
  }
  std::string root = res.library.string();
  {
    index::ReadTxn t(cat.env());
    root = cat.library_root(t).value_or(root);
  }
  timer.log("indexed " + std::to_string(run->counts.added) + " files in " + Timer::fmt_s(res.sync_s));
  const std::vector<ProbeAsset> assets = tag_everything(cat, root, res);
  timer.log("tagged the projects in " + Timer::fmt_s(res.tag_projects_s) + ", the files in " +
            Timer::fmt_s(res.tag_assets_s));

  prepare_mountpoint(res.mountpoint);
  prepare_mountpoint(res.baseline);
  unmount_on_signal({res.baseline, res.mountpoint});
  auto mount = start_mount(cat, root, res.mountpoint);
  TmpfsMount tmpfs(res.baseline, kTmpfsSize);
  res.replica = replicate_tree(res.mountpoint, res.baseline, {"search"});
  timer.log("copied the view into the tmpfs: " + std::to_string(res.replica.dirs) + " directories, " +
            std::to_string(res.replica.links) + " links, " + std::to_string(res.replica.files) + " files in " +
            Timer::fmt_s(res.replica.seconds));

  const std::string projects_dir = std::string("tags/") + kProjectsTag;
  res.ls_projects = timer.compare({"ls", "-l"}, projects_dir, *mount);

  mount.reset();
  mount = start_mount(cat, root, res.mountpoint);
  const RequestCounts before = RequestCounts::read(mount->stats());
  res.cold_ls_s = timer.run({"ls", "-l"}, res.mountpoint / projects_dir);
  res.cold_requests = RequestCounts::read(mount->stats()) - before;
  timer.log("cold ls -l " + projects_dir + ": " + Timer::fmt_s(res.cold_ls_s) + ", requests " +
            res.cold_requests.text());

  res.find_all = timer.compare({"find"}, "", *mount);
  res.ls_assets = timer.compare({"ls", "-l"}, std::string("tags/") + kAssetsTag, *mount);

  const RequestCounts fresh_before = RequestCounts::read(mount->stats());
  res.fresh = measure_freshness(cat, res.mountpoint / "tags" / kFreshTag, assets, opt.fresh_rounds, kFreshTag);
  res.fresh_requests = RequestCounts::read(mount->stats()) - fresh_before;
  timer.log("freshness: " + std::to_string(opt.fresh_rounds) + " rounds, tagged p99 " +
            fmt("%.2f ms", res.fresh.tagged.percentile(0.99)) + ", untagged p99 " +
            fmt("%.2f ms", res.fresh.untagged.percentile(0.99)));

  mount.reset();
  catalog->reset();
  if (!opt.keep) stdfs::remove_all(res.state, ec);
  return res;
}

}  // namespace lima::bench
