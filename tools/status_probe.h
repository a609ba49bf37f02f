// A client that keeps asking a daemon's API for one path (GET
// /api/v1/status) at a steady pace on its own keep-alive connection, in a
// thread of its own, and records how long each answer took: how responsive
// the daemon stays while it works on something else.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <thread>

#include "freshness_probe.h"

namespace lima::bench {

struct ProbeResults {
  Latencies latencies;   ///< of the answers that were 200
  std::size_t errors = 0;
  std::string first_error;
};

class StatusProbe {
 public:
  /// Starts asking `url` + `path` every `interval` (the next request goes
  /// `interval` after the previous one started, or at once when it took
  /// longer).
  StatusProbe(const std::string& url, std::string path, std::chrono::milliseconds interval);
  /// Stops the thread if finish() was not called.
  ~StatusProbe();
  StatusProbe(const StatusProbe&) = delete;
  StatusProbe& operator=(const StatusProbe&) = delete;

  /// Stops asking (after the request in flight) and returns what was seen.
  ProbeResults finish();

 private:
  void run(const std::string& url, const std::string& path, std::chrono::milliseconds interval);

  std::atomic<bool> stop_{false};
  ProbeResults results_;
  std::thread thread_;
};

}  // namespace lima::bench
