// How fast index changes show in a mounted view: tag an asset through the
// catalog, then poll readlink() on the link the tag's directory should now
// hold until it appears; untag it and poll until the link is gone. Each
// latency runs from catalog.write() returning (the commit and its
// announcement done) to the first poll that sees the change.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "index/catalog.h"

namespace lima::bench {

/// An asset the probe may tag, with what its link must look like.
struct ProbeAsset {
  index::AssetId id = 0;
  std::string link_name;  ///< "<Project> - <file name>"
  std::string target;     ///< absolute path of the real file
};

/// Samples in milliseconds.
struct Latencies {
  std::vector<double> ms;
  /// Nearest-rank percentile, q in (0, 1]; 0 when empty.
  double percentile(double q) const;
  double max() const;
};

struct FreshnessResults {
  Latencies tagged;    ///< tag committed → link readable with the right target
  Latencies untagged;  ///< untag committed → link gone (ENOENT)
  Latencies writes;    ///< how long each catalog.write() itself took
  double first_tagged_ms = 0;    ///< the warm-up round, which creates the tag
  double first_untagged_ms = 0;
  std::size_t timeouts = 0;      ///< polls that gave up (counted as the timeout)
  double timeout_ms = 0;
  std::size_t errors = 0;        ///< readlink failures other than ENOENT (polled through)
  std::string first_error;
};

/// Runs one unrecorded warm-up round (creating `tag`), then `rounds`
/// recorded ones, each on the next of `assets` picked deterministically.
/// tag_dir is MOUNT/tags/<tag>. Throws std::runtime_error when the mount
/// is gone or the index refuses a change.
FreshnessResults measure_freshness(index::Catalog& catalog, const std::filesystem::path& tag_dir,
                                   const std::vector<ProbeAsset>& assets, int rounds, const std::string& tag);

}  // namespace lima::bench
