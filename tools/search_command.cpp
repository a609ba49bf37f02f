#include "search_command.h"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

#include "bench_paths.h"
#include "daemon_bench_command.h"
#include "option_scanner.h"
#include "search_bench.h"
#include "search_report.h"

namespace lima::bench {
namespace {

constexpr int kSkipped = 77;

constexpr const char* kUsage =
    "usage: limafs-bench search [--tier S|M|L]... [--seed N] [--work DIR] [--limafs PATH]\n"
    "                           [--seconds-per-class S] [--queries-per-class N] [--cold-queries N]\n"
    "                           [--scan-repeat N] [--keep] [--no-targets] [--json]\n"
    "\n"
    "The search language against SQLite FTS5, in one run, per tier (default: M, then L):\n"
    "generates (or reuses) WORK/search-lib-TIER-SEED, a library of small files with\n"
    "real-ish names (S: 2,000 files; M: 100,000; L: 1,000,000 in 10,000 projects);\n"
    "times `limafs scan` and a no-change rescan with and without the word index\n"
    "(LIMA_BENCH_SKIP_WORD_INDEX=1) and the words table's share of the catalog\n"
    "(live pages with and without it, mdb_stat -e -f); starts `limafs mount` on\n"
    "the scanned index, imports tags and notes through the API, lists every project\n"
    "and asset through the API and builds an FTS5 table of them (unicode61\n"
    "remove_diacritics 2, prefix '1 2 3').\n"
    "Then, per query class (rare word, common word, one-letter prefix, two words,\n"
    "tag:x, OR, NOT, phrase; words chosen by their frequency in the documents),\n"
    "GET /api/v1/search?q=..&limit=50 on one keep-alive connection against the same\n"
    "query in FTS5 (LIMIT 50): p50, p99 and their ratios. The whole result sets of\n"
    "the rare, common, one-letter and two-word queries must be equal: a difference\n"
    "is printed and fails the run, whatever --no-targets says. Last, a cold\n"
    "`ls search/<query>/` in the mount over queries never asked before.\n"
    "\n"
    "Targets: limafs/FTS5 <= 1.0 per class (p50 and p99); p99 of every search <= 2 ms\n"
    "at tier M, <= 10 ms at tier L; cold ls p99 <= 10 ms at tier M; scans with the\n"
    "word index <= 1.10 x without; words table <= 30% of the catalog.\n"
    "Writes WORK/search-report.json. Needs /dev/fuse; exits 77 without it.\n"
    "\n"
    "  --tier S|M|L             a tier to run (repeatable; default M then L)\n"
    "  --seed N                 generator seed (default 1)\n"
    "  --work DIR               work directory (default $TMPDIR/limafs-bench)\n"
    "  --limafs PATH            limafs executable (default: next to limafs-bench, else PATH)\n"
    "  --seconds-per-class S    time spent on each class, per engine (default 4)\n"
    "  --queries-per-class N    concrete queries per class (default 6)\n"
    "  --cold-queries N         fresh queries for the cold ls (default 200)\n"
    "  --scan-repeat N          runs of each scan; the median is reported (default 1)\n"
    "  --keep                   keep the index and the FTS5 database afterwards\n"
    "  --no-targets             report missed targets but exit 0\n"
    "  --json                   print the JSON report instead of the tables\n";

}  // namespace

int run_search_command(int argc, char** argv) {
  SearchBenchOptions opt;
  DaemonBenchArgs args;
  try {
    args = parse_daemon_bench_args(argc, argv, opt, [&](std::string_view o, OptionScanner& scan) {
      if (o == "--seconds-per-class") opt.seconds_per_class = static_cast<double>(parse_count(o, scan.value(), 0, 600));
      else if (o == "--queries-per-class") opt.queries_per_class = parse_count(o, scan.value(), 1, 100);
      else if (o == "--cold-queries") opt.cold_queries = parse_count(o, scan.value(), 1, 100'000);
      else if (o == "--scan-repeat") opt.scan_repeat = static_cast<int>(parse_count(o, scan.value(), 1, 100));
      else return false;
      return true;
    });
  } catch (const UsageError& e) {
    std::cerr << "limafs-bench search: " << e.message << " (see limafs-bench search --help)\n";
    return 2;
  }
  if (args.help) {
    std::cout << kUsage;
    return 0;
  }
  if (::access("/dev/fuse", F_OK) != 0) {
    std::cerr << "limafs-bench search: skipped: /dev/fuse is absent\n";
    return kSkipped;
  }
  return run_tiered_daemon_benchmark(
      "search", opt, args.limafs, args.json, args.strict, [](auto& o) { return run_search_benchmark(o); },
      [](const SearchVerdict& v) {
        if (!v.sets_equal) std::cerr << "limafs-bench search: limafs and FTS5 found different result sets\n";
        return v.sets_equal;
      });
}

}  // namespace lima::bench
