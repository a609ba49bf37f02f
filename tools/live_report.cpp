#include "live_report.h"

#include <ostream>
#include <string>
#include <vector>

#include "text_table.h"

namespace lima::bench {
namespace {

using Cells = std::vector<std::string>;

std::string verdict(bool ok) { return ok ? "PASS" : "FAIL"; }

double ratio(double a, double b) { return b > 0 ? a / b : 0; }

std::string ms(double v) { return fmt("%.1f ms", v); }

std::string mib(long kib) { return fmt("%.1f MiB", static_cast<double>(kib) / 1024.0); }

std::string seconds(double v) { return fmt("%.2f s", v); }

/// "p50 / p99 / max" of a series, "-" when it did not run.
std::string spread(const LatencySeries& s) {
  if (s.visible.ms.empty()) return "";
  return fmt("%.1f", s.visible.percentile(0.5)) + " / " + fmt("%.1f", s.visible.percentile(0.99)) + " / " +
         ms(s.visible.max());
}

/// What went wrong in a series, or "".
std::string trouble(const LatencySeries& s) {
  std::string text;
  if (s.timeouts) text = std::to_string(s.timeouts) + " of " + std::to_string(s.visible.ms.size()) + " timed out";
  if (s.gave_up) text += ", stopped after " + std::to_string(s.visible.ms.size()) + " of " + std::to_string(s.planned);
  return text;
}

nlohmann::ordered_json series_json(const LatencySeries& s) {
  return {{"samples", s.visible.ms.size()},
          {"planned", s.planned},
          {"in_subfolders", s.in_subfolders},
          {"bytes", s.bytes},
          {"visible_ms", {{"p50", s.visible.percentile(0.5)}, {"p90", s.visible.percentile(0.9)},
                          {"p99", s.visible.percentile(0.99)}, {"max", s.visible.max()}}},
          {"write_ms", {{"p50", s.write.percentile(0.5)}, {"max", s.write.max()}}},
          {"timeouts", s.timeouts},
          {"gave_up", s.gave_up}};
}

nlohmann::ordered_json scan_json(const ScanRun& s) {
  return {{"command", s.command}, {"seconds", s.seconds}, {"exit_code", s.exit_code}, {"added", s.added}};
}

nlohmann::ordered_json usage_json(const IdleUsage& u) {
  return {{"seconds", u.seconds},
          {"cpu_percent", u.cpu_percent},
          {"rss_max_kib", u.rss_max_kib},
          {"rss_kib", u.last.rss_kib},
          {"rss_anon_kib", u.last.rss_anon_kib},
          {"rss_file_kib", u.last.rss_file_kib},
          {"hwm_kib", u.last.hwm_kib},
          {"threads", u.last.threads},
          {"wakeups_per_s", u.wakeups_per_s}};
}

nlohmann::ordered_json watcher_json(const WatcherInfo& w) {
  return {{"state", w.state}, {"reason", w.reason}, {"watches", w.watches}, {"events", w.events},
          {"overflows", w.overflows}};
}

}  // namespace

LiveVerdict judge(const LiveBenchResults& r) {
  LiveVerdict v;
  const auto& p = r.paced;
  const bool complete = !p.gave_up && !p.visible.ms.empty();
  v.visible_p50 = complete && p.visible.percentile(0.5) <= kVisibleP50TargetMs;
  v.visible_p99 = complete && p.timeouts == 0 && p.visible.percentile(0.99) <= kVisibleP99TargetMs;
  v.burst_indexed = r.burst_wait.reached && r.burst_wait.seconds <= kBurstTargetS;
  v.index_equal = r.burst_wait.reached && r.diff.equal();
  v.idle_cpu = r.idle.seconds > 0 && r.idle.cpu_percent <= kIdleCpuTargetPercent;
  v.idle_rss = r.idle.rss_max_kib > 0 && r.idle.rss_max_kib <= kIdleRssTargetKib;
  v.stop = r.stop.clean();
  return v;
}

void print_report(std::ostream& out, const LiveBenchResults& r, const LiveBenchOptions& opt, const LiveVerdict& v,
                  bool enforced) {
  out << "limafs-bench live: tier " << tier_name(opt.tier) << ", seed " << opt.seed << ", " << r.library.projects
      << " projects, " << r.library.files << " files ("
      << fmt("%.1f MiB", static_cast<double>(r.library.bytes) / (1 << 20)) << ")"
      << (enforced ? "" : "; targets reported, not enforced (--no-targets)") << "\n"
      << "library:  " << r.library_dir.string() << "\n"
      << "limafs:   " << opt.limafs.string() << " mount, API " << r.api_url << "; serving in "
      << fmt("%.1f s", r.startup_s) << " (indexing included)\n"
      << "watcher:  " << (r.watcher.state.empty() ? "not reported" : r.watcher.state)
      << (r.watcher.watches ? ", " + std::to_string(r.watcher.watches) + " watches" : "")
      << (r.watcher.reason.empty() ? "" : " (" + r.watcher.reason + ")") << "\n"
      << "machine:  " << r.cpus << " CPUs, load average " << fmt("%.2f", r.load_before) << " before the measurements\n\n";

  std::vector<Cells> rows;
  const auto& p = r.paced;
  const auto& s = r.scoped_sync;
  const double p50 = p.visible.percentile(0.5), p99 = p.visible.percentile(0.99);
  const double s50 = s.visible.percentile(0.5), s99 = s.visible.percentile(0.99);
  const auto count = [](const LatencySeries& series) { return " (" + std::to_string(series.visible.ms.size()) + ")"; };
  const auto spread_with_trouble = [](const LatencySeries& series) {
    if (series.visible.ms.empty()) return std::string("skipped");
    const std::string t = trouble(series);
    return spread(series) + (t.empty() ? "" : ", " + t);
  };
  rows.push_back({"new file -> in mount, paced" + count(p) + ": p50", ms(p50), "scoped sync " + ms(s50),
                  fmt("%.2f", ratio(p50, s50)), fmt("<= %.0f ms", kVisibleP50TargetMs), verdict(v.visible_p50)});
  rows.push_back({"  p99", ms(p99), "scoped sync " + ms(s99), fmt("%.2f", ratio(p99, s99)),
                  fmt("<= %.0f ms, no timeout", kVisibleP99TargetMs), verdict(v.visible_p99)});
  rows.push_back({"  p90 / max", fmt("%.1f", p.visible.percentile(0.9)) + " / " + ms(p.visible.max()),
                  "scoped sync " + fmt("%.1f", s.visible.percentile(0.9)) + " / " + ms(s.visible.max())});
  if (const std::string t = trouble(p); !t.empty()) rows.push_back({"  timeouts (5 s each)", t});
  rows.push_back({"  open -> close of the file, p50", fmt("%.2f ms", p.write.percentile(0.5))});
  rows.push_back({"new file -> in mount, back to back" + count(r.back_to_back) + ": p50 / p99 / max",
                  spread_with_trouble(r.back_to_back)});
  rows.push_back({"new file + scoped sync -> in mount" + count(s) + ": p50 / p99 / max", spread_with_trouble(s)});
  rows.push_back({"new file -> in library (floor)" + count(r.floor) + ": p50 / p99 / max",
                  r.floor.visible.ms.empty() ? "skipped"
                                             : fmt("%.3f", r.floor.visible.percentile(0.5)) + " / " +
                                                   fmt("%.3f", r.floor.visible.percentile(0.99)) + " / " +
                                                   fmt("%.3f ms", r.floor.visible.max())});

  const auto& b = r.burst_wait;
  rows.push_back({"burst of " + std::to_string(r.burst.files) + " files: end -> indexed, quiet",
                  b.reached ? seconds(b.seconds)
                            : "not after " + seconds(b.seconds) + " (" + std::to_string(b.last_count) + " indexed)",
                  "scan of it " + seconds(r.burst_scan.seconds),
                  b.reached ? fmt("%.2f", ratio(b.seconds, r.burst_scan.seconds)) : "", fmt("<= %.0f s", kBurstTargetS),
                  verdict(v.burst_indexed)});
  rows.push_back({"  writing it (" + std::to_string(r.burst.folders) + (r.burst.folders == 1 ? " folder)" : " folders)"),
                  seconds(r.burst.write_s)});
  std::string runs = std::to_string(r.burst_runs.runs);
  for (const auto& [trigger, n] : r.burst_runs.by_trigger) runs += ", " + std::to_string(n) + " " + trigger;
  rows.push_back({"  sync runs for it", runs});
  rows.push_back({"  index = fresh scan's (live assets)",
                  r.diff.equal() ? "equal, " + std::to_string(r.diff.left_assets)
                                 : std::to_string(r.diff.only_left) + " only here, " + std::to_string(r.diff.only_right) +
                                       " only there, " + std::to_string(r.diff.differing) + " differ",
                  "full scan " + seconds(r.fresh_scan.seconds), "", "equal", verdict(v.index_equal)});
  rows.push_back({"all of it removed -> index as generated",
                  r.cleanup_wait.reached ? seconds(r.cleanup_wait.seconds)
                                         : "not after " + seconds(r.cleanup_wait.seconds) + " (" +
                                               std::to_string(r.cleanup_wait.last_count) + " assets)"});

  const auto& i = r.idle;
  const auto& ib = r.idle_baseline;
  rows.push_back({"idle, watching: CPU over " + fmt("%.0f s", i.seconds), fmt("%.2f %%", i.cpu_percent),
                  "sleep " + fmt("%.2f %%", ib.cpu_percent), "", fmt("<= %.0f %%", kIdleCpuTargetPercent),
                  verdict(v.idle_cpu)});
  rows.push_back({"  RSS (largest VmRSS)", mib(i.rss_max_kib), "sleep " + mib(ib.rss_max_kib), "",
                  "<= " + std::to_string(kIdleRssTargetKib / 1024) + " MiB", verdict(v.idle_rss)});
  rows.push_back({"  RSS anonymous / file-backed", mib(i.last.rss_anon_kib) + " / " + mib(i.last.rss_file_kib)});
  rows.push_back({"  RSS once serving, before any change", mib(r.after_startup.rss_anon_kib) + " / " +
                                                               mib(r.after_startup.rss_file_kib) + " (anon / file)"});
  rows.push_back({"  peak RSS in its life (VmHWM)", mib(i.last.hwm_kib)});
  rows.push_back({"  wake-ups (" + std::to_string(i.last.threads) + " threads)", fmt("%.1f /s", i.wakeups_per_s),
                  "sleep " + fmt("%.1f /s", ib.wakeups_per_s)});
  rows.push_back({"daemon stop (SIGTERM)", r.stop.text(), "", "", "exit 0, mount gone", verdict(v.stop)});
  print_table(out, {"measurement", "limafs", "baseline", "ratio", "target", "result"}, rows);

  if (!r.diff.equal()) {
    out << "\nfirst differences between the daemon's index and the fresh scan's:\n";
    for (const auto& line : r.diff.examples) out << "  " << line << "\n";
  }
  out << "\nnew file: a 1-64 KiB STL written into a random project folder (open, write, close); latency from\n"
      << "close() returning to the first lstat() finding it (a timed-out sample counts as 5 s). paced: 50-100 ms\n"
      << "between files. scoped sync: each file followed by POST /api/v1/sync/runs for its folder. burst\n"
      << "baseline: limafs scan --project of the burst project into an empty index; full scan: the whole library.\n"
      << "daemon stderr: " << r.daemon_log.string() << "\n"
      << (v.all_ok() ? "all targets met" : "some targets missed") << "\n";
}

nlohmann::ordered_json report_json(const LiveBenchResults& r, const LiveBenchOptions& opt, const LiveVerdict& v,
                                   bool enforced) {
  const auto& b = r.burst_wait;
  return {
      {"tier", tier_name(opt.tier)},
      {"seed", opt.seed},
      {"library", {{"path", r.library_dir.string()}, {"projects", r.library.projects}, {"files", r.library.files},
                   {"bytes", r.library.bytes}}},
      {"limafs", opt.limafs.string()},
      {"api_url", r.api_url},
      {"startup_s", r.startup_s},
      {"after_startup", {{"rss_kib", r.after_startup.rss_kib}, {"rss_anon_kib", r.after_startup.rss_anon_kib},
                         {"rss_file_kib", r.after_startup.rss_file_kib}, {"hwm_kib", r.after_startup.hwm_kib},
                         {"threads", r.after_startup.threads}}},
      {"watcher", watcher_json(r.watcher)},
      {"machine", {{"cpus", r.cpus}, {"load_average_before", r.load_before}}},
      {"create_to_visible",
       {{"paced", series_json(r.paced)},
        {"back_to_back", series_json(r.back_to_back)},
        {"baseline_scoped_sync", series_json(r.scoped_sync)},
        {"floor_library_lstat", series_json(r.floor)},
        {"ratio_p50_to_scoped_sync", ratio(r.paced.visible.percentile(0.5), r.scoped_sync.visible.percentile(0.5))},
        {"target_ms", {{"p50", kVisibleP50TargetMs}, {"p99", kVisibleP99TargetMs}}},
        {"ok", {{"p50", v.visible_p50}, {"p99", v.visible_p99}}}}},
      {"burst",
       {{"project", r.burst.project},
        {"files", r.burst.files},
        {"folders", r.burst.folders},
        {"bytes", r.burst.bytes},
        {"write_s", r.burst.write_s},
        {"indexed", b.reached},
        {"indexed_after_s", b.seconds},
        {"indexed_count", b.last_count},
        {"timeout_s", static_cast<double>(r.burst_timeout.count()) / 1000.0},
        {"sync_runs", {{"total", r.burst_runs.runs}, {"by_trigger", r.burst_runs.by_trigger},
                       {"added", r.burst_runs.added}, {"scopes", r.burst_runs.scopes}}},
        {"baseline_scan_of_project", scan_json(r.burst_scan)},
        {"ratio_to_baseline", b.reached ? ratio(b.seconds, r.burst_scan.seconds) : 0.0},
        {"target_s", kBurstTargetS},
        {"ok", v.burst_indexed}}},
      {"index_vs_fresh_scan",
       {{"fresh_scan", scan_json(r.fresh_scan)},
        {"daemon_assets", r.diff.left_assets},
        {"fresh_assets", r.diff.right_assets},
        {"only_in_daemon", r.diff.only_left},
        {"only_in_fresh_scan", r.diff.only_right},
        {"differing", r.diff.differing},
        {"examples", r.diff.examples},
        {"equal", r.diff.equal()},
        {"ok", v.index_equal}}},
      {"cleanup", {{"caught_up", r.cleanup_wait.reached}, {"seconds", r.cleanup_wait.seconds},
                   {"index_assets", r.cleanup_wait.last_count}, {"expected_assets", r.library.files}}},
      {"idle",
       {{"daemon", usage_json(r.idle)},
        {"baseline_sleep", usage_json(r.idle_baseline)},
        {"quiet_before", r.quiet_before_idle},
        {"watcher_after", watcher_json(r.watcher_after)},
        {"target", {{"cpu_percent", kIdleCpuTargetPercent}, {"rss_kib", kIdleRssTargetKib}}},
        {"ok", {{"cpu", v.idle_cpu}, {"rss", v.idle_rss}}}}},
      {"daemon_stop", {{"exit_code", r.stop.exit_code}, {"seconds", r.stop.seconds}, {"killed", r.stop.killed},
                       {"mount_left", r.stop.mount_left}, {"ok", r.stop.clean()}}},
      {"targets_enforced", enforced},
      {"all_ok", v.all_ok()},
  };
}

}  // namespace lima::bench
