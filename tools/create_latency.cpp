#include "create_latency.h"

#include <sys/stat.h>

#include <map>
#include <optional>
#include <stdexcept>
#include <thread>

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;

/// Between two lstat() calls on a missing path. Through the mount each one
/// may reach the daemon, which is busy indexing the very file: polling
/// harder would slow down what it measures.
constexpr auto kPollInterval = std::chrono::microseconds(500);

/// File sizes: 1 KiB to 64 KiB of STL triangles.
constexpr std::int64_t kMinTriangles = (1024 - 84) / 50;
constexpr std::int64_t kMaxTriangles = (64 * 1024 - 84) / 50;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

/// Polls lstat(path) until it succeeds; the time it did, or nullopt after
/// `timeout`.
std::optional<Clock::time_point> wait_for(const stdfs::path& path, Clock::time_point since,
                                          std::chrono::milliseconds timeout) {
  struct stat st{};
  for (;;) {
    if (::lstat(path.c_str(), &st) == 0) return Clock::now();
    if (Clock::now() - since > timeout) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace

CreateProbe::CreateProbe(stdfs::path library, const LibraryPlan& plan, std::string name_prefix, std::uint64_t seed)
    : library_(std::move(library)), prefix_(std::move(name_prefix)), rng_(derive_seed(seed, 0x11fe)) {
  std::map<std::string, std::size_t, std::less<>> by_name;
  for (const auto& project : plan.projects) {
    by_name.emplace(project, folders_.size());
    folders_.push_back({project});
  }
  for (const auto& dir : plan.dirs) {
    const auto slash = dir.path.find('/');
    if (slash == std::string::npos) continue;
    if (const auto it = by_name.find(dir.path.substr(0, slash)); it != by_name.end()) {
      folders_[it->second].push_back(dir.path);
    }
  }
  if (folders_.empty()) throw std::runtime_error("the library plan holds no project");
}

LatencySeries CreateProbe::run(const stdfs::path& look_in, const LatencyOptions& opt, const AfterClose& after_close) {
  LatencySeries s;
  s.planned = opt.samples;
  int timeouts_in_a_row = 0;
  for (int i = 0; i < opt.samples; ++i) {
    const auto& project = folders_[rng_.below(folders_.size())];
    const bool below_top = project.size() > 1 && rng_.chance(0.5);
    const std::string& folder = below_top ? project[1 + rng_.below(project.size() - 1)] : project.front();
    const std::string rel = folder + "/" + prefix_ + std::to_string(++made_) + ".stl";
    const auto triangles = static_cast<std::uint64_t>(rng_.between(kMinTriangles, kMaxTriangles));

    const auto opened = Clock::now();
    maker_.create(library_ / rel, triangles, rng_.next());
    const auto closed = Clock::now();
    if (after_close) after_close(folder);
    const auto seen = wait_for(look_in / rel, closed, opt.timeout);

    s.write.ms.push_back(ms_between(opened, closed));
    s.bytes += stl_bytes(triangles);
    s.in_subfolders += below_top ? 1 : 0;
    if (seen) {
      s.visible.ms.push_back(ms_between(closed, *seen));
      timeouts_in_a_row = 0;
    } else {
      s.visible.ms.push_back(static_cast<double>(opt.timeout.count()));
      ++s.timeouts;
      if (++timeouts_in_a_row >= opt.give_up_after) {
        s.gave_up = i + 1 < opt.samples;
        break;
      }
    }
    if (opt.pause_max.count() > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(rng_.between(opt.pause_min.count(), opt.pause_max.count())));
    }
  }
  return s;
}

}  // namespace lima::bench
