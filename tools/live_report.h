// The targets of the live sync benchmark and its reports: which results
// meet them, a table for people, and a JSON object for tools.
#pragma once

#include <iosfwd>

#include <nlohmann/json.hpp>

#include "live_bench.h"

namespace lima::bench {

/// A file written into a project → visible in the mount (paced creates), ms.
inline constexpr double kVisibleP50TargetMs = 100;
inline constexpr double kVisibleP99TargetMs = 300;
/// A burst of new files: its end → all of them indexed, seconds.
inline constexpr double kBurstTargetS = 5;
/// The daemon idling while it watches the library.
inline constexpr double kIdleCpuTargetPercent = 1;
inline constexpr long kIdleRssTargetKib = 150 * 1024;

struct LiveVerdict {
  bool visible_p50 = false;
  bool visible_p99 = false;
  bool burst_indexed = false;
  bool index_equal = false;
  bool idle_cpu = false;
  bool idle_rss = false;
  bool stop = false;

  bool all_ok() const {
    return visible_p50 && visible_p99 && burst_indexed && index_equal && idle_cpu && idle_rss && stop;
  }
};

LiveVerdict judge(const LiveBenchResults& r);

/// The table: one line per figure, with its baseline, their ratio and the
/// target with PASS/FAIL.
void print_report(std::ostream& out, const LiveBenchResults& r, const LiveBenchOptions& opt, const LiveVerdict& v,
                  bool enforced);

nlohmann::ordered_json report_json(const LiveBenchResults& r, const LiveBenchOptions& opt, const LiveVerdict& v,
                                   bool enforced);

}  // namespace lima::bench
