// A seeded pseudo-random generator for synthetic libraries: xoshiro256**
// seeded through splitmix64. Unlike <random> distributions, every value it
// produces is specified here, so a seed yields the same library on every
// platform and standard library.
#pragma once

#include <cmath>
#include <cstdint>

namespace lima::bench {

/// One splitmix64 step: advances state and returns a well-mixed 64-bit value.
constexpr std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// Derives an independent seed from a parent seed and a stream number, so
/// that e.g. file contents do not depend on the order files are planned in.
constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t s = seed ^ (stream * 0xd1342543de82ef95ULL);
  splitmix64(s);
  return splitmix64(s);
}

/// xoshiro256**: fast, 256-bit state, good enough for test data (not crypto).
class SeededRng {
 public:
  explicit constexpr SeededRng(std::uint64_t seed) {
    for (auto& word : s_) word = splitmix64(seed);
  }

  /// The next 64 random bits.
  constexpr std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform integer in [0, n); n must be > 0. (Plain modulo: the bias is
  /// negligible for the small ranges used here.)
  constexpr std::uint64_t below(std::uint64_t n) { return next() % n; }

  /// Uniform integer in [lo, hi].
  constexpr std::int64_t between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }

  /// Uniform double in [0, 1).
  constexpr double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /// True with probability p.
  constexpr bool chance(double p) { return uniform() < p; }

  /// Standard normal variate (Box–Muller; one value per call).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4]{};
};

}  // namespace lima::bench
