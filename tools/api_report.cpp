#include "api_report.h"

#include <ostream>
#include <string>
#include <vector>

#include "baseline_server.h"
#include "text_table.h"

namespace lima::bench {
namespace {

std::string verdict(bool ok) { return ok ? "PASS" : "FAIL"; }

double ratio(double a, double b) { return b > 0 ? a / b : 0; }

std::string rate(const WrkResult& r) { return fmt("%.0f req/s", r.requests_per_s); }

std::string ms(double v) { return fmt("%.2f ms", v); }

std::string latencies(const WrkResult& r) {
  return fmt("%.2f", r.p50_ms) + " / " + fmt("%.2f", r.p99_ms) + " / " + ms(r.latency_max_ms);
}

std::string latency_ratios(const LoadResult& m) {
  return fmt("%.2f", ratio(m.limafs.p50_ms, m.baseline.p50_ms)) + " / " +
         fmt("%.2f", ratio(m.limafs.p99_ms, m.baseline.p99_ms)) + " / " +
         fmt("%.2f", ratio(m.limafs.latency_max_ms, m.baseline.latency_max_ms));
}

/// "socket errors / error responses", the socket errors by kind when there
/// are any: "7 (connect 7) / 0".
std::string errors(const WrkResult& r) {
  std::string kinds;
  const auto add = [&kinds](const char* kind, std::uint64_t n) {
    if (n) kinds += (kinds.empty() ? "" : ", ") + std::string(kind) + " " + std::to_string(n);
  };
  add("connect", r.connect_errors);
  add("read", r.read_errors);
  add("write", r.write_errors);
  add("timeout", r.timeouts);
  return std::to_string(r.socket_errors()) + (kinds.empty() ? "" : " (" + kinds + ")") + " / " +
         std::to_string(r.error_responses);
}

using Cells = std::vector<std::string>;

/// The rows every load gets below its headline: latencies, errors and,
/// unless it is the headline, throughput.
void detail_rows(std::vector<Cells>& rows, const LoadResult& m, bool with_rate) {
  if (with_rate) rows.push_back({"  throughput", rate(m.limafs), rate(m.baseline), fmt("%.2f", m.rate_ratio())});
  rows.push_back({"  latency p50 / p99 / max", latencies(m.limafs), latencies(m.baseline), latency_ratios(m)});
  rows.push_back({"  socket errors / HTTP errors >= 400", errors(m.limafs), errors(m.baseline)});
}

std::string title(const LoadResult& m) { return "GET " + m.path + ", " + m.load.text(); }

nlohmann::ordered_json wrk_json(const WrkResult& r) {
  return {{"requests_per_s", r.requests_per_s},
          {"requests", r.requests},
          {"seconds", r.seconds},
          {"latency_ms", {{"avg", r.latency_avg_ms}, {"p50", r.p50_ms}, {"p75", r.p75_ms}, {"p90", r.p90_ms},
                          {"p99", r.p99_ms}, {"max", r.latency_max_ms}}},
          {"socket_errors", {{"connect", r.connect_errors}, {"read", r.read_errors}, {"write", r.write_errors},
                             {"timeout", r.timeouts}}},
          {"error_responses", r.error_responses}};
}

nlohmann::ordered_json load_json(const LoadResult& m, nlohmann::ordered_json target, bool ok) {
  return {{"path", m.path},
          {"wrk", m.load.text() + " --latency --timeout 2s"},
          {"limafs", wrk_json(m.limafs)},
          {"baseline", wrk_json(m.baseline)},
          {"ratio", {{"requests_per_s", m.rate_ratio()},
                     {"p50", ratio(m.limafs.p50_ms, m.baseline.p50_ms)},
                     {"p99", ratio(m.limafs.p99_ms, m.baseline.p99_ms)},
                     {"max", ratio(m.limafs.latency_max_ms, m.baseline.latency_max_ms)}}},
          {"target", std::move(target)},
          {"ok", ok}};
}

}  // namespace

ApiVerdict judge(const ApiBenchResults& r) {
  ApiVerdict v;
  v.status_one = r.status_one.limafs.clean() && r.status_one.limafs.requests_per_s >= kStatusOneRateTarget;
  v.status_many = r.status_many.limafs.clean() && r.status_many.limafs.latency_max_ms <= kStatusManyMaxMsTarget;
  v.tagged_page = r.tagged_page.limafs.clean() && r.tagged_page.limafs.requests_per_s >= kTaggedPageRateTarget;
  return v;
}

void print_report(std::ostream& out, const ApiBenchResults& r, const ApiBenchOptions& opt, const ApiVerdict& v,
                  bool enforced) {
  out << "limafs-bench api: tier " << tier_name(opt.tier) << ", seed " << opt.seed << ", " << r.library.projects
      << " projects, " << r.library.files << " files (" << fmt("%.1f MiB", static_cast<double>(r.library.bytes) / (1 << 20))
      << "); each wrk run " << opt.seconds << " s"
      << (enforced ? "" : "; targets reported, not enforced (--no-targets)") << "\n"
      << "library:  " << r.library_dir.string() << "\n"
      << "limafs:   " << opt.limafs.string() << " mount, API " << r.api_url << "\n"
      << "baseline: cpp-httplib " << BaselineServer::httplib_version() << " in limafs-bench, "
      << BaselineServer::threads() << " threads, TCP_NODELAY, backlog SOMAXCONN, answering the bytes limafs answered ("
      << r.status_bytes << " for /status, " << r.page_bytes << " for the page of " << r.page_items << " projects)\n"
      << "setup:    daemon serving in " << fmt("%.1f s", r.startup_s) << " (indexing and mounting included); tagged " << r.tagged
      << " of " << r.projects << " projects '" << kBenchTag << "' through the API in " << fmt("%.2f s", r.tagging_s)
      << " (slowest PUT " << ms(r.tag_max_ms) << ")\n"
      << "machine:  " << r.cpus << " CPUs, load average " << fmt("%.2f", r.load_before) << " before the wrk runs\n\n";

  auto headline = [](Cells cells, std::string target, bool ok) {
    cells.resize(4);
    cells.push_back(std::move(target));
    cells.push_back(verdict(ok));
    return cells;
  };
  std::vector<Cells> rows;
  const auto& one = r.status_one;
  rows.push_back(headline({title(one), rate(one.limafs), rate(one.baseline), fmt("%.2f", one.rate_ratio())},
                          fmt(">= %.0f req/s, no errors", kStatusOneRateTarget), v.status_one));
  detail_rows(rows, one, false);
  const auto& many = r.status_many;
  rows.push_back(headline({title(many) + ": max latency", ms(many.limafs.latency_max_ms),
                           ms(many.baseline.latency_max_ms),
                           fmt("%.2f", ratio(many.limafs.latency_max_ms, many.baseline.latency_max_ms))},
                          fmt("<= %.0f ms, no errors", kStatusManyMaxMsTarget), v.status_many));
  detail_rows(rows, many, true);
  const auto& page = r.tagged_page;
  rows.push_back(headline({title(page), rate(page.limafs), rate(page.baseline), fmt("%.2f", page.rate_ratio())},
                          fmt(">= %.0f req/s, no errors", kTaggedPageRateTarget), v.tagged_page));
  detail_rows(rows, page, false);
  rows.push_back({"daemon stop (SIGTERM)", r.stop.text(), "", "", "exit 0, mount gone", verdict(r.stop.clean())});
  print_table(out, {"measurement", "limafs", "baseline", "ratio", "target", "result"}, rows);
  out << "\nratio = limafs / baseline under the same wrk load (throughput: higher is better; latency: lower)\n"
      << "wrk reports: " << r.reports.string() << "; daemon stderr: " << r.daemon_log.string() << "\n"
      << (v.all_ok() ? "all targets met" : "some targets missed") << "\n";
}

nlohmann::ordered_json report_json(const ApiBenchResults& r, const ApiBenchOptions& opt, const ApiVerdict& v,
                                   bool enforced) {
  return {
      {"tier", tier_name(opt.tier)},
      {"seed", opt.seed},
      {"library", {{"path", r.library_dir.string()}, {"projects", r.library.projects}, {"files", r.library.files},
                   {"bytes", r.library.bytes}}},
      {"limafs", opt.limafs.string()},
      {"api_url", r.api_url},
      {"wrk_seconds", opt.seconds},
      {"machine", {{"cpus", r.cpus}, {"load_average_before", r.load_before}}},
      {"baseline", {{"server", "cpp-httplib " + BaselineServer::httplib_version()},
                    {"threads", BaselineServer::threads()},
                    {"status_bytes", r.status_bytes},
                    {"page_bytes", r.page_bytes}}},
      {"setup", {{"startup_s", r.startup_s}, {"projects", r.projects}, {"tagged", r.tagged}, {"tag", kBenchTag},
                 {"tagging_s", r.tagging_s}, {"slowest_tag_ms", r.tag_max_ms}, {"page_items", r.page_items}}},
      {"status_one_connection",
       load_json(r.status_one, {{"min_requests_per_s", kStatusOneRateTarget}, {"errors", 0}}, v.status_one)},
      {"status_64_connections",
       load_json(r.status_many, {{"max_latency_ms", kStatusManyMaxMsTarget}, {"errors", 0}}, v.status_many)},
      {"tagged_page_8_connections",
       load_json(r.tagged_page, {{"min_requests_per_s", kTaggedPageRateTarget}, {"errors", 0}}, v.tagged_page)},
      {"daemon_stop", {{"exit_code", r.stop.exit_code}, {"seconds", r.stop.seconds}, {"killed", r.stop.killed},
                       {"mount_left", r.stop.mount_left}, {"ok", r.stop.clean()}}},
      {"targets_enforced", enforced},
      {"all_ok", v.all_ok()},
  };
}

}  // namespace lima::bench
