#include "bench_run.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ostream>
#include <string>

#include "child_process.h"
#include "library_plan.h"

namespace lima::bench {
namespace {

namespace fs = std::filesystem;

constexpr double kTouchFraction = 0.01;

/// Runs commands for one benchmark and turns failures into BenchError.
class Runner {
 public:
  Runner(const RunOptions& options, fs::path library)
      : opt_(options), lib_(std::move(library)), stderr_file_(options.work / "child-stderr.log") {}

  /// `limafs scan LIB --state STATE`; throws with limafs' stderr on failure.
  ChildResult scan(const fs::path& state) {
    const std::vector<std::string> argv = {opt_.limafs.string(), "scan", lib_.string(), "--state", state.string()};
    ChildResult r = spawn(argv);
    if (!r.ok()) {
      std::string msg = "limafs scan " + lib_.string() + " --state " + state.string() + " failed (" +
                        r.describe() + ")";
      const std::string err = file_tail(stderr_file_);
      msg += err.empty() ? "; it printed nothing on stderr" : "; its stderr:\n" + err;
      throw BenchError(msg);
    }
    return r;
  }

  /// Hashes every file the way a shell user would: two xxhsum processes.
  ChildResult hash_baseline() {
    return baseline("find | xargs xxhsum",
                    {"/bin/sh", "-c", "find \"$1\" -type f -print0 | xargs -0 -P2 xxhsum -H2 > /dev/null", "sh",
                     lib_.string()});
  }

  /// Stats every file and prints size and mtime, the least a rescan must do.
  ChildResult stat_baseline() { return baseline("find -printf", {"find", lib_.string(), "-printf", "%s %T@\n"}); }

  void log(const std::string& line) const {
    if (opt_.log) *opt_.log << line << "\n" << std::flush;
  }

  void remove_scratch() const {
    std::error_code ec;
    fs::remove(stderr_file_, ec);
  }

 private:
  ChildResult spawn(const std::vector<std::string>& argv) {
    try {
      return run_child(argv, stderr_file_);
    } catch (const SpawnError& e) {
      throw BenchError(e.what());
    }
  }

  ChildResult baseline(const std::string& what, const std::vector<std::string>& argv) {
    ChildResult r = spawn(argv);
    if (!r.ok()) {
      const std::string err = file_tail(stderr_file_);
      throw BenchError("baseline `" + what + "` on " + lib_.string() + " failed (" + r.describe() + ")" +
                       (err.empty() ? "" : ":\n" + err));
    }
    return r;
  }

  const RunOptions& opt_;
  fs::path lib_;
  fs::path stderr_file_;
};

/// Bumps the mtime of chosen files by one second per round, and puts the
/// planned mtimes back when destroyed, so the stored library stays as
/// generated.
class MtimeToucher {
 public:
  MtimeToucher(fs::path library, const LibraryPlan& plan, std::vector<std::size_t> chosen)
      : lib_(std::move(library)), plan_(plan), chosen_(std::move(chosen)) {}
  MtimeToucher(const MtimeToucher&) = delete;
  MtimeToucher& operator=(const MtimeToucher&) = delete;
  ~MtimeToucher() {
    for (std::size_t i : chosen_) {
      const struct timespec times[2] = {{plan_.files[i].mtime, 0}, {plan_.files[i].mtime, 0}};
      ::utimensat(AT_FDCWD, (lib_ / plan_.files[i].path).c_str(), times, 0);
    }
  }

  /// Adds one second to each chosen file's current mtime.
  void touch() const {
    for (std::size_t i : chosen_) {
      const fs::path path = lib_ / plan_.files[i].path;
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) {
        throw BenchError("cannot stat " + path.string() + ": " + std::strerror(errno) +
                         " (was the library modified? delete it to regenerate)");
      }
      const struct timespec times[2] = {st.st_atim, {st.st_mtim.tv_sec + 1, st.st_mtim.tv_nsec}};
      if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) {
        throw BenchError("cannot set mtime of " + path.string() + ": " + std::strerror(errno));
      }
    }
  }

  std::size_t count() const { return chosen_.size(); }

