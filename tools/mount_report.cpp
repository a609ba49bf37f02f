#include "mount_report.h"

#include <ostream>
#include <string>
#include <vector>

#include "text_table.h"

namespace lima::bench {
namespace {

std::string verdict(bool ok) { return ok ? "PASS" : "FAIL"; }

std::string secs(double s) { return fmt("%.3f s", s); }

std::string latency_text(const Latencies& l) {
  return fmt("%.2f", l.percentile(0.5)) + " / " + fmt("%.2f", l.percentile(0.99)) + " / " + fmt("%.2f ms", l.max());
}

std::vector<std::string> comparison_row(const std::string& label, const Comparison& c) {
  return {label, secs(c.mount.median()), secs(c.tmpfs.median()), fmt("%.2f", c.ratio())};
}

nlohmann::ordered_json requests_json(const RequestCounts& c) {
  nlohmann::ordered_json j = {{"total", c.total()}};
  for (std::size_t i = 0; i < c.by_op.size(); ++i) {
    if (c.by_op[i] != 0) j[std::string(fs::kOpNames[i])] = c.by_op[i];
  }
  return j;
}

nlohmann::ordered_json comparison_json(const Comparison& c) {
  return {{"command", c.command},
          {"mount", {{"median_s", c.mount.median()}, {"runs_s", c.mount.runs}}},
          {"tmpfs", {{"median_s", c.tmpfs.median()}, {"runs_s", c.tmpfs.runs}}},
          {"ratio", c.ratio()},
          {"requests", requests_json(c.requests)}};
}

/// j with the members of extra added.
nlohmann::ordered_json merged(nlohmann::ordered_json j, const nlohmann::ordered_json& extra) {
  for (const auto& [key, value] : extra.items()) j[key] = value;
  return j;
}

nlohmann::ordered_json latency_json(const Latencies& l) {
  return {{"p50_ms", l.percentile(0.5)}, {"p99_ms", l.percentile(0.99)}, {"max_ms", l.max()}, {"samples_ms", l.ms}};
}

}  // namespace

double cold_requests_per_entry(const MountBenchResults& r) {
  return r.shape.projects ? static_cast<double>(r.cold_requests.total()) / static_cast<double>(r.shape.projects) : 0;
}

MountVerdict judge(const MountBenchResults& r) {
  MountVerdict v;
  v.ls_ratio = r.ls_projects.ratio() <= kLsRatioTarget;
  v.ls_no_requests = r.ls_projects.requests.total() == 0;
  v.cold_requests = cold_requests_per_entry(r) <= kColdRequestsPerEntryTarget;
  v.find_ratio = r.find_all.ratio() <= kFindRatioTarget;
  v.ls_assets_time = r.ls_assets.mount.median() < kLsAssetsSecondsTarget;
  const bool clean = r.fresh.timeouts == 0 && r.fresh.errors == 0;
  v.fresh_tagged = clean && r.fresh.tagged.percentile(0.99) <= kFreshP99MsTarget;
  v.fresh_untagged = clean && r.fresh.untagged.percentile(0.99) <= kFreshP99MsTarget;
  return v;
}

void print_report(std::ostream& out, const MountBenchResults& r, const MountBenchOptions& opt, const MountVerdict& v,
                  bool enforced) {
  const std::string projects = std::to_string(r.shape.projects);
  const std::string files = std::to_string(r.shape.files());
  out << "limafs-bench mount: " << projects << " projects x " << r.shape.files_per_project << " files = " << files
      << " files (" << r.generated.bytes << " bytes), median of " << opt.repeat << " run"
      << (opt.repeat == 1 ? "" : "s") << (enforced ? "" : ", targets not enforced") << "\n"
      << "library: " << r.library.string() << "\n"
      << "view:    " << r.mountpoint.string() << "; tmpfs copy: " << r.baseline.string() << " ("
      << r.replica.dirs << " directories, " << r.replica.links << " links, " << r.replica.files << " files)\n"
      << "setup:   sync " << secs(r.sync_s) << ", tagging projects " << secs(r.tag_projects_s) << ", files "
      << secs(r.tag_assets_s) << ", copy " << secs(r.replica.seconds) << "\n\n";

  auto row = [](std::vector<std::string> cells, std::string target, bool ok) {
    cells.resize(4);
    cells.push_back(std::move(target));
    cells.push_back(verdict(ok));
    return cells;
  };
  const auto& fresh = r.fresh;
  print_table(out, {"measurement", "mount", "tmpfs", "ratio", "target", "result"},
              {
                  row(comparison_row("warm ls -l tags/ten-k (" + projects + " dirs)", r.ls_projects),
                      fmt("ratio <= %.2f", kLsRatioTarget), v.ls_ratio),
                  row({"  requests reaching the daemon", std::to_string(r.ls_projects.requests.total())}, "0",
                      v.ls_no_requests),
                  row({"cold ls -l tags/ten-k: requests/entry",
                       fmt("%.4f", cold_requests_per_entry(r)) + " (" + std::to_string(r.cold_requests.total()) +
                           " in " + secs(r.cold_ls_s) + ")"},
                      fmt("<= %.2f", kColdRequestsPerEntryTarget), v.cold_requests),
                  row(comparison_row("warm find (whole tree)", r.find_all), fmt("ratio <= %.2f", kFindRatioTarget),
                      v.find_ratio),
                  {"  requests reaching the daemon", std::to_string(r.find_all.requests.total())},
                  row(comparison_row("warm ls -l tags/hundred-k (" + files + " links)", r.ls_assets),
                      fmt("< %.2f s", kLsAssetsSecondsTarget), v.ls_assets_time),
                  {"  requests reaching the daemon", std::to_string(r.ls_assets.requests.total())},
                  row({"tag -> visible, p50 / p99 / max", latency_text(fresh.tagged)},
                      fmt("p99 <= %.0f ms, no errors", kFreshP99MsTarget), v.fresh_tagged),
                  row({"untag -> gone, p50 / p99 / max", latency_text(fresh.untagged)},
                      fmt("p99 <= %.0f ms, no errors", kFreshP99MsTarget), v.fresh_untagged),
              });
  out << "\nfreshness: " << fresh.tagged.ms.size() << " rounds; first tag " << fmt("%.2f ms", fresh.first_tagged_ms)
      << ", first untag " << fmt("%.2f ms", fresh.first_untagged_ms) << "; catalog.write p50 "
      << fmt("%.2f ms", fresh.writes.percentile(0.5)) << ", max " << fmt("%.2f ms", fresh.writes.max());
  if (fresh.timeouts) out << "; " << fresh.timeouts << " polls timed out after " << fmt("%.0f ms", fresh.timeout_ms);
  if (fresh.errors) out << "\n  " << fresh.errors << " failed polls (first: " << fresh.first_error << ")";
  out << "\nrequests (timed mount runs): ls -l tags/ten-k: " << r.ls_projects.requests.text()
      << "\n  cold ls -l tags/ten-k: " << r.cold_requests.text() << "\n  find: " << r.find_all.requests.text()
      << "\n  ls -l tags/hundred-k: " << r.ls_assets.requests.text()
      << "\n  freshness rounds: " << r.fresh_requests.text() << "\n"
      << (v.all_ok() ? "all targets met" : "some targets missed") << "\n";
}

nlohmann::ordered_json report_json(const MountBenchResults& r, const MountBenchOptions& opt, const MountVerdict& v,
                                   bool enforced) {
  return {
      {"library", {{"path", r.library.string()}, {"projects", r.shape.projects},
                   {"files_per_project", r.shape.files_per_project}, {"files", r.shape.files()},
                   {"bytes", r.generated.bytes}, {"generated_s", r.generated.seconds}}},
      {"mountpoint", r.mountpoint.string()},
      {"baseline", {{"path", r.baseline.string()}, {"dirs", r.replica.dirs}, {"links", r.replica.links},
                    {"files", r.replica.files}, {"copy_s", r.replica.seconds}}},
      {"repeat", opt.repeat},
      {"setup", {{"sync_s", r.sync_s}, {"tag_projects_s", r.tag_projects_s}, {"tag_assets_s", r.tag_assets_s}}},
      {"warm_ls_projects", merged(comparison_json(r.ls_projects), {{"target_ratio", kLsRatioTarget},
                                                                     {"target_requests", 0},
                                                                     {"ok", v.ls_ratio && v.ls_no_requests}})},
      {"cold_ls_projects", {{"seconds", r.cold_ls_s}, {"requests", requests_json(r.cold_requests)},
                            {"requests_per_entry", cold_requests_per_entry(r)},
                            {"target_requests_per_entry", kColdRequestsPerEntryTarget}, {"ok", v.cold_requests}}},
      {"warm_find", merged(comparison_json(r.find_all), {{"target_ratio", kFindRatioTarget}, {"ok", v.find_ratio}})},
      {"warm_ls_assets", merged(comparison_json(r.ls_assets), {{"target_s", kLsAssetsSecondsTarget}, {"ok", v.ls_assets_time}})},
      {"freshness", {{"rounds", r.fresh.tagged.ms.size()},
                     {"tagged", latency_json(r.fresh.tagged)},
                     {"untagged", latency_json(r.fresh.untagged)},
                     {"first_tagged_ms", r.fresh.first_tagged_ms},
                     {"first_untagged_ms", r.fresh.first_untagged_ms},
                     {"write_p50_ms", r.fresh.writes.percentile(0.5)},
                     {"write_max_ms", r.fresh.writes.max()},
                     {"timeouts", r.fresh.timeouts},
                     {"errors", r.fresh.errors},
                     {"first_error", r.fresh.first_error},
                     {"requests", requests_json(r.fresh_requests)},
                     {"target_p99_ms", kFreshP99MsTarget},
                     {"ok", v.fresh_tagged && v.fresh_untagged}}},
      {"targets_enforced", enforced},
      {"all_ok", v.all_ok()},
  };
}

}  // namespace lima::bench
