// What the commands that benchmark a running daemon (`limafs-bench api`,
// `live`, `search`, `scale`) share: their common options, and their end: run the
// benchmark, keep its JSON report in the work directory, print the table (or
// the JSON), and turn the verdict and the daemon's stop into the exit status.
#pragma once

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bench_paths.h"
#include "library_plan.h"
#include "option_scanner.h"
#include "search_library.h"

namespace lima::bench {

/// The options of a daemon benchmark that are not the benchmark's own.
struct DaemonBenchArgs {
  std::optional<std::filesystem::path> limafs;
  bool strict = true;  ///< a missed target fails the run (--no-targets: report only)
  bool json = false;
  bool help = false;
};

/// Reads a daemon benchmark's command line: --tier, --seed, --work and --keep
/// into `bench`, --limafs, --no-targets, --json and --help into the result;
/// `own(opt, scan)` takes the benchmark's own options and returns false for
/// one it does not know. A benchmark with `tiers` (search, scale) takes
/// --tier S|M|L repeated, the first replacing its default list; one with a
/// `tier` takes one of XS, S, M. Throws UsageError.
template <class Options, class Own>
DaemonBenchArgs parse_daemon_bench_args(int argc, char** argv, Options& bench, Own own) {
  DaemonBenchArgs a;
  std::optional<std::filesystem::path> work;
  bool tiers_given = false;
  for (OptionScanner scan(argc, argv); scan.next();) {
    const std::string_view opt = scan.option();
    if (opt == "--help" || opt == "-h") {
      a.help = true;
    } else if (opt == "--tier") {
      if constexpr (requires { bench.tiers; }) {
        const auto tier = parse_search_tier(scan.value());
        if (!tier) throw UsageError{"--tier must be S, M or L"};
        if (!tiers_given) bench.tiers.clear();
        tiers_given = true;
        bench.tiers.push_back(*tier);
      } else {
        const auto tier = parse_tier(scan.value());
        if (!tier) throw UsageError{"--tier must be XS, S or M"};
        bench.tier = *tier;
      }
    } else if (opt == "--seed") {
      bench.seed = parse_count(opt, scan.value(), 0, UINT64_MAX);
    } else if (opt == "--work") {
      work = std::filesystem::path(scan.value());
    } else if (opt == "--limafs") {
      a.limafs = std::filesystem::path(scan.value());
    } else if (opt == "--keep") {
      bench.keep = true;
    } else if (opt == "--no-targets") {
      a.strict = false;
    } else if (opt == "--json") {
      a.json = true;
    } else if (!own(opt, scan)) {
      throw UsageError{(opt.starts_with("-") ? "unknown option " : "unexpected argument ") + std::string(opt)};
    }
  }
  bench.work = std::filesystem::absolute(work.value_or(default_work()));
  return a;
}

/// `bench` is the benchmark's options (with `work`, `limafs` and `log`);
/// `run(bench)` measures and returns results with a `stop` (the daemon's
/// end); judge(), report_json() and print_report() are the benchmark's own,
/// found by their argument types. Exits 0, or 1 on an error, a daemon that
/// did not stop cleanly, or (when `strict`) a missed target.
template <class Options, class Run>
int run_daemon_benchmark(const std::string& name, Options& bench, const std::optional<std::filesystem::path>& limafs,
                         bool json, bool strict, Run run) {
  bench.log = &std::cerr;
  try {
    bench.limafs = resolve_limafs(limafs);
    std::error_code ec;
    std::filesystem::create_directories(bench.work, ec);
    if (ec) throw std::runtime_error("cannot create " + bench.work.string() + ": " + ec.message());
    const auto r = run(bench);
    const auto verdict = judge(r);
    const nlohmann::ordered_json report = report_json(r, bench, verdict, strict);
    const std::filesystem::path report_file = bench.work / (name + "-report.json");
    std::ofstream(report_file) << report.dump(2) << "\n";
    if (json) {
      std::cout << report.dump(2) << "\n";
    } else {
      print_report(std::cout, r, bench, verdict, strict);
      std::cout << "report: " << report_file.string() << "\n";
    }
    if (!r.stop.clean()) {
      std::cerr << "limafs-bench " << name << ": the daemon did not stop cleanly on SIGTERM: " << r.stop.text()
                << "\n";
      return 1;
    }
    return verdict.all_ok() || !strict ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "limafs-bench " << name << ": " << e.what() << "\n";
    return 1;
  }
}

/// The same end for a benchmark run at several tiers (`limafs-bench
/// search`, `scale`), whose results hold `tiers`, each with its daemon's
/// `stop`, and whose verdict says `targets_met`; `also_ok(verdict)` adds
/// the benchmark's own conditions (and says what failed). The limafs
/// binary is resolved here.
template <class Options, class Run, class AlsoOk>
int run_tiered_daemon_benchmark(const std::string& name, Options& bench,
                                const std::optional<std::filesystem::path>& limafs, bool json, bool strict, Run run,
                                AlsoOk also_ok) {
  bench.log = &std::cerr;
  try {
    bench.limafs = resolve_limafs(limafs);
    std::filesystem::create_directories(bench.work);
    const auto r = run(bench);
    const auto v = judge(r);
    const auto report = report_json(r, bench, v);
    const auto file = bench.work / (name + "-report.json");
    std::ofstream(file) << report.dump(2) << "\n";
    if (json) {
      std::cout << report.dump(2) << "\n";
    } else {
      print_report(std::cout, r, bench, v);
      std::cout << "report: " << file.string() << "\n";
    }
    bool stopped = true;
    for (const auto& t : r.tiers) stopped = stopped && t.stop.clean();
    if (!stopped) std::cerr << "limafs-bench " << name << ": the daemon did not stop cleanly on SIGTERM\n";
    const bool ok = also_ok(v);
    return stopped && ok && (v.targets_met || !strict) ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "limafs-bench " << name << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace lima::bench
