// The common end of the commands that benchmark a running daemon
// (`limafs-bench api`, `limafs-bench live`): run the benchmark, keep its
// JSON report in the work directory, print the table (or the JSON), and
// turn the verdict and the daemon's stop into the exit status.
#pragma once

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "bench_paths.h"

namespace lima::bench {

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

}  // namespace lima::bench
