#include "torus_mesh.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "seeded_rng.h"

namespace lima::bench {
namespace {

constexpr double kTwoPi = 6.283185307179586;

struct Vec {
  double x, y, z;
};

Vec sub(Vec a, Vec b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }

Vec cross(Vec a, Vec b) { return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x}; }

void store_f32(unsigned char* p, double v) {
  const auto bits = std::bit_cast<std::uint32_t>(static_cast<float>(v));
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(bits >> (8 * i));
}

void store_vec(unsigned char* p, Vec v) {
  store_f32(p, v.x);
  store_f32(p + 4, v.y);
  store_f32(p + 8, v.z);
}

}  // namespace

TorusMesh TorusMesh::make(std::uint64_t triangles, std::uint64_t seed) {
  TorusMesh m;
  m.triangles = triangles < 1 ? 1 : triangles;
  // Twice as many quads around as across, 2 * around * across >= triangles.
  const std::uint64_t quads = (m.triangles + 1) / 2;
  m.across = static_cast<std::uint32_t>(std::max(3.0, std::ceil(std::sqrt(static_cast<double>(quads) / 2.0))));
  m.around = static_cast<std::uint32_t>(std::max<std::uint64_t>(3, (quads + m.across - 1) / m.across));
  SeededRng rng(seed);
  m.major = 30.0f + static_cast<float>(rng.below(30));
  m.minor = m.major * (0.2f + 0.3f * static_cast<float>(rng.uniform()));
  m.bump = 0.04f + 0.1f * static_cast<float>(rng.uniform());
  m.bumps_around = 6 + static_cast<int>(rng.below(30));
  m.bumps_across = 3 + static_cast<int>(rng.below(10));
  return m;
}

void TorusMesh::write_records(std::uint64_t first, std::uint64_t count, unsigned char* out) const {
  const auto vertex = [this](std::uint64_t i, std::uint64_t j) {
    const double u = kTwoPi * static_cast<double>(i % around) / around;
    const double v = kTwoPi * static_cast<double>(j % across) / across;
    const double r = minor * (1.0 + bump * std::sin(bumps_around * u) * std::sin(bumps_across * v));
    const double ring = major + r * std::cos(v);
    return Vec{ring * std::cos(u), ring * std::sin(u), r * std::sin(v)};
  };
  for (std::uint64_t t = first; t < first + count; ++t, out += 50) {
    const std::uint64_t quad = t / 2;
    const std::uint64_t i = quad / across, j = quad % across;
    const Vec a = vertex(i, j);
    const Vec b = t % 2 == 0 ? vertex(i + 1, j) : vertex(i + 1, j + 1);
    const Vec c = t % 2 == 0 ? vertex(i + 1, j + 1) : vertex(i, j + 1);
    Vec n = cross(sub(b, a), sub(c, a));
    const double len = std::sqrt(n.x * n.x + n.y * n.y + n.z * n.z);
    if (len > 0) n = {n.x / len, n.y / len, n.z / len};
    store_vec(out, n);
    store_vec(out + 12, a);
    store_vec(out + 24, b);
    store_vec(out + 36, c);
    out[48] = out[49] = 0;
  }
}

}  // namespace lima::bench
