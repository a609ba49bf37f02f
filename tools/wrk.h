// wrk, the HTTP load generator the API benchmark drives: the command line
// of one load (threads, keep-alive connections, duration), and what wrk
// printed, parsed — requests per second, the latency distribution, socket
// errors and error responses.
//
// The parser reads wrk 4.x's text report (Debian package wrk), run with
// --latency:
//
//   Running 10s test @ http://127.0.0.1:7700/api/v1/status
//     2 threads and 64 connections
//     Thread Stats   Avg      Stdev     Max   +/- Stdev
//       Latency     1.52ms  402.10us  12.92ms   93.69%
//       Req/Sec    21.12k     1.01k   23.00k    71.00%
//     Latency Distribution
//        50%    1.45ms
//        ...
//        99%    2.61ms
//     420311 requests in 10.00s, 231.42MB read
//     Socket errors: connect 0, read 0, write 0, timeout 3   (only when any)
//     Non-2xx or 3xx responses: 12                           (only when any)
//   Requests/sec:  42031.10
//   Transfer/sec:     23.14MB
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lima::bench {

/// One wrk load: `wrk -tTHREADS -cCONNECTIONS -dSECONDSs`.
struct WrkLoad {
  int threads = 1;
  int connections = 1;
  int seconds = 10;

  /// "wrk -t2 -c64 -d10s".
  std::string text() const;
};

/// What one wrk run reported. Latencies in milliseconds.
struct WrkResult {
  double requests_per_s = 0;
  std::uint64_t requests = 0;
  double seconds = 0;  ///< the run's real duration, as wrk reports it
  double latency_avg_ms = 0, latency_max_ms = 0;
  double p50_ms = 0, p75_ms = 0, p90_ms = 0, p99_ms = 0;
  std::uint64_t connect_errors = 0, read_errors = 0, write_errors = 0, timeouts = 0;
  std::uint64_t error_responses = 0;  ///< "Non-2xx or 3xx responses" (status 400 and up)

  std::uint64_t socket_errors() const { return connect_errors + read_errors + write_errors + timeouts; }
  bool clean() const { return socket_errors() == 0 && error_responses == 0; }
};

/// Parses a wrk report; nullopt when the lines every report has
/// (Requests/sec, the Latency row, "N requests in") are missing.
std::optional<WrkResult> parse_wrk_report(std::string_view text);

/// Parses one of wrk's durations ("635.91us", "1.20ms", "2.00s", "1.50m")
/// into milliseconds.
std::optional<double> parse_wrk_duration_ms(std::string_view text);

/// Runs `wrk LOAD --latency --timeout 2s URL`, its report written to
/// report_file (kept) and its stderr to a file beside it. Throws
/// std::runtime_error when wrk fails or its report cannot be parsed.
WrkResult run_wrk(const std::filesystem::path& wrk, const WrkLoad& load, const std::string& url,
                  const std::filesystem::path& report_file);

}  // namespace lima::bench
