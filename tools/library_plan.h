// The plan of a synthetic library: for a tier and a seed, the complete list of
// projects, folders and files (path, size, content seed, mtime) that the
// generator writes. Planning is pure and cheap, so the benchmark can re-derive
// the file list instead of walking the tree.
//
// Layout: library root -> one folder per project ("Articulated Dragon 0042")
// -> models/, images/, docs/ (some with one nested level, e.g. models/parts/)
// plus a few files directly in the project folder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lima::bench {

/// Library size class. XS is a small demo/test library; S and M are the
/// benchmark sizes.
enum class Tier { xs, s, m };

/// Parses "XS", "S" or "M" (any case).
std::optional<Tier> parse_tier(std::string_view name);
/// "XS", "S" or "M".
std::string_view tier_name(Tier tier);

/// Shape of a tier: how many projects and files, and the size distribution.
struct TierSpec {
  std::size_t projects;
  std::size_t files;
  double median_size;           ///< bytes, of the log-normal size distribution
  double sigma;                 ///< of the underlying normal distribution
  std::uint64_t max_size;       ///< cap for ordinary files
  std::size_t big_files;        ///< extra-large files, beyond the cap
  std::uint64_t big_min;        ///< size range of the extra-large files
  std::uint64_t big_max;
};

/// The parameters of a tier.
const TierSpec& tier_spec(Tier tier);

/// One file to write.
struct PlannedFile {
  std::string path;                 ///< relative to the library root, '/'-separated
  std::uint64_t size = 0;
  std::uint64_t content_seed = 0;   ///< same seed + size + kind => same bytes
  std::int64_t mtime = 0;           ///< seconds since the epoch
  std::uint32_t project = 0;        ///< index into LibraryPlan::projects
  bool stl = false;                 ///< binary STL (a tessellated torus) rather than random bytes
  bool png = false;                 ///< a PNG picture (an image file, whatever its extension)
  std::int64_t duplicate_of = -1;   ///< index of the file whose content it copies
};

/// One folder to create; its mtime is set after its contents are written.
struct PlannedDir {
  std::string path;  ///< relative to the library root
  std::int64_t mtime = 0;
};

/// Everything the generator writes, in a fixed order.
struct LibraryPlan {
  Tier tier = Tier::xs;
  std::uint64_t seed = 0;
  std::int64_t root_mtime = 0;
  std::vector<std::string> projects;  ///< project folder names
  std::vector<PlannedDir> dirs;       ///< parents before children
  std::vector<PlannedFile> files;

  /// Sum of all file sizes.
  std::uint64_t total_bytes() const;
  /// Number of files whose content copies a file of another project.
  std::size_t duplicate_count() const;
};

/// Plans the library for tier and seed. Deterministic: the same arguments
/// give the same plan on every platform.
LibraryPlan plan_library(Tier tier, std::uint64_t seed);

/// Picks max(1, round(files * fraction)) distinct file indices, determined by
/// seed, in ascending order.
std::vector<std::size_t> pick_files(const LibraryPlan& plan, double fraction, std::uint64_t seed);

}  // namespace lima::bench
