// The render part of the pictures benchmark: one large STL made into a
// 512 px picture in this process, pinned to one CPU, step by step
// (read_stl, render_mesh) and end to end (make_picture, PNG and WebP);
// f3d, when it runs here under Xvfb, on the same file as a baseline.
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <csignal>
#include <cstdlib>
#include <ostream>
#include <stdexcept>
#include <thread>

#include "child_process.h"
#include "pictures_bench.h"
#include "progress_log.h"
#include "text_table.h"
#include "thumbs/make_picture.h"
#include "thumbs/mesh.h"
#include "thumbs/renderer.h"

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kSize = 512;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// This process's CPU time (all threads), seconds.
double process_cpu_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// Runs fn, adding its wall-clock and CPU seconds to the timings.
template <class Fn>
auto timed(Timing& wall, Timing& cpu, Fn fn) {
  const auto t0 = Clock::now();
  const double c0 = process_cpu_s();
  auto result = fn();
  cpu.runs.push_back(process_cpu_s() - c0);
  wall.runs.push_back(seconds_since(t0));
  return result;
}

/// Pins the calling thread (and the threads it starts later) to the last
/// CPU it may run on; returns that CPU.
int pin_to_one_cpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) throw std::runtime_error("sched_getaffinity failed");
  int cpu = -1;
  for (int i = 0; i < CPU_SETSIZE; ++i) {
    if (CPU_ISSET(i, &set)) cpu = i;
  }
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0) throw std::runtime_error("sched_setaffinity failed");
  return cpu;
}

template <class T>
T value_or_throw(thumbs::Outcome<T> r, const std::string& what) {
  if (!r) throw std::runtime_error(what + " failed: " + std::string(thumbs::to_string(r.error().kind)) + ": " + r.error().reason);
  return std::move(*r);
}

/// An X server without a screen, for f3d; stopped on destruction.
class Xvfb {
 public:
  /// Starts Xvfb on the first free display from :90; throws when it does
  /// not come up in 15 s.
  Xvfb() {
    for (display_ = 90; display_ < 190 && stdfs::exists(socket()); ++display_) {
    }
    const std::string name = ":" + std::to_string(display_);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      const int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, STDIN_FILENO);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
      ::execlp("Xvfb", "Xvfb", name.c_str(), "-screen", "0", "1280x1024x24", "-nolisten", "tcp",
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (pid_ < 0) throw std::runtime_error("cannot start Xvfb");
    const auto deadline = Clock::now() + std::chrono::seconds(15);
    while (!stdfs::exists(socket())) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("Xvfb " + name + " exited at start");
      }
      if (Clock::now() > deadline) throw std::runtime_error("Xvfb " + name + " did not come up in 15 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~Xvfb() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  Xvfb(const Xvfb&) = delete;
  Xvfb& operator=(const Xvfb&) = delete;

  std::string display() const { return ":" + std::to_string(display_); }

 private:
  stdfs::path socket() const { return "/tmp/.X11-unix/X" + std::to_string(display_); }
  int display_ = 90;
  pid_t pid_ = -1;
};

/// f3d --output OUT.png --resolution 512,512 FILE under Xvfb, on `cpu`
/// (taskset) when it can be pinned; fills res.f3d_*.
void run_f3d(const PicturesBenchOptions& opt, RenderResults& res, const Progress& progress) {
  const stdfs::path f3d = find_in_path("f3d");
  if (f3d.empty()) {
    res.f3d_note = "f3d is not in PATH (Debian package f3d)";
    return;
  }
  if (find_in_path("Xvfb").empty()) {
    res.f3d_note = "Xvfb is not in PATH (Debian package xvfb); f3d needs an X display";
    return;
  }
  const bool pinned = !find_in_path("taskset").empty();
  const stdfs::path out = opt.work / "pictures-f3d.png";
  const stdfs::path err = opt.work / "pictures-f3d.log";
  try {
    Xvfb x;
    ::setenv("DISPLAY", x.display().c_str(), 1);
    std::vector<std::string> argv;
    if (pinned) argv = {"taskset", "-c", std::to_string(res.cpu)};
    argv.insert(argv.end(), {f3d.string(), "--output", out.string(), "--resolution", "512,512", res.mesh.path.string()});
    for (int r = 0; r <= opt.render_repeat; ++r) {  // the first run warms up
      std::error_code ec;
      stdfs::remove(out, ec);
      const ChildResult c = run_child(argv, err);
      if (!c.ok() || !stdfs::exists(out)) {
        res.f3d_note = "f3d failed (" + c.describe() + "): " + file_tail(err, 300);
        res.f3d_s.runs.clear();
        res.f3d_cpu_s.runs.clear();
        ::unsetenv("DISPLAY");
        return;
      }
      if (r > 0) {
        res.f3d_s.runs.push_back(c.seconds);
        res.f3d_cpu_s.runs.push_back(c.cpu_s);
      }
    }
    ::unsetenv("DISPLAY");
  } catch (const std::exception& e) {
    ::unsetenv("DISPLAY");
    res.f3d_note = std::string("f3d could not run: ") + e.what();
    return;
  }
  res.f3d_ran = true;
  res.f3d_note = std::string("f3d ") + (pinned ? "pinned to the same CPU (taskset)" : "not pinned") +
                 ", under Xvfb (Mesa llvmpipe), process start to PNG written, 512x512";
  progress("  f3d: median " + fmt("%.3f s", res.f3d_s.median()));
}

}  // namespace

