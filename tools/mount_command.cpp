#include "mount_command.h"

#include <cerrno>
#include <charconv>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <nlohmann/json.hpp>

#include "bench_paths.h"
#include "mount_bench.h"
#include "mount_report.h"
#include "option_scanner.h"
#include "scratch_mounts.h"

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;

constexpr int kSkipped = 77;

constexpr const char* kUsage =
    "usage: limafs-bench mount [--work DIR] [--projects N] [--files-per-project K]\n"
    "                          [--repeat N] [--keep] [--no-targets] [--json]\n"
    "\n"
    "Generates (or reuses) WORK/mount-lib-NxK, indexes it into WORK/mount-state, tags\n"
    "every project 'ten-k' and every file 'hundred-k', mounts the view on WORK/mnt and\n"
    "copies what it shows into a tmpfs on WORK/baseline. Then it times, against that\n"
    "tmpfs: ls -l of tags/ten-k and tags/hundred-k and find over the whole tree (warm\n"
    "caches, median of N runs), counts the requests reaching the daemon (warm, and for\n"
    "one ls -l right after mounting), and measures how long a tag or untag takes to\n"
    "show in tags/fresh. Prints a table, writes WORK/mount-report.json, and exits 1\n"
    "when a target is missed. Needs root (for the tmpfs) and /dev/fuse; exits 77\n"
    "without them.\n"
    "\n"
    "  --work DIR               work directory (default $TMPDIR/limafs-bench)\n"
    "  --projects N             projects in the library (default 10000)\n"
    "  --files-per-project K    files in each project (default 10)\n"
    "  --repeat N               timed runs per measurement (default 5)\n"
    "  --keep                   keep the index in WORK/mount-state afterwards\n"
    "  --no-targets             report the targets but always exit 0 when it ran\n"
    "  --json                   print the JSON report instead of the table\n";

struct MountArgs {
  MountBenchOptions bench;
  bool enforce = true;
  bool json = false;
  bool help = false;
};

MountArgs parse_mount_args(int argc, char** argv) {
  MountArgs a;
  std::optional<stdfs::path> work;
  for (OptionScanner scan(argc, argv); scan.next();) {
    const std::string_view opt = scan.option();
    if (opt == "--help" || opt == "-h") {
      a.help = true;
    } else if (opt == "--work") {
      work = stdfs::path(scan.value());
    } else if (opt == "--projects") {
      a.bench.shape.projects = parse_count(opt, scan.value(), 1, 1'000'000);
    } else if (opt == "--files-per-project") {
      a.bench.shape.files_per_project = parse_count(opt, scan.value(), 1, 300);
    } else if (opt == "--repeat") {
      a.bench.repeat = static_cast<int>(parse_count(opt, scan.value(), 1, 1000));
    } else if (opt == "--keep") {
      a.bench.keep = true;
    } else if (opt == "--no-targets") {
      a.enforce = false;
    } else if (opt == "--json") {
      a.json = true;
    } else {
      throw UsageError{(opt.starts_with("-") ? "unknown option " : "unexpected argument ") + std::string(opt)};
    }
  }
  a.bench.work = stdfs::absolute(work.value_or(default_work()));
  return a;
}

}  // namespace

int run_mount_command(int argc, char** argv) {
  MountArgs a;
  try {
    a = parse_mount_args(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "limafs-bench mount: " << e.message << " (see limafs-bench mount --help)\n";
    return 2;
  }
  if (a.help) {
    std::cout << kUsage;
    return 0;
  }
  if (const std::string why = mount_unavailable_reason(); !why.empty()) {
    std::cerr << "limafs-bench mount: skipped: " << why << "\n";
    return kSkipped;
  }
  a.bench.log = &std::cerr;
  try {
    std::error_code ec;
    stdfs::create_directories(a.bench.work, ec);
    if (ec) throw std::runtime_error("cannot create " + a.bench.work.string() + ": " + ec.message());
    const MountBenchResults r = run_mount_benchmark(a.bench);
    const MountVerdict verdict = judge(r);
    const nlohmann::ordered_json report = report_json(r, a.bench, verdict, a.enforce);
    const stdfs::path report_file = a.bench.work / "mount-report.json";
    std::ofstream(report_file) << report.dump(2) << "\n";
    if (a.json) {
      std::cout << report.dump(2) << "\n";
    } else {
      print_report(std::cout, r, a.bench, verdict, a.enforce);
      std::cout << "report: " << report_file.string() << "\n";
    }
    return verdict.all_ok() || !a.enforce ? 0 : 1;
  } catch (const std::system_error& e) {
    std::cerr << "limafs-bench mount: " << e.what() << "\n";
    if (e.code() == std::errc::operation_not_permitted) {
      std::cerr << "limafs-bench mount: skipped: mounting is not permitted here\n";
      return kSkipped;
    }
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "limafs-bench mount: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace lima::bench
