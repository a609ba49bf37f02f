// limafs-bench: generates synthetic 3D-printing libraries and benchmarks
// `limafs scan` on them against shell baselines (see bench_run.h), the
// mounted view against a tmpfs holding the same tree (see mount_bench.h),
// the control API against a bare cpp-httplib server (see api_bench.h), and
// how the daemon keeps up with changes to a watched library (see
// live_bench.h), how fast it makes pictures (see pictures_bench.h), and
// search against SQLite FTS5 (see search_bench.h), and what the library's
// size costs, at 100,000 and 1,000,000 files (see scale_bench.h).
//
// Exit status: 0 when everything ran (for `run`, missed targets are
// reported, not failed; `mount`, `api`, `live` and `pictures` exit 1 on a missed target unless
// given --no-targets, and 77 when this machine cannot run them), 1 on errors,
// 2 on usage errors.
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api_command.h"
#include "bench_paths.h"
#include "bench_run.h"
#include "child_process.h"
#include "library_generator.h"
#include "live_command.h"
#include "mount_command.h"
#include "option_scanner.h"
#include "pictures_command.h"
#include "scale_command.h"
#include "search_command.h"
#include "text_table.h"

namespace lima::bench {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: limafs-bench generate [--tier XS|S|M] [--seed N] DIR\n"
    "       limafs-bench run [--tier XS|S|M] [--seed N] [--work DIR] [--limafs PATH]\n"
    "                        [--repeat N] [--json]\n"
    "       limafs-bench mount [--work DIR] [--projects N] [--files-per-project K]\n"
    "                          [--repeat N] [--keep] [--no-targets] [--json]\n"
    "       limafs-bench api [--tier XS|S|M] [--seed N] [--work DIR] [--limafs PATH]\n"
    "                        [--duration SECONDS] [--keep] [--no-targets] [--json]\n"
    "       limafs-bench live [--tier XS|S|M] [--seed N] [--work DIR] [--limafs PATH]\n"
    "                         [--samples N] [--burst N] [--idle-seconds S]\n"
    "                         [--keep] [--no-targets] [--json]\n"
    "       limafs-bench pictures [--part images|render|library|all] [--tier XS|S|M]\n"
    "                             [--work DIR] [--limafs PATH] [--workers N] [--repeat N]\n"
    "                             [--keep] [--no-targets] [--json]\n"
    "       limafs-bench search [--tier S|M|L]... [--work DIR] [--limafs PATH]\n"
    "                           [--seconds-per-class S] [--keep] [--no-targets] [--json]\n"
    "       limafs-bench scale [--tier S|M|L]... [--work DIR] [--limafs PATH]\n"
    "                          [--samples N] [--keep] [--no-targets] [--json]\n"
    "\n"
    "generate  write a reproducible synthetic library into DIR (tier XS by default:\n"
    "          12 projects, ~120 small files; S: 100 projects, 10,000 files, ~400 MB;\n"
    "          M: 1,000 projects, 100,000 files, ~3.5 GB). DIR must be empty or hold the\n"
    "          same tier and seed already (then nothing is written).\n"
    "run       generate (or reuse) WORK/lib-TIER-SEED (tier S by default), then time\n"
    "          `limafs scan` against find/xxhsum baselines: initial index, no-change\n"
    "          rescan, rescan after touching 1% of the files, and peak RSS.\n"
    "mount     index a library of small files (10,000 projects x 10 files by default),\n"
    "          mount it and time ls -l / find on it against a tmpfs holding the same\n"
    "          tree, count the requests reaching the daemon, and measure how fast tag\n"
    "          changes show (see limafs-bench mount --help). Needs root and /dev/fuse.\n"
    "api       start `limafs mount` on WORK/lib-TIER-SEED (tier M by default), tag every\n"
    "          4th project through the control API, then load the API with wrk: GET\n"
    "          /api/v1/status on 1 and on 64 keep-alive connections, a tag-filtered\n"
    "          page of projects on 8; the same loads on a bare cpp-httplib server give\n"
    "          the baseline (see limafs-bench api --help). Needs /dev/fuse and wrk.\n"
    "live      start `limafs mount` on WORK/lib-TIER-SEED (tier M by default) and, while\n"
    "          it watches the library, time a new file's way into the mount, a burst of\n"
    "          50,000 new files into the index (then compared with a fresh scan's), and\n"
    "          the daemon's idle CPU and memory (see limafs-bench live --help). Needs\n"
    "          /dev/fuse.\n"
    "pictures  how fast the daemon makes pictures: thumbnails of large images against\n"
    "          vipsthumbnail and ImageMagick, a 1 M-triangle STL rendered on one CPU\n"
    "          against f3d, and a tier-M library's pictures made while the API and the\n"
    "          view stay responsive (see limafs-bench pictures --help). Needs /dev/fuse.\n"
    "search    the search language against SQLite FTS5 at 100,000 and 1,000,000 files\n"
    "          (see limafs-bench search --help). Needs /dev/fuse.\n"
    "scale     what the library's size costs, tier M (100,000 files) against tier L\n"
    "          (1,000,000): scans against find/xxhsum, the daemon's start-up and memory,\n"
    "          a new file's way into the mount, the problem report, status and search,\n"
    "          with the growth L/M of each (see limafs-bench scale --help). The mount\n"
    "          benchmark's targets are not rerun by it: run `limafs-bench mount` for\n"
    "          them. Needs /dev/fuse.\n"
    "\n"
    "  --seed N      generator seed (default 1)\n"
    "  --work DIR    work directory (default $TMPDIR/limafs-bench)\n"
    "  --limafs PATH limafs executable (default: next to limafs-bench, else PATH)\n"
    "  --repeat N    repetitions per measurement; the median is reported (default 3)\n"
    "  --json        print the results as one JSON object\n";

constexpr double kInitialRatioTarget = 1.0;
constexpr double kRescanRatioTarget = 1.5;
constexpr double kRescanSecondsTarget = 0.5;
constexpr long kRssTargetKib = 100 * 1024;

struct Args {
  std::string command;
  std::optional<Tier> tier;
  std::uint64_t seed = 1;
  std::optional<fs::path> work;
  std::optional<fs::path> limafs;
  std::optional<int> repeat;
  bool json = false;
  std::vector<std::string> positional;
};

std::uint64_t parse_number(std::string_view opt, std::string_view text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
    throw UsageError{std::string(opt) + " expects a non-negative integer, got '" + std::string(text) + "'"};
  }
  return v;
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (OptionScanner scan(argc - 1, argv + 1); scan.next();) {
    const std::string_view opt = scan.option();
    if (opt == "--help" || opt == "-h") {
      a.command = "help";
      return a;
    } else if (opt == "--tier") {
      a.tier = parse_tier(scan.value());
      if (!a.tier) throw UsageError{"--tier must be XS, S or M"};
    } else if (opt == "--seed") {
      a.seed = parse_number(opt, scan.value());
    } else if (opt == "--work") {
      a.work = fs::path(scan.value());
    } else if (opt == "--limafs") {
      a.limafs = fs::path(scan.value());
    } else if (opt == "--repeat") {
      const auto n = parse_number(opt, scan.value());
      if (n < 1 || n > 1000) throw UsageError{"--repeat must be between 1 and 1000"};
      a.repeat = static_cast<int>(n);
    } else if (opt == "--json") {
      a.json = true;
    } else if (opt.starts_with("-") && opt != "-") {
      throw UsageError{"unknown option " + std::string(opt)};
    } else if (a.command.empty()) {
      a.command = opt;
    } else {
      a.positional.emplace_back(opt);
    }
  }
  return a;
}

