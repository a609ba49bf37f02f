// The synthetic library generator: writes the library a LibraryPlan describes
// to disk, byte for byte and mtime for mtime reproducible from (tier, seed).
//
// STL files are valid binary STL (80-byte header, little-endian triangle
// count, 50-byte triangles) holding a tessellated, bumpy torus (torus_mesh.h);
// image files (.png, .jpg, .webp) are valid PNG pictures whatever their
// extension (synthetic_png.h; random bytes when under kMinSyntheticPng);
// every other file is seeded pseudo-random bytes.
// A finished library holds a stamp file (kStampName, a dot-file the indexer
// ignores) naming its tier and seed, which makes regeneration a no-op.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "library_plan.h"

namespace lima::bench {

/// Name of the stamp file written last into a generated library's root.
inline constexpr std::string_view kStampName = ".limafs-bench-stamp";

/// The library could not be generated (target not empty, I/O error, ...).
class GenerateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What a generated library holds, and how long writing it took.
struct GenStats {
  Tier tier = Tier::xs;
  std::uint64_t seed = 0;
  std::uint64_t projects = 0;
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  std::uint64_t duplicates = 0;
  double seconds = 0;            ///< 0 when the library was already there
  bool already_generated = false;
};

/// Writes the library for (tier, seed) into dir, creating dir if needed.
/// dir must be missing or empty, or hold the stamp of the same tier and seed
/// (then nothing is written and already_generated is set). Progress lines
/// go to log when it is not null. Throws GenerateError.
GenStats generate_library(const std::filesystem::path& dir, Tier tier, std::uint64_t seed,
                          std::ostream* log = nullptr);

/// Where the benchmarks keep the library of a tier and seed: WORK/lib-TIER-SEED.
std::filesystem::path bench_library_dir(const std::filesystem::path& work, Tier tier, std::uint64_t seed);

/// "reusing DIR", or "generated DIR in N s": what generate_library() did.
std::string generated_text(const GenStats& stats, const std::filesystem::path& dir);

/// Reads the stamp in dir; nullopt when there is none or it is unreadable.
std::optional<GenStats> read_stamp(const std::filesystem::path& dir);

/// Writes the content of one planned file to an open file descriptor, using
/// buffer (at least 64 KiB, a multiple of 8 bytes) as scratch space; the
/// bytes written do not depend on the buffer size. Returns false on a write error
/// (errno is set).
bool write_file_content(int fd, const PlannedFile& file, unsigned char* buffer, std::size_t buffer_size);

}  // namespace lima::bench
