#include "scale_report.h"

#include <algorithm>
#include <functional>
#include <ostream>

#include "text_table.h"

namespace lima::bench {
namespace {

using nlohmann::ordered_json;

double mib(long kib) { return static_cast<double>(kib) / 1024.0; }
double ratio(double a, double b) { return b > 0 ? a / b : 0; }

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[(v.size() - 1) / 2];
}

/// A row to make: how to read its figure from a tier, and its limits.
struct Spec {
  std::string id, label, unit;
  std::function<double(const ScaleTierResult&)> value;
  std::optional<double> limit_m, limit_l;  ///< at most this at tier M (and S) / L
  std::optional<double> growth_limit;
  bool growth = true;  ///< show L / M (not for ratios)
};

std::string number(double v, const std::string& unit) {
  if (unit == "s") return fmt(v < 0.1 ? "%.3f s" : "%.2f s", v);
  if (unit == "ms") return fmt(v < 1 ? "%.3f ms" : v < 100 ? "%.2f ms" : "%.0f ms", v);
  if (unit == "MiB") return fmt("%.0f MiB", v);
  return fmt("%.2f", v);
}

std::string target_text(const Spec& s) {
  std::string t;
  const auto limit = [&](double v) { return "<= " + (s.unit == "x" ? fmt("%.1f", v) : fmt("%g ", v) + s.unit); };
  if (s.limit_m && s.limit_l && *s.limit_m == *s.limit_l) t = limit(*s.limit_m);
  else if (s.limit_m && s.limit_l) t = limit(*s.limit_m) + " at M, " + limit(*s.limit_l) + " at L";
  else if (s.limit_l) t = limit(*s.limit_l) + " at L";
  else if (s.limit_m) t = limit(*s.limit_m) + " at M";
  if (s.growth_limit) t += (t.empty() ? "" : "; ") + fmt("growth <= %.1f", *s.growth_limit);
  return t;
}

std::vector<Spec> specs() {
  using R = const ScaleTierResult&;
  return {
      {"initial_scan_s", "initial index: limafs scan", "s", [](R r) { return r.initial_scan.seconds; }, {}, {}, {}},
      {"initial_baseline_s", "  baseline: find | xargs -P2 xxhsum", "s", [](R r) { return r.initial_baseline.seconds; }, {}, {}, {}},
      {"initial_ratio", "  limafs / baseline", "x", [](R r) { return ratio(r.initial_scan.seconds, r.initial_baseline.seconds); }, 1.0, 1.0, {}, false},
      {"rescan_s", "no-change rescan: limafs scan", "s", [](R r) { return r.rescan.seconds; }, {}, {}, {}},
      {"rescan_baseline_s", "  baseline: find -printf '%i %s %T@ %p'", "s", [](R r) { return r.rescan_baseline.seconds; }, {}, {}, {}},
      {"rescan_ratio", "  limafs / baseline", "x", [](R r) { return ratio(r.rescan.seconds, r.rescan_baseline.seconds); }, 1.5, 1.5, {}, false},
      {"initial_scan_rss_mib", "peak RSS, limafs scan (initial)", "MiB", [](R r) { return mib(r.initial_scan.max_rss_kib); }, 100, 150, {}},
      {"rescan_rss_mib", "peak RSS, limafs scan (rescan)", "MiB", [](R r) { return mib(r.rescan.max_rss_kib); }, 100, 150, {}},
      {"daemon_api_s", "daemon: spawn -> API answers", "s", [](R r) { return r.startup.api_s; }, {}, {}, {}},
      {"daemon_view_s", "daemon: spawn -> view serves", "s", [](R r) { return r.startup.mount_s; }, {}, {}, {}},
      {"daemon_sync_s", "daemon: spawn -> start-up sync ended", "s", [](R r) { return r.startup.sync_s; }, {}, {}, {}},
      {"startup_sync_run_s", "  the start-up sync run itself", "s", [](R r) { return r.startup.sync_run_s; }, {}, {}, {}},
      {"startup_peak_rss_mib", "daemon: peak RSS to ready (VmHWM)", "MiB", [](R r) { return mib(r.startup.peak_rss_kib); }, {}, 200, {}},
      {"steady_rss_mib", "daemon: RSS once idle", "MiB", [](R r) { return mib(r.startup.steady_rss_kib); }, 120, 120, {}},
      {"new_file_p50_ms", "new file -> visible in the mount, p50", "ms", [](R r) { return r.create_visible.p50(); }, 50, 50, 1.2},
      {"new_file_p99_ms", "new file -> visible in the mount, p99", "ms", [](R r) { return r.create_visible.p99(); }, 100, 100, 1.2},
      {"watcher_run_p50_ms", "  the watcher's sync runs meanwhile, p50", "ms", [](R r) { return r.watcher_runs.p50(); }, {}, {}, {}},
      {"stat_problems_first_ms", "stat .limafs/problems.txt, first after start-up", "ms",
       [](R r) { return r.stat_problems_first_ms; }, {}, {}, {}},
      {"stat_problems_p50_ms", "stat .limafs/problems.txt, p50", "ms", [](R r) { return r.stat_problems.p50(); }, {}, {}, {}},
      {"stat_problems_best_ms", "  best round's p50", "ms", [](R r) { return r.stat_problems.best_round_p50(); }, {}, {}, 1.2},
      {"stat_problems_p99_ms", "stat .limafs/problems.txt, p99", "ms", [](R r) { return r.stat_problems.p99(); }, {}, {}, {}},
      {"stat_problems_after_change_ms", "first stat of problems.txt after a change (median)", "ms",
       [](R r) { return median(r.problems_after_change_ms); }, {}, {}, 1.2},
      {"get_problems_p50_ms", "GET /api/v1/problems?limit=100, p50", "ms", [](R r) { return r.get_problems.p50(); }, {}, {}, {}},
      {"get_problems_best_ms", "  best round's p50", "ms", [](R r) { return r.get_problems.best_round_p50(); }, {}, {}, 1.2},
      {"get_problems_p99_ms", "GET /api/v1/problems?limit=100, p99", "ms", [](R r) { return r.get_problems.p99(); }, {}, {}, {}},
      {"get_status_p50_ms", "GET /api/v1/status, p50", "ms", [](R r) { return r.get_status.p50(); }, {}, {}, {}},
      {"get_status_best_ms", "  best round's p50", "ms", [](R r) { return r.get_status.best_round_p50(); }, {}, {}, 1.2},
      {"get_status_p99_ms", "GET /api/v1/status, p99", "ms", [](R r) { return r.get_status.p99(); }, {}, {}, {}},
      {"search_p50_ms", "GET /api/v1/search, p50", "ms", [](R r) { return r.search.p50(); }, {}, {}, {}},
      {"search_p99_ms", "GET /api/v1/search, p99", "ms", [](R r) { return r.search.p99(); }, {}, 10, {}},
  };
}

std::optional<std::size_t> tier_index(const ScaleBenchResults& r, SearchTier tier) {
  for (std::size_t i = 0; i < r.tiers.size(); ++i)
    if (r.tiers[i].tier == tier) return i;
  return std::nullopt;
}

}  // namespace

