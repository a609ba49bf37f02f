// The files a benchmark adds to a generated library while a daemon watches
// it: small binary STL files written the way a slicer or a download would
// (open, write, close), all named with one prefix so that a run can sweep
// away whatever it, or an interrupted earlier run, added. The generated
// libraries are shared with `limafs-bench run` and `api`, which expect them
// exactly as generated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace lima::bench {

/// Every file and folder the benchmark adds to a library starts with this.
inline constexpr std::string_view kScratchPrefix = "limafs-live-";

/// Size of a binary STL file of `triangles` triangles (84 + 50 n bytes).
constexpr std::uint64_t stl_bytes(std::uint64_t triangles) { return 84 + 50 * triangles; }

/// Writes new files; keeps one scratch buffer for all of them.
class FileMaker {
 public:
  FileMaker();

  /// Creates `path`, which must not exist, as a binary STL file of
  /// `triangles` triangles whose bytes derive from `seed` (distinct seeds
  /// give distinct content), and closes it. Throws std::system_error.
  void create(const std::filesystem::path& path, std::uint64_t triangles, std::uint64_t seed);

 private:
  std::vector<unsigned char> buffer_;
};

/// A prefix for this run's names: kScratchPrefix plus a tag of the process
/// and the time ("limafs-live-3f2a91c0-").
std::string scratch_run_prefix();

/// Removes every file and folder anywhere under library whose name starts
/// with kScratchPrefix; returns how many top-most entries it removed.
/// Throws std::runtime_error when one cannot be removed.
std::size_t sweep_scratch(const std::filesystem::path& library);

}  // namespace lima::bench