void run_render_part(const PicturesBenchOptions& opt, RenderResults& res) {
  const Progress progress(opt.log);
  res.mesh = make_mesh_file(opt.work / "pictures-mesh", opt.triangles);
  progress(std::string("render: ") + (res.mesh.reused ? "reusing " : "wrote ") + res.mesh.path.string() + " (" +
           std::to_string(res.mesh.triangles) + " triangles, " +
           fmt("%.1f MiB", static_cast<double>(res.mesh.bytes) / (1 << 20)) + ")");
  // In a thread of its own, so the pinning stays with the measurement.
  std::exception_ptr failure;
  std::thread worker([&] {
    try {
      res.cpu = pin_to_one_cpu();
      const thumbs::Limits limits;
      const auto deadline = [&] { return thumbs::Clock::now() + limits.max_time; };
      // Warm-up: the file into the page cache, libvips started.
      value_or_throw(thumbs::make_picture(res.mesh.path, kSize, thumbs::Format::png, limits), "make_picture");
      thumbs::Mesh mesh;
      for (int r = 0; r < opt.render_repeat; ++r) {
        mesh = timed(res.read_s, res.read_cpu_s, [&] {
          return value_or_throw(thumbs::read_stl(res.mesh.path, limits, deadline()), "read_stl");
        });
        const thumbs::Raster raster = timed(res.render_s, res.render_cpu_s, [&] {
          return value_or_throw(thumbs::render_mesh(mesh, kSize, limits, deadline()), "render_mesh");
        });
        res.picture_width = raster.width;
        res.picture_height = raster.height;
        res.png_bytes = timed(res.make_png_s, res.make_png_cpu_s, [&] {
          return value_or_throw(thumbs::make_picture(res.mesh.path, kSize, thumbs::Format::png, limits), "make_picture");
        }).bytes.size();
        res.webp_bytes = timed(res.make_webp_s, res.make_webp_cpu_s, [&] {
          return value_or_throw(thumbs::make_picture(res.mesh.path, kSize, thumbs::Format::webp, limits), "make_picture");
        }).bytes.size();
      }
      if (mesh.triangles() != res.mesh.triangles) {
        throw std::runtime_error("read_stl read " + std::to_string(mesh.triangles()) + " triangles, expected " +
                                 std::to_string(res.mesh.triangles));
      }
    } catch (...) {
      failure = std::current_exception();
    }
  });
  worker.join();
  if (failure) std::rethrow_exception(failure);
  progress("  on CPU " + std::to_string(res.cpu) + ": read_stl " + fmt("%.3f s", res.read_s.median()) + ", render_mesh " +
           fmt("%.3f s", res.render_s.median()) + " (CPU " + fmt("%.3f s", res.render_cpu_s.median()) +
           "), make_picture PNG " + fmt("%.3f s", res.make_png_s.median()) + ", WebP " +
           fmt("%.3f s", res.make_webp_s.median()));
  run_f3d(opt, res, progress);
  if (!res.f3d_ran) progress("  f3d: " + res.f3d_note);
}

}  // namespace lima::bench