void require_tools() {
  for (const char* tool : {"find", "xargs", "xxhsum"}) {
    if (find_in_path(tool).empty()) {
      throw std::runtime_error(std::string(tool) + " not found in PATH" +
                               (std::string_view(tool) == "xxhsum" ? " (Debian package xxhash)" : ""));
    }
  }
}

std::string mib(double bytes) { return fmt("%.1f MiB", bytes / (1024.0 * 1024.0)); }

/// One table row; empty strings print as "-".
struct Row {
  std::string measurement, limafs, baseline, ratio, target, ok;
};

void print_table(const std::vector<Row>& rows) {
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : rows) cells.push_back({r.measurement, r.limafs, r.baseline, r.ratio, r.target, r.ok});
  lima::bench::print_table(std::cout, {"measurement", "limafs", "baseline", "ratio", "target", "ok?"}, cells);
}

double ratio(double a, double b) { return b > 0 ? a / b : 0; }

nlohmann::ordered_json timing_json(const Timing& t) { return {{"median_s", t.median()}, {"runs_s", t.runs}}; }

int report(const BenchResults& r, const RunOptions& opt, bool json) {
  const double init_ratio = ratio(r.initial_limafs.median(), r.initial_baseline.median());
  const double rescan = r.rescan_limafs.median();
  const double rescan_ratio = ratio(rescan, r.stat_baseline.median());
  const double touched = r.touched_limafs.median();
  const bool init_ok = init_ratio <= kInitialRatioTarget;
  const bool rescan_ok = rescan_ratio <= kRescanRatioTarget && rescan < kRescanSecondsTarget;
  const bool rss_ok = r.initial_max_rss_kib <= kRssTargetKib;

  if (json) {
    nlohmann::ordered_json j = {
        {"tier", tier_name(opt.tier)},
        {"seed", opt.seed},
        {"library", {{"path", r.library_dir.string()}, {"projects", r.library.projects},
                     {"files", r.library.files}, {"bytes", r.library.bytes},
                     {"duplicates", r.library.duplicates}}},
        {"limafs", opt.limafs.string()},
        {"repeat", opt.repeat},
        {"initial_index", {{"limafs", timing_json(r.initial_limafs)}, {"baseline", timing_json(r.initial_baseline)},
                           {"baseline_command", "find LIB -type f -print0 | xargs -0 -P2 xxhsum -H2"},
                           {"ratio", init_ratio}, {"target_ratio", kInitialRatioTarget}, {"ok", init_ok}}},
        {"no_change_rescan", {{"limafs", timing_json(r.rescan_limafs)}, {"baseline", timing_json(r.stat_baseline)},
                              {"baseline_command", "find LIB -printf '%s %T@\\n'"}, {"ratio", rescan_ratio},
                              {"target_ratio", kRescanRatioTarget}, {"target_s", kRescanSecondsTarget},
                              {"ok", rescan_ok}}},
        {"touched_rescan", {{"touched_files", r.touched_files}, {"limafs", timing_json(r.touched_limafs)},
                            {"ratio_vs_baseline", ratio(touched, r.stat_baseline.median())},
                            {"ratio_vs_no_change_rescan", ratio(touched, rescan)}}},
        {"peak_rss", {{"initial_index_kib", r.initial_max_rss_kib}, {"rescan_kib", r.rescan_max_rss_kib},
                      {"target_kib", kRssTargetKib}, {"ok", rss_ok}}},
        {"all_ok", init_ok && rescan_ok && rss_ok},
    };
    std::cout << j.dump(2) << "\n";
    return 0;
  }

  std::cout << "limafs-bench: tier " << tier_name(opt.tier) << ", seed " << opt.seed << ", " << r.library.projects
            << " projects, " << r.library.files << " files, " << r.library.bytes << " bytes ("
            << mib(static_cast<double>(r.library.bytes)) << "), median of " << opt.repeat << " run"
            << (opt.repeat == 1 ? "" : "s") << "\n"
            << "library: " << r.library_dir.string() << "\n"
            << "limafs:  " << opt.limafs.string() << "\n\n";
  const auto yes = [](bool ok) { return std::string(ok ? "yes" : "NO"); };
  const std::string touched_label = "rescan, 1% touched (" + std::to_string(r.touched_files) +
                                    (r.touched_files == 1 ? " file)" : " files)");
  print_table({
      {"initial index", fmt("%.3f s", r.initial_limafs.median()), fmt("%.3f s", r.initial_baseline.median()),
       fmt("%.2f", init_ratio), fmt("ratio <= %.1f", kInitialRatioTarget), yes(init_ok)},
      {"no-change rescan", fmt("%.3f s", rescan), fmt("%.3f s", r.stat_baseline.median()), fmt("%.2f", rescan_ratio),
       fmt("ratio <= %.1f", kRescanRatioTarget) + fmt(", < %.1f s", kRescanSecondsTarget), yes(rescan_ok)},
      {touched_label, fmt("%.3f s", touched), fmt("%.3f s", r.stat_baseline.median()),
       fmt("%.2f", ratio(touched, r.stat_baseline.median())), "", ""},
      {"  vs no-change rescan", fmt("%.3f s", touched), fmt("%.3f s", rescan), fmt("%.2f", ratio(touched, rescan)),
       "", ""},
      {"peak RSS, initial index", mib(static_cast<double>(r.initial_max_rss_kib) * 1024), "", "",
       "<= " + std::to_string(kRssTargetKib / 1024) + " MiB", yes(rss_ok)},
  });
  std::cout << "\nbaselines: initial index = find LIB -type f -print0 | xargs -0 -P2 xxhsum -H2; "
               "rescans = find LIB -printf '%s %T@\\n'\n"
            << (init_ok && rescan_ok && rss_ok ? "all targets met" : "some targets missed") << "\n";
  return 0;
}

