// Shows a running sync's progress: a redrawn status line with a bar, files/s,
// MB/s and ETA on a terminal; a plain line every few seconds otherwise.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "index/sync.h"

namespace lima::cli {

/// Formats a byte count for people: "812 B", "1.4 MB", "3.21 GB".
std::string human_bytes(double bytes);
/// Formats a duration: "0.42 s", "12.3 s", "4:05", "1:02:03".
std::string human_duration(double seconds);

/// One line describing `p` after `elapsed` seconds, at most `width` columns.
std::string render_progress(const index::SyncProgress& p, double elapsed, std::size_t width, bool bar);

class ProgressView {
 public:
  /// Draws to `out` from a background thread until stop().
  ProgressView(const index::SyncProgress& p, std::FILE* out, bool tty);
  ~ProgressView();
  /// Stops drawing and clears the status line.
  void stop();

 private:
  void loop();

  const index::SyncProgress& p_;
  std::FILE* out_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace lima::cli