 private:
  fs::path lib_;
  const LibraryPlan& plan_;
  std::vector<std::size_t> chosen_;
};

std::string secs(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s", s);
  return buf;
}

void reset_dir(const fs::path& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) throw BenchError("cannot remove " + dir.string() + ": " + ec.message());
}

}  // namespace

double Timing::median() const {
  if (runs.empty()) return 0;
  std::vector<double> v = runs;
  std::sort(v.begin(), v.end());
  const std::size_t mid = v.size() / 2;
  return v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

BenchResults run_benchmark(const RunOptions& opt) {
  std::error_code ec;
  fs::create_directories(opt.work, ec);
  if (ec) throw BenchError("cannot create work directory " + opt.work.string() + ": " + ec.message());

  BenchResults res;
  res.library_dir = bench_library_dir(opt.work, opt.tier, opt.seed);
  try {
    res.library = generate_library(res.library_dir, opt.tier, opt.seed, opt.log);
  } catch (const GenerateError& e) {
    throw BenchError(e.what());
  }

  Runner run(opt, res.library_dir);
  if (res.library.already_generated) {
    run.log("reusing " + res.library_dir.string());
  } else {
    run.log("generated " + std::to_string(res.library.files) + " files, " + std::to_string(res.library.bytes) +
            " bytes in " + secs(res.library.seconds));
  }
  const fs::path states = opt.work / "state";
  reset_dir(states);
  fs::create_directories(states, ec);
  if (ec) throw BenchError("cannot create " + states.string() + ": " + ec.message());

  run.log("warming the page cache (hashing every file once)");
  run.hash_baseline();
  run.stat_baseline();

  // a + d: initial index into a fresh state dir, against hashing everything.
  const fs::path indexed = states / "indexed";
  for (int r = 0; r < opt.repeat; ++r) {
    const ChildResult base = run.hash_baseline();
    const fs::path state = r == 0 ? indexed : states / ("initial-" + std::to_string(r));
    reset_dir(state);
    const ChildResult scan = run.scan(state);
    if (r > 0) reset_dir(state);
    res.initial_baseline.runs.push_back(base.seconds);
    res.initial_limafs.runs.push_back(scan.seconds);
    res.initial_max_rss_kib = std::max(res.initial_max_rss_kib, scan.max_rss_kib);
    run.log("initial index " + std::to_string(r + 1) + "/" + std::to_string(opt.repeat) + ": limafs " +
            secs(scan.seconds) + ", baseline " + secs(base.seconds));
  }

  // b: rescan with nothing changed, against listing sizes and mtimes.
  for (int r = 0; r < opt.repeat; ++r) {
    const ChildResult base = run.stat_baseline();
    const ChildResult scan = run.scan(indexed);
    res.stat_baseline.runs.push_back(base.seconds);
    res.rescan_limafs.runs.push_back(scan.seconds);
    res.rescan_max_rss_kib = std::max(res.rescan_max_rss_kib, scan.max_rss_kib);
    run.log("no-change rescan " + std::to_string(r + 1) + "/" + std::to_string(opt.repeat) + ": limafs " +
            secs(scan.seconds) + ", baseline " + secs(base.seconds));
  }

  // c: rescan after 1% of the files got a newer mtime (a different second
  // every round, so each round really changes them).
  {
    const LibraryPlan plan = plan_library(opt.tier, opt.seed);
    MtimeToucher toucher(res.library_dir, plan, pick_files(plan, kTouchFraction, opt.seed));
    res.touched_files = toucher.count();
    for (int r = 0; r < opt.repeat; ++r) {
      toucher.touch();
      const ChildResult scan = run.scan(indexed);
      res.touched_limafs.runs.push_back(scan.seconds);
      res.rescan_max_rss_kib = std::max(res.rescan_max_rss_kib, scan.max_rss_kib);
      run.log("rescan, 1% touched " + std::to_string(r + 1) + "/" + std::to_string(opt.repeat) + ": limafs " +
              secs(scan.seconds));
    }
  }

  reset_dir(states);
  run.remove_scratch();
  return res;
}

}  // namespace lima::bench
