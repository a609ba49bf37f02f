#include "pictures_command.h"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>

#include "bench_paths.h"
#include "daemon_bench_command.h"
#include "option_scanner.h"
#include "pictures_bench.h"
#include "pictures_report.h"

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;

constexpr int kSkipped = 77;

constexpr const char* kUsage =
    "usage: limafs-bench pictures [--part images|render|library|all] [--tier XS|S|M] [--seed N]\n"
    "                             [--work DIR] [--limafs PATH] [--workers N] [--repeat N]\n"
    "                             [--render-repeat N] [--triangles N] [--keep] [--no-targets] [--json]\n"
    "\n"
    "How fast the daemon makes pictures (thumbnails of images, previews of 3D models) and\n"
    "what that costs the rest of it; every figure beside a baseline measured in the\n"
    "same run. Three parts (--part, default all):\n"
    "\n"
    "images   generates (or reuses) WORK/pictures-corpus, one project folder of 24 JPEGs\n"
    "         of 12 MP, 24 PNGs of 4 MP and 6 WebPs of 6 MP (photo-like pixels, written\n"
    "         by the vips program), starts `limafs mount --thumb-workers N` on it with a\n"
    "         fresh index and times from serving (startup sync done) until /status says\n"
    "         every picture is made or failed and none is queued or running; its peak\n"
    "         RSS (VmHWM). Baselines on the same files, 256 px WebP like the daemon's:\n"
    "         `vipsthumbnail -s 256 -o DIR/%s.webp FILES...` (one process) and\n"
    "         ImageMagick `convert FILE -thumbnail 256x256 OUT.webp`, one process per\n"
    "         file, N at a time (as many as the daemon's workers). Median of --repeat.\n"
    "           targets: pictures/s >= 1.0x vipsthumbnail's, >= 3x convert's\n"
    "render   writes (or reuses) WORK/pictures-mesh/bumpy-torus-N.stl, a finely\n"
    "         tessellated bumpy torus of --triangles (1,000,000) triangles, and times in\n"
    "         this process, pinned to one CPU: read_stl, render_mesh at 512 px, and\n"
    "         make_picture(file, 512, PNG / WebP) end to end (median of --render-repeat\n"
    "         after a warm-up). Baseline: `f3d --output X.png --resolution 512,512 FILE`\n"
    "         under Xvfb on the same CPU (taskset) when f3d and Xvfb are installed.\n"
    "           targets: render_mesh <= 0.3 s; make_picture >= 4 M triangles/s\n"
    "library  generates (or reuses) WORK/lib-TIER-SEED (tier M by default: 100,000 files;\n"
    "         STL files hold tessellated tori, image files real PNG pictures), indexes\n"
    "         it with `limafs mount --thumb-workers 0`, tags 10,000 assets 'ten-k-files',\n"
    "         then with no workers measures GET /api/v1/status every 20 ms (10 s) and a\n"
    "         warm ls -l of MNT/tags/ten-k-files; restarts with N workers and measures the\n"
    "         same while every picture is made, the time that takes and the peak RSS;\n"
    "         finally restarts once more (every picture made) and times it until the\n"
    "         picture feed settles, with its memory.\n"
    "           targets: peak RSS <= 300 MiB; /status p99 <= 50 ms; ls -l <= 1.2x\n"
    "\n"
    "Prints a table, writes WORK/pictures-report.json, and exits 1 when a target is\n"
    "missed (--no-targets reports only). The images and library parts need /dev/fuse;\n"
    "exits 77 without it.\n"
    "\n"
    "  --part P           images, render, library or all (default all)\n"
    "  --tier XS|S|M      library of the library part (default M; see limafs-bench --help)\n"
    "  --seed N           generator seed (default 1)\n"
    "  --work DIR         work directory (default $TMPDIR/limafs-bench)\n"
    "  --limafs PATH      limafs executable (default: next to limafs-bench, else PATH)\n"
    "  --workers N        the daemon's --thumb-workers, and convert processes at a time (default 2)\n"
    "  --repeat N         runs of each images measurement (default 3)\n"
    "  --render-repeat N  runs of each render measurement (default 7)\n"
    "  --triangles N      triangles of the render part's STL (default 1000000)\n"
    "  --keep             keep the daemons' indexes in WORK afterwards\n"
    "  --no-targets       report the targets but exit 0 when it ran\n"
    "  --json             print the JSON report instead of the table\n";

double load_average() {
  double v = 0;
  std::ifstream("/proc/loadavg") >> v;
  return v;
}

}  // namespace

int run_pictures_command(int argc, char** argv) {
  PicturesBenchOptions bench;
  DaemonBenchArgs a;
  try {
    a = parse_daemon_bench_args(argc, argv, bench, [&](std::string_view opt, OptionScanner& scan) {
      if (opt == "--part") {
        const std::string_view part = scan.value();
        if (part != "images" && part != "render" && part != "library" && part != "all") {
          throw UsageError{"--part must be images, render, library or all"};
        }
        bench.images = part == "images" || part == "all";
        bench.render = part == "render" || part == "all";
        bench.library = part == "library" || part == "all";
      } else if (opt == "--workers") {
        bench.workers = static_cast<int>(parse_count(opt, scan.value(), 1, 64));
      } else if (opt == "--repeat") {
        bench.repeat = static_cast<int>(parse_count(opt, scan.value(), 1, 100));
      } else if (opt == "--render-repeat") {
        bench.render_repeat = static_cast<int>(parse_count(opt, scan.value(), 1, 100));
      } else if (opt == "--triangles") {
        bench.triangles = parse_count(opt, scan.value(), 1, 50'000'000);
      } else {
        return false;
      }
      return true;
    });
  } catch (const UsageError& e) {
    std::cerr << "limafs-bench pictures: " << e.message << " (see limafs-bench pictures --help)\n";
    return 2;
  }
  if (a.help) {
    std::cout << kUsage;
    return 0;
  }
  if ((bench.images || bench.library) && ::access("/dev/fuse", F_OK) != 0) {
    std::cerr << "limafs-bench pictures: skipped: /dev/fuse is absent\n";
    return kSkipped;
  }
  bench.log = &std::cerr;
  try {
    bench.limafs = resolve_limafs(a.limafs);
    std::error_code ec;
    stdfs::create_directories(bench.work, ec);
    if (ec) throw std::runtime_error("cannot create " + bench.work.string() + ": " + ec.message());
    PicturesBenchResults r;
    r.cpus = std::thread::hardware_concurrency();
    r.load_before = load_average();
    if (bench.images) {
      run_images_part(bench, r.images);
      r.images_ran = true;
    }
    if (bench.render) {
      run_render_part(bench, r.render);
      r.render_ran = true;
    }
    if (bench.library) {
      run_library_part(bench, r.library);
      r.library_ran = true;
    }
    const PicturesVerdict verdict = judge(r);
    const nlohmann::ordered_json report = report_json(r, bench, verdict, a.strict);
    const stdfs::path report_file = bench.work / "pictures-report.json";
    std::ofstream(report_file) << report.dump(2) << "\n";
    if (a.json) {
      std::cout << report.dump(2) << "\n";
    } else {
      print_report(std::cout, r, bench, verdict, a.strict);
      std::cout << "report: " << report_file.string() << "\n";
    }
    return verdict.all_ok() || !a.strict ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "limafs-bench pictures: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace lima::bench
