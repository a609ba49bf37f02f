#include "wrk.h"

#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "child_process.h"

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;

/// wrk's own default, spelled out: a request unanswered this long is
/// counted as a timeout.
constexpr const char* kTimeout = "2s";

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::optional<double> real(std::string_view text) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> count(std::string_view text) {
  while (!text.empty() && text.back() == ',') text.remove_suffix(1);
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

/// "Socket errors: connect 0, read 0, write 0, timeout 3".
void read_socket_errors(const std::vector<std::string_view>& w, WrkResult& r) {
  for (std::size_t i = 2; i + 1 < w.size(); i += 2) {
    const auto n = count(w[i + 1]).value_or(0);
    if (w[i] == "connect") r.connect_errors = n;
    else if (w[i] == "read") r.read_errors = n;
    else if (w[i] == "write") r.write_errors = n;
    else if (w[i] == "timeout") r.timeouts = n;
  }
}

}  // namespace

std::string WrkLoad::text() const {
  return "wrk -t" + std::to_string(threads) + " -c" + std::to_string(connections) + " -d" + std::to_string(seconds) +
         "s";
}

std::optional<double> parse_wrk_duration_ms(std::string_view text) {
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"us", 0.001}, {"ms", 1.0}, {"s", 1000.0}, {"m", 60'000.0}, {"h", 3'600'000.0}};
  for (const auto& [suffix, ms] : kUnits) {
    if (!text.ends_with(suffix)) continue;
    const auto v = real(text.substr(0, text.size() - suffix.size()));
    return v ? std::optional<double>(*v * ms) : std::nullopt;
  }
  return std::nullopt;
}

std::optional<WrkResult> parse_wrk_report(std::string_view text) {
  WrkResult r;
  bool rate = false, latency = false, total = false, distribution = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const auto w = words(text.substr(pos, eol - pos));
    pos = eol + 1;
    if (w.empty()) continue;
    if (w[0] == "Latency" && w.size() >= 4 && parse_wrk_duration_ms(w[1])) {
      // Thread Stats: Avg, Stdev, Max, +/- Stdev.
      r.latency_avg_ms = *parse_wrk_duration_ms(w[1]);
      r.latency_max_ms = parse_wrk_duration_ms(w[3]).value_or(0);
      latency = true;
    } else if (w[0] == "Latency" && w.size() == 2 && w[1] == "Distribution") {
      distribution = true;
    } else if (distribution && w.size() == 2 && w[0].ends_with('%')) {
      const double ms = parse_wrk_duration_ms(w[1]).value_or(0);
      if (w[0] == "50%") r.p50_ms = ms;
      else if (w[0] == "75%") r.p75_ms = ms;
      else if (w[0] == "90%") r.p90_ms = ms;
      else if (w[0] == "99%") r.p99_ms = ms;
    } else if (w.size() >= 4 && w[1] == "requests" && w[2] == "in") {
      distribution = false;
      auto seconds = w[3];
      if (seconds.ends_with(',')) seconds.remove_suffix(1);
      r.requests = count(w[0]).value_or(0);
      r.seconds = parse_wrk_duration_ms(seconds).value_or(0) / 1000.0;
      total = count(w[0]).has_value();
    } else if (w.size() >= 2 && w[0] == "Socket" && w[1] == "errors:") {
      read_socket_errors(w, r);
    } else if (w.size() == 5 && w[0] == "Non-2xx" && w[3] == "responses:") {
      r.error_responses = count(w[4]).value_or(0);
    } else if (w.size() == 2 && w[0] == "Requests/sec:") {
      const auto v = real(w[1]);
      r.requests_per_s = v.value_or(0);
      rate = v.has_value();
    }
  }
  if (!rate || !latency || !total) return std::nullopt;
  return r;
}

WrkResult run_wrk(const stdfs::path& wrk, const WrkLoad& load, const std::string& url,
                  const stdfs::path& report_file) {
  const stdfs::path err_file = stdfs::path(report_file).replace_extension(".stderr");
  const std::vector<std::string> argv = {wrk.string(),
                                         "-t" + std::to_string(load.threads),
                                         "-c" + std::to_string(load.connections),
                                         "-d" + std::to_string(load.seconds) + "s",
                                         "--latency",
                                         "--timeout",
                                         kTimeout,
                                         url};
  const ChildResult child = run_child(argv, err_file, report_file);
  std::ostringstream report;
  report << std::ifstream(report_file).rdbuf();
  const std::string err = file_tail(err_file);
  if (!child.ok()) {
    throw std::runtime_error(load.text() + " " + url + " failed (" + child.describe() + ")" +
                             (err.empty() ? "" : ":\n" + err));
  }
  std::error_code ec;
  if (err.empty()) stdfs::remove(err_file, ec);
  auto parsed = parse_wrk_report(report.str());
  if (!parsed) {
    throw std::runtime_error("cannot read the report of " + load.text() + " " + url + " in " + report_file.string() +
                             (err.empty() ? "" : "; wrk's stderr:\n" + err));
  }
  return *parsed;
}

}  // namespace lima::bench