int cmd_generate(const Args& a) {
  if (a.positional.size() != 1) throw UsageError{"generate needs exactly one DIR"};
  if (a.work || a.limafs || a.json || a.repeat) throw UsageError{"generate takes only --tier and --seed"};
  const GenStats s = generate_library(a.positional[0], a.tier.value_or(Tier::xs), a.seed, &std::cerr);
  if (s.already_generated) {
    std::cout << "already generated: " << a.positional[0] << " (tier " << tier_name(s.tier) << ", seed " << s.seed
              << ", " << s.files << " files, " << s.bytes << " bytes)\n";
  } else {
    std::cout << "generated " << a.positional[0] << ": tier " << tier_name(s.tier) << ", seed " << s.seed << ", "
              << s.projects << " projects, " << s.files << " files (" << s.duplicates << " duplicates), " << s.bytes
              << " bytes (" << mib(static_cast<double>(s.bytes)) << ") in " << fmt("%.2f", s.seconds) << " s\n";
  }
  return 0;
}

int cmd_run(const Args& a) {
  if (!a.positional.empty()) throw UsageError{"run takes no positional arguments"};
  RunOptions opt;
  opt.tier = a.tier.value_or(Tier::s);
  opt.seed = a.seed;
  opt.work = fs::absolute(a.work.value_or(default_work()));
  opt.limafs = resolve_limafs(a.limafs);
  opt.repeat = a.repeat.value_or(3);
  opt.log = &std::cerr;
  require_tools();
  const BenchResults r = run_benchmark(opt);
  return report(r, opt, a.json);
}

