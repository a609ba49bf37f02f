// The targets of the mount benchmark and its reports: which results meet
// them, a table for people, and a JSON object for tools.
#pragma once

#include <iosfwd>

#include <nlohmann/json.hpp>

#include "mount_bench.h"

namespace lima::bench {

/// Warm ls -l of the projects' tag directory, mount time / tmpfs time.
inline constexpr double kLsRatioTarget = 1.0;
/// Requests per listed entry of one ls -l right after mounting.
inline constexpr double kColdRequestsPerEntryTarget = 1.01;
/// Warm find over the whole tree, mount time / tmpfs time.
inline constexpr double kFindRatioTarget = 1.0;
/// Warm ls -l of the assets' tag directory, seconds.
inline constexpr double kLsAssetsSecondsTarget = 0.5;
/// 99th percentile of tag/untag → visible, milliseconds.
inline constexpr double kFreshP99MsTarget = 50.0;

/// Which targets the results meet.
struct MountVerdict {
  bool ls_ratio = false;
  bool ls_no_requests = false;  ///< no request reached the daemon on warm ls -l
  bool cold_requests = false;
  bool find_ratio = false;
  bool ls_assets_time = false;
  bool fresh_tagged = false;    ///< also: no poll failed or timed out
  bool fresh_untagged = false;

  bool all_ok() const {
    return ls_ratio && ls_no_requests && cold_requests && find_ratio && ls_assets_time && fresh_tagged &&
           fresh_untagged;
  }
};

/// Requests per entry of the cold ls -l (entries: the projects).
double cold_requests_per_entry(const MountBenchResults& r);

MountVerdict judge(const MountBenchResults& r);

/// The table, one line per measurement with its target and PASS/FAIL, then
/// the request counts by operation where any reached the daemon.
void print_report(std::ostream& out, const MountBenchResults& r, const MountBenchOptions& opt,
                  const MountVerdict& v, bool enforced);

nlohmann::ordered_json report_json(const MountBenchResults& r, const MountBenchOptions& opt, const MountVerdict& v,
                                   bool enforced);

}  // namespace lima::bench
