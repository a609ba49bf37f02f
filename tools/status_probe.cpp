#include "status_probe.h"

#include <httplib.h>

namespace lima::bench {

StatusProbe::StatusProbe(const std::string& url, std::string path, std::chrono::milliseconds interval)
    : thread_([this, url, path = std::move(path), interval] { run(url, path, interval); }) {}

StatusProbe::~StatusProbe() { finish(); }

ProbeResults StatusProbe::finish() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return results_;
}

void StatusProbe::run(const std::string& url, const std::string& path, std::chrono::milliseconds interval) {
  using Clock = std::chrono::steady_clock;
  httplib::Client client(url);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  client.set_keep_alive(true);
  auto next = Clock::now();
  while (!stop_) {
    const auto start = Clock::now();
    const auto res = client.Get(path);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (res && res->status == 200) {
      results_.latencies.ms.push_back(ms);
    } else {
      if (results_.errors++ == 0) {
        results_.first_error = res ? "status " + std::to_string(res->status) : httplib::to_string(res.error());
      }
    }
    next += interval;
    const auto now = Clock::now();
    if (next < now) next = now;
    std::this_thread::sleep_until(next);
  }
}

}  // namespace lima::bench