ScaleVerdict judge(const ScaleBenchResults& results) {
  ScaleVerdict v;
  const auto m = tier_index(results, SearchTier::m), l = tier_index(results, SearchTier::l);
  for (const Spec& s : specs()) {
    ScaleRow row{s.id, s.label, s.unit, {}, {}, target_text(s), ""};
    bool checked = false, ok = true;
    for (const auto& t : results.tiers) {
      const double value = s.value(t);
      row.values.push_back(value);
      const auto limit = t.tier == SearchTier::l ? s.limit_l : s.limit_m;
      if (limit) {
        checked = true;
        ok = ok && value <= *limit;
      }
    }
    if (m && l && s.growth && row.values[*m] > 0) {
      row.growth = row.values[*l] / row.values[*m];
      if (s.growth_limit) {
        checked = true;
        ok = ok && *row.growth <= *s.growth_limit;
      }
    }
    if (checked) row.verdict = ok ? "met" : "MISSED";
    v.targets_met = v.targets_met && ok;
    v.rows.push_back(std::move(row));
  }
  return v;
}

void print_report(std::ostream& out, const ScaleBenchResults& r, const ScaleBenchOptions& opt, const ScaleVerdict& v) {
  out << "limafs-bench scale: " << opt.limafs.string() << "\n";
  for (const auto& t : r.tiers) {
    out << "tier " << search_tier_name(t.tier) << ": " << t.library.string() << ", " << t.projects << " projects, "
        << t.files << " files" << (t.generate_s > 0 ? fmt(" (generated in %.1f s)", t.generate_s) : "")
        << fmt(", load average %.2f at its start", t.load_average) << "; start-up sync "
        << (t.startup.sync_status.empty() ? "?" : t.startup.sync_status) << " (" << t.startup.sync_added << " added, "
        << t.startup.sync_changed << " changed, " << t.startup.sync_removed << " removed); " << t.problems_count
        << " problems in the report; daemon stop: " << t.stop.text() << "\n";
  }
  out << "\n";
  const bool growth = tier_index(r, SearchTier::m) && tier_index(r, SearchTier::l);
  std::vector<std::string> header = {"measurement"};
  for (const auto& t : r.tiers) header.push_back("tier " + std::string(search_tier_name(t.tier)));
  if (growth) header.push_back("growth L/M");
  header.push_back("target");
  header.push_back("met/missed");
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : v.rows) {
    std::vector<std::string> cells = {row.label};
    for (double value : row.values) cells.push_back(number(value, row.unit));
    if (growth) cells.push_back(row.growth ? fmt("%.2f", *row.growth) : "");
    cells.push_back(row.target);
    cells.push_back(row.verdict);
    rows.push_back(std::move(cells));
  }
  print_table(out, header, rows);
  const double idle = r.tiers.empty() ? 0.0 : r.tiers.front().startup.idle_s;
  out << "\nEach scan and baseline ran once, after both baselines warmed the page cache. The daemon\n"
         "ran `limafs mount LIB MNT --state STATE --thumb-workers 0` on the rescanned index; its peak\n"
         "RSS is VmHWM once it was ready (also sampled every 50 ms), its idle RSS the largest VmRSS\n"
      << fmt("over %.0f s once it was quiet and watching. ", idle) << opt.samples
      << " new files per tier (1 KiB STL, in a project's\n"
         "top folder or models/, 50-100 ms apart) are timed from close() to lstat() finding them\n"
         "under MNT/projects/ (a timeout counts as 5 s). Before any change, "
      << opt.repeats
      << " of each stat and GET\n"
         "(the GETs on one keep-alive connection) in 5 rounds, the three interleaved; growth is judged\n"
         "on the best round's p50, as other load only adds time. The stats after the first may be\n"
         "answered by the kernel's attribute cache. The first stat of problems.txt after a change: right after a new\n"
         "file showed in the mount. Search:\n";
  for (const auto& t : r.tiers) {
    out << "  tier " << search_tier_name(t.tier) << ": " << t.search_queries << " queries x " << opt.search_repeats
        << " on one keep-alive connection, after importing the tags (";
    for (std::size_t i = 0; i < t.search_examples.size(); ++i) out << (i ? "; " : "") << t.search_examples[i];
    out << ")\n";
  }
  out << "The mount benchmark's targets are not rerun here: run `limafs-bench mount` (needs root).\n"
      << (v.targets_met ? "all targets met" : "some targets missed") << "\n";
}