int main_impl(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "mount") return run_mount_command(argc - 2, argv + 2);
  if (argc > 1 && std::string_view(argv[1]) == kExecMeasured) return measured_exec_main(argc, argv);
  if (argc > 1 && std::string_view(argv[1]) == "api") return run_api_command(argc - 2, argv + 2);
  if (argc > 1 && std::string_view(argv[1]) == "live") return run_live_command(argc - 2, argv + 2);
  if (argc > 1 && std::string_view(argv[1]) == "pictures") return run_pictures_command(argc - 2, argv + 2);
  if (argc > 1 && std::string_view(argv[1]) == "search") return run_search_command(argc - 2, argv + 2);
  if (argc > 1 && std::string_view(argv[1]) == "scale") return run_scale_command(argc - 2, argv + 2);
  try {
    const Args a = parse_args(argc, argv);
    if (a.command == "help") {
      std::cout << kUsage;
      return 0;
    }
    if (a.command == "generate") return cmd_generate(a);
    if (a.command == "run") return cmd_run(a);
    throw UsageError{a.command.empty() ? "missing command" : "unknown command '" + a.command + "'"};
  } catch (const UsageError& e) {
    std::cerr << "limafs-bench: " << e.message << " (see limafs-bench --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "limafs-bench: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace
}  // namespace lima::bench

int main(int argc, char** argv) { return lima::bench::main_impl(argc, argv); }
