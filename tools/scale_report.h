// The scale benchmark's report: one row per measurement with a column per
// tier, the growth from tier M to tier L (L / M), the target and whether it
// was met; printed as a table or as one JSON object.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scale_bench.h"

namespace lima::bench {

/// One measurement over the tiers run.
struct ScaleRow {
  std::string id;      ///< JSON key: "initial_ratio"
  std::string label;   ///< "initial index: limafs scan / baseline"
  std::string unit;    ///< "s", "ms", "MiB" or "x"
  std::vector<double> values;   ///< one per tier run, in order
  std::optional<double> growth; ///< L / M, when both ran
  std::string target;  ///< "" when none
  std::string verdict; ///< "met", "MISSED", or "" when no target applies
};

struct ScaleVerdict {
  std::vector<ScaleRow> rows;
  bool targets_met = true;
};

/// The rows, each checked against its targets (a tier's own limits; tier S
/// is held to tier M's; growth limits when both M and L ran).
ScaleVerdict judge(const ScaleBenchResults& results);

/// The tables and notes, for a reader.
void print_report(std::ostream& out, const ScaleBenchResults& results, const ScaleBenchOptions& options,
                  const ScaleVerdict& verdict);

/// Everything as one JSON object.
nlohmann::ordered_json report_json(const ScaleBenchResults& results, const ScaleBenchOptions& options,
                                   const ScaleVerdict& verdict);

}  // namespace lima::bench
