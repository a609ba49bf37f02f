// The targets of the search benchmark and its reports: a table per tier
// (per query class, limafs against FTS5), the word index's cost, the cold
// ls, the result-set comparison, and the same as one JSON object.
#pragma once

#include <iosfwd>

#include <nlohmann/json.hpp>

#include "search_bench.h"

namespace lima::bench {

/// limafs p50 and p99 / FTS5's, per class.
inline constexpr double kSearchRatioTarget = 1.0;
/// p99 of every search at tier M and tier L, milliseconds.
inline constexpr double kSearchP99MsM = 2.0;
inline constexpr double kSearchP99MsL = 10.0;
/// Cold `ls search/<query>/` p99 at tier M, milliseconds.
inline constexpr double kColdLsP99Ms = 10.0;
/// Scan with the word index / scan without it (initial and rescan).
inline constexpr double kScanCostTarget = 1.10;
/// The words table's share of the catalog on disk.
inline constexpr double kWordsShareTarget = 0.30;

struct SearchVerdict {
  bool sets_equal = true;  ///< never waived: a difference fails the run
  bool targets_met = true;
};

SearchVerdict judge(const SearchBenchResults& r);

void print_report(std::ostream& out, const SearchBenchResults& r, const SearchBenchOptions& opt, const SearchVerdict& v);

nlohmann::ordered_json report_json(const SearchBenchResults& r, const SearchBenchOptions& opt, const SearchVerdict& v);

}  // namespace lima::bench
