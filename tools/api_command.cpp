#include "api_command.h"

#include <unistd.h>

#include <iostream>
#include <string>
#include <string_view>

#include "api_bench.h"
#include "api_report.h"
#include "bench_paths.h"
#include "child_process.h"
#include "daemon_bench_command.h"
#include "option_scanner.h"

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;

constexpr int kSkipped = 77;

constexpr const char* kUsage =
    "usage: limafs-bench api [--tier XS|S|M] [--seed N] [--work DIR] [--limafs PATH]\n"
    "                        [--duration SECONDS] [--keep] [--no-targets] [--json]\n"
    "\n"
    "Generates (or reuses) WORK/lib-TIER-SEED (tier M by default), starts `limafs mount`\n"
    "on it (state in WORK/api-state, view on WORK/api-mnt, API on a free loopback\n"
    "port), waits for GET /api/v1/healthz and, through /api/v1/status, for the startup\n"
    "sync and the mount, then tags every 4th project 'bench' through the API. It runs\n"
    "wrk against the API and, with the same wrk command, against a minimal cpp-httplib\n"
    "server inside limafs-bench (set up like the control API's: thread pool,\n"
    "TCP_NODELAY, keep-alive, listen backlog; answering the very bytes the daemon\n"
    "answered), and reports each figure with its ratio to the baseline's:\n"
    "\n"
    "  GET /api/v1/status, wrk -t1 -c1         >= 10,000 req/s\n"
    "  GET /api/v1/status, wrk -t2 -c64        no request over 100 ms (wrk's max)\n"
    "  GET /api/v1/projects?tag=bench&limit=50, wrk -t2 -c8   >= 5,000 req/s\n"
    "\n"
    "each with no socket error, timeout or error response. Finally it stops the\n"
    "daemon with SIGTERM and checks that the mount is gone. Prints a table, writes\n"
    "WORK/api-report.json and keeps wrk's reports in WORK/api-wrk/. Needs /dev/fuse\n"
    "and wrk (Debian package wrk); exits 77 without them.\n"
    "\n"
    "  --tier XS|S|M        library size (default M; see limafs-bench --help)\n"
    "  --seed N             generator seed (default 1)\n"
    "  --work DIR           work directory (default $TMPDIR/limafs-bench)\n"
    "  --limafs PATH        limafs executable (default: next to limafs-bench, else PATH)\n"
    "  --duration SECONDS   length of each wrk run (default 10)\n"
    "  --keep               keep the daemon's index in WORK/api-state afterwards\n"
    "  --no-targets         report the targets but exit 0 when it ran (default: exit 1 on a miss)\n"
    "  --json               print the JSON report instead of the table\n";

/// Why this machine cannot run the API benchmark ("" when it can).
std::string unavailable_reason(const stdfs::path& wrk) {
  if (::access("/dev/fuse", F_OK) != 0) return "/dev/fuse is absent";
  if (wrk.empty()) return "wrk is not in PATH (Debian package wrk)";
  return "";
}

}  // namespace

int run_api_command(int argc, char** argv) {
  ApiBenchOptions bench;
  DaemonBenchArgs a;
  try {
    a = parse_daemon_bench_args(argc, argv, bench, [&](std::string_view opt, OptionScanner& scan) {
      if (opt != "--duration") return false;
      bench.seconds = static_cast<int>(parse_count(opt, scan.value(), 1, 3600));
      return true;
    });
  } catch (const UsageError& e) {
    std::cerr << "limafs-bench api: " << e.message << " (see limafs-bench api --help)\n";
    return 2;
  }
  if (a.help) {
    std::cout << kUsage;
    return 0;
  }
  bench.wrk = find_in_path("wrk");
  if (const std::string why = unavailable_reason(bench.wrk); !why.empty()) {
    std::cerr << "limafs-bench api: skipped: " << why << "\n";
    return kSkipped;
  }
  return run_daemon_benchmark("api", bench, a.limafs, a.json, a.strict,
                              [](const auto& options) { return run_api_benchmark(options); });
}

}  // namespace lima::bench
