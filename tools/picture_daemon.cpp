#include "picture_daemon.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <thread>

namespace lima::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kApiTimeout = std::chrono::seconds(60);

std::vector<std::string> worker_args(int workers) { return {"--thumb-workers", std::to_string(workers)}; }

std::uint64_t count_of(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>()
         : it != j.end() && it->is_number_integer() ? static_cast<std::uint64_t>(std::max<std::int64_t>(0, it->get<std::int64_t>()))
                                                     : 0;
}

std::string counts_text(const PictureCounts& c) {
  return "queued " + std::to_string(c.queued) + ", running " + std::to_string(c.running) + ", made " +
         std::to_string(c.made) + ", failed " + std::to_string(c.failed);
}

}  // namespace

std::optional<PictureCounts> picture_counts(const nlohmann::json& status) {
  const auto it = status.find("pictures");
  if (it == status.end() || !it->is_object()) return std::nullopt;
  PictureCounts c;
  c.queued = count_of(*it, "queued");
  c.running = count_of(*it, "running");
  c.made = count_of(*it, "made");
  c.failed = count_of(*it, "failed");
  c.workers = static_cast<int>(count_of(*it, "workers"));
  if (const auto ps = it->find("per_second"); ps != it->end() && ps->is_number()) c.per_second = ps->get<double>();
  return c;
}

PictureDaemon::PictureDaemon(const PictureDaemonOptions& o)
    : started_(Clock::now()),
      process_(o.limafs, o.library, o.mountpoint, o.state, o.log_file, worker_args(o.workers)),
      url_(process_.wait_for_api(kApiTimeout)),
      api_(std::make_unique<DaemonApi>(url_)) {}

PictureDaemon::~PictureDaemon() { stop(); }

double PictureDaemon::seconds() const { return std::chrono::duration<double>(Clock::now() - started_).count(); }

double PictureDaemon::wait_serving(std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    process_.check_running();
    if (api_->healthy()) {
      const nlohmann::json status = api_->get("/api/v1/status");
      const auto mount = status.find("mount");
      if (mount != status.end() && mount->is_object() && mount->value("mounted", false)) return seconds();
    }
    if (Clock::now() > deadline) throw std::runtime_error("the daemon did not serve (mount its view) in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

PictureCounts PictureDaemon::counts() {
  const auto c = picture_counts(api_->get("/api/v1/status"));
  if (!c) throw std::runtime_error("GET /api/v1/status has no \"pictures\" object: does this limafs make pictures?");
  return *c;
}

PictureCounts PictureDaemon::wait_until(const std::function<bool(const PictureCounts&)>& done,
                                        std::chrono::seconds timeout, std::chrono::milliseconds poll) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    process_.check_running();
    const PictureCounts c = counts();
    rss_max_kib_ = std::max(rss_max_kib_, sample().rss_kib);
    if (done(c)) return c;
    if (Clock::now() > deadline) {
      throw std::runtime_error("the pictures were not done in " + std::to_string(timeout.count()) + " s (" +
                               counts_text(c) + ")");
    }
    std::this_thread::sleep_for(poll);
  }
}

DaemonStop PictureDaemon::stop() {
  api_.reset();
  return process_.stop(std::chrono::seconds(60));
}

}  // namespace lima::bench
