#include "scale_command.h"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "bench_paths.h"
#include "daemon_bench_command.h"
#include "option_scanner.h"
#include "scale_bench.h"
#include "scale_report.h"

namespace lima::bench {
namespace {

constexpr int kSkipped = 77;

constexpr const char* kUsage =
    "usage: limafs-bench scale [--tier S|M|L]... [--seed N] [--work DIR] [--limafs PATH]\n"
    "                          [--samples N] [--repeats N] [--keep] [--no-targets] [--json]\n"
    "\n"
    "What the library's size costs, per tier (default: M, then L, in one run), on the\n"
    "search benchmark's libraries WORK/search-lib-TIER-SEED (generated unless there;\n"
    "S: 2,000 files; M: 100,000 in 1,000 projects; L: 1,000,000 in 10,000 projects):\n"
    "  1. `limafs scan` into a fresh state dir against\n"
    "     find LIB -type f -print0 | xargs -0 -P2 xxhsum -H2 (target: ratio <= 1.0);\n"
    "  2. a no-change rescan against find LIB -printf '%i %s %T@ %p\\n' (ratio <= 1.5);\n"
    "     both baselines run once first to warm the page cache;\n"
    "  3. the peak RSS of both scans (<= 100 MiB at M, <= 150 MiB at L);\n"
    "  4. `limafs mount LIB MNT --state STATE --thumb-workers 0` on that index: spawn\n"
    "     to the API answering, to the view serving, to the start-up sync ended; the\n"
    "     peak RSS meanwhile (<= 200 MiB at L) and once idle (<= 120 MiB);\n"
    "  5. a new 1 KiB file in a project until lstat() finds it under MNT/projects/,\n"
    "     p50 / p99 (<= 50 / 100 ms; growth L/M <= 1.2);\n"
    "  6. stat MNT/.limafs/problems.txt, GET /api/v1/problems?limit=100 and\n"
    "     GET /api/v1/status (one keep-alive connection), in 5 interleaved rounds:\n"
    "     p50, p99 and the best round's p50 (its growth <= 1.2); the first stat of\n"
    "     problems.txt after each of 7 changes (the median's growth <= 1.2);\n"
    "  7. GET /api/v1/search over a rare word, a common word, two words and tag:x,\n"
    "     after importing the library's tags (p99 <= 10 ms at L).\n"
    "Growth is the tier-L figure over the tier-M one. The mount benchmark's targets\n"
    "are not rerun here: run `limafs-bench mount` for them.\n"
    "Writes WORK/scale-report.json. Needs /dev/fuse; exits 77 without it.\n"
    "\n"
    "  --tier S|M|L     a tier to run (repeatable; default M then L; S is a smoke test\n"
    "                   held to tier M's targets)\n"
    "  --seed N         generator seed (default 1)\n"
    "  --work DIR       work directory (default $TMPDIR/limafs-bench)\n"
    "  --limafs PATH    limafs executable (default: next to limafs-bench, else PATH)\n"
    "  --samples N      new files timed into the mount per tier (default 40)\n"
    "  --repeats N      timings of each stat and GET (default 200)\n"
    "  --keep           keep the index (WORK/scale-state-TIER) afterwards\n"
    "  --no-targets     report missed targets but exit 0\n"
    "  --json           print the JSON report instead of the table\n";

}  // namespace

int run_scale_command(int argc, char** argv) {
  ScaleBenchOptions opt;
  DaemonBenchArgs args;
  try {
    args = parse_daemon_bench_args(argc, argv, opt, [&](std::string_view o, OptionScanner& scan) {
      if (o == "--samples") opt.samples = static_cast<int>(parse_count(o, scan.value(), 1, 10'000));
      else if (o == "--repeats") opt.repeats = static_cast<int>(parse_count(o, scan.value(), 1, 10'000));
      else return false;
      return true;
    });
  } catch (const UsageError& e) {
    std::cerr << "limafs-bench scale: " << e.message << " (see limafs-bench scale --help)\n";
    return 2;
  }
  if (args.help) {
    std::cout << kUsage;
    return 0;
  }
  if (::access("/dev/fuse", F_OK) != 0) {
    std::cerr << "limafs-bench scale: skipped: /dev/fuse is absent\n";
    return kSkipped;
  }
  return run_tiered_daemon_benchmark(
      "scale", opt, args.limafs, args.json, args.strict, [](auto& o) { return run_scale_benchmark(o); },
      [](const ScaleVerdict&) { return true; });
}

}  // namespace lima::bench
