// Progress lines of a benchmark, one per step, on its log stream (none when
// the stream is null).
#pragma once

#include <ostream>
#include <string>

namespace lima::bench {

class Progress {
 public:
  explicit Progress(std::ostream* log) : log_(log) {}
  void operator()(const std::string& line) const {
    if (log_) *log_ << line << "\n" << std::flush;
  }

 private:
  std::ostream* log_;
};

}  // namespace lima::bench
