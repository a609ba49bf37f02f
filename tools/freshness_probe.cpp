#include "freshness_probe.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "index/metadata.h"

namespace lima::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kTimeoutSeconds = 5.0;
/// Polls back to back for this long, then with short sleeps, so a slow
/// round does not starve the daemon's threads of the CPU.
constexpr double kSpinSeconds = 0.002;
constexpr long kPollSleepNs = 100'000;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

class Prober {
 public:
  Prober(index::Catalog& catalog, const std::filesystem::path& tag_dir, const std::string& tag)
      : catalog_(catalog), meta_(catalog), tag_dir_(tag_dir), tag_(tag) {}

  /// Tags (or untags) the asset and returns the latency until the view shows it.
  double change(const ProbeAsset& a, bool tag) {
    std::string error;
    const auto start = Clock::now();
    catalog_.write([&](index::WriteTxn& t) {
      error.clear();  // the transaction may be run again
      if (tag) {
        if (auto r = meta_.tag_asset(t, a.id, tag_); !r) error = r.error().message;
      } else if (auto r = meta_.untag_asset(t, a.id, tag_); !r) {
        error = r.error().message;
      }
    });
    const auto committed = Clock::now();
    if (!error.empty()) throw std::runtime_error("cannot " + std::string(tag ? "tag" : "untag") + " asset " +
                                                 std::to_string(a.id) + ": " + error);
    results.writes.ms.push_back(std::chrono::duration<double, std::milli>(committed - start).count());
    const double ms = poll((tag_dir_ / a.link_name).string(), a.target, !tag, committed);
    if (ms >= 0) return ms;
    ++results.timeouts;
    return kTimeoutSeconds * 1000.0;
  }

  FreshnessResults results;

 private:
  /// Polls readlink(path) until it returns `target` (want_gone false) or
  /// fails with ENOENT (want_gone true). Other errors are counted and
  /// polled through, unless the mount is gone. Returns the latency in ms,
  /// or a negative value after the timeout.
  double poll(const std::string& path, const std::string& target, bool want_gone, Clock::time_point t0) {
    char buf[PATH_MAX];
    for (;;) {
      const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
      if (n >= 0) {
        if (!want_gone && std::string_view(buf, static_cast<std::size_t>(n)) == target) return ms_since(t0);
      } else if (errno == ENOENT) {
        if (want_gone) return ms_since(t0);
      } else if (errno == ENOTCONN || errno == ECONNABORTED) {
        throw std::runtime_error("readlink " + path + ": " + std::strerror(errno) + " (the mount is gone)");
      } else if (errno != EINTR) {
        if (results.errors++ == 0) results.first_error = "readlink " + path + ": " + std::strerror(errno);
      }
      const double elapsed = ms_since(t0) / 1000.0;
      if (elapsed > kTimeoutSeconds) return -1;
      if (elapsed > kSpinSeconds) {
        const timespec pause{0, kPollSleepNs};
        ::nanosleep(&pause, nullptr);
      }
    }
  }

  index::Catalog& catalog_;
  index::Metadata meta_;
  std::filesystem::path tag_dir_;
  std::string tag_;
};

}  // namespace

double Latencies::percentile(double q) const {
  if (ms.empty()) return 0;
  std::vector<double> v = ms;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

double Latencies::max() const { return ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end()); }

FreshnessResults measure_freshness(index::Catalog& catalog, const std::filesystem::path& tag_dir,
                                   const std::vector<ProbeAsset>& assets, int rounds, const std::string& tag) {
  if (assets.empty()) throw std::runtime_error("no asset to tag");
  Prober p(catalog, tag_dir, tag);
  p.results.timeout_ms = kTimeoutSeconds * 1000.0;
  // The kernel has looked the tag's directory up (and found nothing) before
  // the first change, as it would have for anyone browsing MOUNT/tags.
  struct stat st {};
  ::lstat(tag_dir.c_str(), &st);
  const std::size_t n = assets.size();
  const auto pick = [&](std::size_t round) { return assets[(round * 2654435761u + n / 2) % n]; };
  const ProbeAsset first = pick(static_cast<std::size_t>(rounds));
  p.results.first_tagged_ms = p.change(first, true);
  p.results.first_untagged_ms = p.change(first, false);
  for (int r = 0; r < rounds; ++r) {
    const ProbeAsset a = pick(static_cast<std::size_t>(r));
    p.results.tagged.ms.push_back(p.change(a, true));
    p.results.untagged.ms.push_back(p.change(a, false));
  }
  return p.results;
}

}  // namespace lima::bench