ordered_json report_json(const ScaleBenchResults& r, const ScaleBenchOptions& opt, const ScaleVerdict& v) {
  ordered_json tiers = ordered_json::array();
  for (const auto& t : r.tiers) {
    tiers.push_back({
        {"tier", search_tier_name(t.tier)},
        {"library", t.library.string()},
        {"projects", t.projects},
        {"files", t.files},
        {"generate_s", t.generate_s},
        {"load_average", t.load_average},
        {"startup_sync", {{"status", t.startup.sync_status}, {"added", t.startup.sync_added},
                          {"changed", t.startup.sync_changed}, {"removed", t.startup.sync_removed},
                          {"unchanged", t.startup.sync_unchanged}, {"run_s", t.startup.sync_run_s}}},
        {"startup_rss_sampled_peak_mib", mib(t.startup.sampled_peak_kib)},
        {"startup_rss_samples", t.startup.rss_samples},
        {"new_file_samples", t.create_visible.ms.ms.size()},
        {"new_file_timeouts", t.create_timeouts},
        {"watcher_runs", t.watcher_run_count},
        {"watcher_run_p99_ms", t.watcher_runs.p99()},
        {"problems_after_change_ms", t.problems_after_change_ms},
        {"problems", t.problems_count},
        {"search_queries", t.search_queries},
        {"search_examples", t.search_examples},
        {"daemon_stop", t.stop.text()},
        {"daemon_stopped_cleanly", t.stop.clean()},
    });
  }
  ordered_json rows = ordered_json::array();
  for (const auto& row : v.rows) {
    ordered_json values = ordered_json::object();
    for (std::size_t i = 0; i < r.tiers.size(); ++i) values[std::string(search_tier_name(r.tiers[i].tier))] = row.values[i];
    rows.push_back({{"id", row.id}, {"label", row.label}, {"unit", row.unit}, {"values", values},
                    {"growth_l_m", row.growth ? ordered_json(*row.growth) : ordered_json(nullptr)},
                    {"target", row.target}, {"verdict", row.verdict}});
  }
  return {{"benchmark", "scale"},
          {"limafs", opt.limafs.string()},
          {"samples", opt.samples},
          {"repeats", opt.repeats},
          {"search_repeats", opt.search_repeats},
          {"tiers", tiers},
          {"rows", rows},
          {"targets_met", v.targets_met},
          {"mount_benchmark", "not rerun here: run `limafs-bench mount`"}};
}

}  // namespace lima::bench
