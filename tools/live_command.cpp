#include "live_command.h"

#include <unistd.h>

#include <iostream>
#include <string>
#include <string_view>

#include "bench_paths.h"
#include "daemon_bench_command.h"
#include "live_bench.h"
#include "live_report.h"
#include "option_scanner.h"

namespace lima::bench {
namespace {

constexpr int kSkipped = 77;

constexpr const char* kUsage =
    "usage: limafs-bench live [--tier XS|S|M] [--seed N] [--work DIR] [--limafs PATH]\n"
    "                         [--samples N] [--burst N] [--idle-seconds S]\n"
    "                         [--keep] [--no-targets] [--json]\n"
    "\n"
    "Generates (or reuses) WORK/lib-TIER-SEED (tier M by default), starts `limafs mount`\n"
    "on it (state in WORK/live-state, view on WORK/live-mnt, API on a free loopback\n"
    "port), waits for the startup sync, the mount and the watcher, then measures how\n"
    "the daemon keeps up with changes made to the library behind its back:\n"
    "\n"
    "  create -> visible   N times: write a new 1-64 KiB STL file (open, write, close)\n"
    "                      into a random project, at its top or in a sub-folder, and\n"
    "                      poll lstat() on it under WORK/live-mnt/projects/ until it\n"
    "                      shows; 50-100 ms between creates. p50 <= 100 ms, p99 <= 300 ms.\n"
    "                      Also run back to back; baselines: the same creates each\n"
    "                      followed by POST /api/v1/sync/runs for the folder, and\n"
    "                      probed in the library itself (the floor of the method).\n"
    "  burst               write N small files into a new project (folders of 1,000)\n"
    "                      as fast as possible; from the last close() until the index\n"
    "                      holds them all and no sync runs: <= 5 s. Then the daemon's\n"
    "                      index must equal a fresh `limafs scan` of the library\n"
    "                      (project, path, size and hash of every live asset). The\n"
    "                      sync runs it took are counted; a fresh scan of the burst\n"
    "                      project alone is the baseline.\n"
    "  idle                after removing everything it wrote (the library is left\n"
    "                      as generated) and letting the daemon catch up: the\n"
    "                      daemon's CPU (utime + stime) over S seconds <= 1 %, its\n"
    "                      VmRSS <= 150 MiB; an idle sleep measured alongside.\n"
    "\n"
    "Finally it stops the daemon with SIGTERM and checks that the mount is gone.\n"
    "Prints a table, writes WORK/live-report.json. Needs /dev/fuse; exits 77 without.\n"
    "\n"
    "  --tier XS|S|M        library size (default M; see limafs-bench --help)\n"
    "  --seed N             generator seed (default 1)\n"
    "  --work DIR           work directory (default $TMPDIR/limafs-bench)\n"
    "  --limafs PATH        limafs executable (default: next to limafs-bench, else PATH)\n"
    "  --samples N          creates per latency series (default 200)\n"
    "  --burst N            files in the burst (default 50000)\n"
    "  --idle-seconds S     length of the idle window (default 30)\n"
    "  --keep               keep the daemon's and the fresh scans' indexes in WORK\n"
    "  --no-targets         report the targets but exit 0 when it ran (default: exit 1 on a miss)\n"
    "  --json               print the JSON report instead of the table\n";

}  // namespace

int run_live_command(int argc, char** argv) {
  LiveBenchOptions bench;
  DaemonBenchArgs a;
  try {
    a = parse_daemon_bench_args(argc, argv, bench, [&](std::string_view opt, OptionScanner& scan) {
      if (opt == "--samples")
        bench.samples = static_cast<int>(parse_count(opt, scan.value(), 1, 100'000));
      else if (opt == "--burst")
        bench.burst = parse_count(opt, scan.value(), 1, 1'000'000);
      else if (opt == "--idle-seconds")
        bench.idle_seconds = static_cast<int>(parse_count(opt, scan.value(), 1, 3600));
      else
        return false;
      return true;
    });
  } catch (const UsageError& e) {
    std::cerr << "limafs-bench live: " << e.message << " (see limafs-bench live --help)\n";
    return 2;
  }
  if (a.help) {
    std::cout << kUsage;
    return 0;
  }
  if (::access("/dev/fuse", F_OK) != 0) {
    std::cerr << "limafs-bench live: skipped: /dev/fuse is absent\n";
    return kSkipped;
  }
  return run_daemon_benchmark("live", bench, a.limafs, a.json, a.strict,
                              [](const auto& options) { return run_live_benchmark(options); });
}

}  // namespace lima::bench
