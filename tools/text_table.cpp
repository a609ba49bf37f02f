#include "text_table.h"

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace lima::bench {

void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::vector<std::string>> cells = {header};
  for (const auto& r : rows) {
    cells.push_back(r);
    cells.back().resize(header.size());
  }
  std::vector<std::size_t> width(header.size(), 0);
  for (auto& line : cells) {
    for (std::size_t c = 0; c < line.size(); ++c) {
      if (line[c].empty()) line[c].push_back('-');
      width[c] = std::max(width[c], line[c].size());
    }
  }
  for (std::size_t l = 0; l < cells.size(); ++l) {
    std::string text;
    for (std::size_t c = 0; c < cells[l].size(); ++c) {
      if (c > 0) text += " | ";
      text += cells[l][c];
      if (c + 1 < cells[l].size()) text.append(width[c] - cells[l][c].size(), ' ');
    }
    out << text << "\n";
    if (l == 0) {
      std::string rule;
      for (std::size_t c = 0; c < width.size(); ++c) rule += (c ? "-|-" : "") + std::string(width[c], '-');
      out << rule << "\n";
    }
  }
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

}  // namespace lima::bench
