// A plain-text table for the benchmark reports: a header row, a rule, then
// one row per measurement, columns padded to their widest cell and
// separated by " | ". Empty cells print as "-".
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace lima::bench {

/// Prints header and rows (rows may be shorter than the header; missing
/// cells are empty).
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

/// printf-style formatting of one number ("%.3f s").
std::string fmt(const char* format, double v);

}  // namespace lima::bench
