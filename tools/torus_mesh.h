// A synthetic model: a torus with bumps on its surface, tessellated into
// as many triangles as asked, written as binary STL records. It looks like
// a real part (closed surface, small triangles, smooth shading), so a
// renderer's time on it is the time it takes on real models; its
// proportions and bumps are drawn from a seed.
#pragma once

#include <cstdint>

namespace lima::bench {

/// The tessellation of one torus: a grid of `around` x `across` quads, two
/// triangles each, of which the first `triangles` are emitted (the last
/// row may be left partly open).
struct TorusMesh {
  std::uint64_t triangles = 0;
  std::uint32_t around = 0, across = 0;
  float major = 40, minor = 15;   ///< radii, in model units (mm)
  float bump = 0.08f;             ///< bump height, as a fraction of the minor radius
  int bumps_around = 24, bumps_across = 9;

  /// The mesh of `triangles` triangles (at least 1) for seed.
  static TorusMesh make(std::uint64_t triangles, std::uint64_t seed);

  /// Writes triangles [first, first + count) as 50-byte binary STL
  /// records (normal, three vertices, a zero attribute) to out.
  void write_records(std::uint64_t first, std::uint64_t count, unsigned char* out) const;
};

}  // namespace lima::bench
