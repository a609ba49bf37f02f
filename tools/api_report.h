// The targets of the API benchmark and its reports: which results meet
// them, a table for people, and a JSON object for tools.
#pragma once

#include <iosfwd>

#include <nlohmann/json.hpp>

#include "api_bench.h"

namespace lima::bench {

/// GET /api/v1/status on one keep-alive connection (wrk -t1 -c1), req/s.
inline constexpr double kStatusOneRateTarget = 10'000;
/// GET /api/v1/status on 64 keep-alive connections (wrk -t2 -c64): the
/// slowest request, milliseconds.
inline constexpr double kStatusManyMaxMsTarget = 100;
/// GET /api/v1/projects?tag=bench&limit=50 on 8 connections (wrk -t2 -c8), req/s.
inline constexpr double kTaggedPageRateTarget = 5'000;

/// Which targets the results meet. Every target also wants no socket
/// error, no timeout and no error response during its load.
struct ApiVerdict {
  bool status_one = false;
  bool status_many = false;
  bool tagged_page = false;

  bool all_ok() const { return status_one && status_many && tagged_page; }
};

ApiVerdict judge(const ApiBenchResults& r);

/// The table, one line per figure with the baseline's figure under the
/// same load, their ratio, and the target with PASS/FAIL.
void print_report(std::ostream& out, const ApiBenchResults& r, const ApiBenchOptions& opt, const ApiVerdict& v,
                  bool enforced);

nlohmann::ordered_json report_json(const ApiBenchResults& r, const ApiBenchOptions& opt, const ApiVerdict& v,
                                   bool enforced);

}  // namespace lima::bench
