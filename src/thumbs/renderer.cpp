// render_mesh: the camera, the lights and the fit of the model to the
// picture; the triangles drawn (all, or a subset over the budget) into a
// SampleGrid.
#include "thumbs/renderer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "thumbs/sample_grid.h"

namespace lima::thumbs {
namespace {

struct Vec3 {
  float x, y, z;
};
Vec3 operator-(Vec3 a, Vec3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
Vec3 operator+(Vec3 a, Vec3 b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
Vec3 operator*(Vec3 a, float s) { return {a.x * s, a.y * s, a.z * s}; }
float dot(Vec3 a, Vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
Vec3 cross(Vec3 a, Vec3 b) { return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x}; }
Vec3 normalized(Vec3 a) { return a * (1.0f / std::sqrt(dot(a, a))); }

// The look. Colours are sRGB; lighting is computed in linear light.
constexpr Vec3 kToCamera = {1.0f, -1.35f, 1.05f};  // front-right-top
constexpr Vec3 kKey = {-0.3f, -0.4f, 1.0f};        // from above, a little front-left
constexpr Vec3 kFill = {1.0f, -0.3f, 0.2f};        // from the right
constexpr float kAmbientLight = 0.12f, kKeyLight = 0.85f, kFillLight = 0.2f, kSkyLight = 0.1f;
constexpr float kShine = 0.25f;                       // a white highlight of the key light
constexpr Vec3 kModelColour = {0.13f, 0.32f, 0.70f};  // linear: a clear blue
constexpr std::uint8_t kTop[3] = {246, 247, 249}, kBottom[3] = {211, 215, 221};
constexpr float kMargin = 0.06f;              // of the picture's edge, on each side
constexpr float kGrowth = 1.5f;               // samples a triangle of a subset may grow by
constexpr float kOutlineStep = 0.02f;         // a step in depth outlined: of the picture's edge
constexpr std::uint32_t kOutlineShade = 150;  // of 256: an outline's brightness

constexpr int kLevels = 512;      // diffuse light intensities in the colour table
constexpr int kShineLevels = 32;  // highlight intensities in the colour table
constexpr float kMaxLight = 1.4f;

int to_srgb8(float linear) {
  linear = std::clamp(linear, 0.0f, 1.0f);
  const float s = linear <= 0.0031308f ? linear * 12.92f : 1.055f * std::pow(linear, 1.0f / 2.4f) - 0.055f;
  return static_cast<int>(std::lround(s * 255.0f));
}

/// The model's colour, packed sRGB, at each diffuse light 0..kMaxLight
/// (kLevels) and highlight 0..1 (kShineLevels): [shine * kLevels + light].
std::vector<std::uint32_t> colour_table() {
  std::vector<std::uint32_t> table(kLevels * kShineLevels);
  for (int s = 0; s < kShineLevels; ++s)
    for (int i = 0; i < kLevels; ++i) {
      const float light = kMaxLight * static_cast<float>(i) / (kLevels - 1);
      const float shine = kShine * static_cast<float>(s) / (kShineLevels - 1);
      const Vec3 c = kModelColour * light + Vec3{shine, shine, shine};
      table[static_cast<std::size_t>(s * kLevels + i)] = pack_rgb(to_srgb8(c.x), to_srgb8(c.y), to_srgb8(c.z));
    }
  return table;
}

/// The colour table, made once (thread-safe: a function-local static).
const std::vector<std::uint32_t>& shared_colour_table() {
  static const std::vector<std::uint32_t> table = colour_table();
  return table;
}

/// The orthographic camera: world to (right, up, toward the camera); and
/// the lights, in sample space (x right, y down, z toward the camera) where
/// triangles are lit.
struct Camera {
  Vec3 right, up, toward;
  Vec3 key, fill;  // directions to the lights
  Vec3 halfway;    // between the key light and the camera: where highlights are
  Vec3 sky;        // the world's up

  Camera() {
    toward = normalized(kToCamera);
    right = normalized(cross(toward * -1.0f, Vec3{0, 0, 1}));
    up = cross(right, toward * -1.0f);
    key = to_samples(normalized(kKey));
    fill = to_samples(normalized(kFill));
    halfway = normalized(key + Vec3{0, 0, 1});
    sky = to_samples(Vec3{0, 0, 1});
  }
  Vec3 to_samples(Vec3 w) const { return {dot(w, right), -dot(w, up), dot(w, toward)}; }
};

/// A triangle's colour: flat shading, lit on the side the camera sees.
struct Shader {
  const Camera& cam;
  const std::vector<std::uint32_t>& table = shared_colour_table();

  /// The colour of the triangle p (sample space, 9 floats).
  std::uint32_t colour(const float* p) const {
    const Vec3 a{p[0], p[1], p[2]}, b{p[3], p[4], p[5]}, c{p[6], p[7], p[8]};
    Vec3 n = cross(b - a, c - a);
    const float len2 = dot(n, n);
    if (!(len2 > 0.0f)) return table[0];
    n = n * (1.0f / std::sqrt(len2));
    if (n.z < 0.0f) n = n * -1.0f;
    const float light = kAmbientLight + kKeyLight * std::max(0.0f, dot(n, cam.key)) +
                        kFillLight * std::max(0.0f, dot(n, cam.fill)) + kSkyLight * (0.5f + 0.5f * dot(n, cam.sky));
    float shine = std::max(0.0f, dot(n, cam.halfway));
    shine *= shine;
    shine *= shine;
    shine *= shine;
    shine *= shine;  // a power of 16
    const int level = std::clamp(static_cast<int>(light * ((kLevels - 1) / kMaxLight) + 0.5f), 0, kLevels - 1);
    const int glint = std::clamp(static_cast<int>(shine * (kShineLevels - 1) + 0.5f), 0, kShineLevels - 1);
    return table[static_cast<std::size_t>(glint * kLevels + level)];
  }
};

std::uint64_t stride_for(std::size_t triangles, std::uint64_t budget) {
  if (budget == 0 || triangles <= budget) return 1;
  return (triangles + budget - 1) / budget;
}

/// The triangles drawn, in order: every one, or over the budget one of each
/// run of `stride` consecutive triangles, at a position that varies from run
/// to run (a fixed one would pick the same column of a regular mesh's grid
/// each time, drawing stripes).
template <class F>
void for_each_drawn(std::size_t triangles, std::uint64_t stride, F&& f) {
  if (stride == 1) {
    for (std::size_t t = 0; t < triangles; ++t)
      if (!f(t)) return;
    return;
  }
  for (std::uint64_t run = 0; run * stride < triangles; ++run) {
    std::uint64_t h = run * 0x9e3779b97f4a7c15ull;  // a cheap mix of the run number
    h ^= h >> 29;
    const std::uint64_t t = run * stride + h % stride;
    if (t < triangles && !f(static_cast<std::size_t>(t))) return;
  }
}

/// Grows a small triangle (sample space) about its centre, at most
/// `max_growth` times and by at most about kGrowth samples, so that a
/// subset of a fine mesh covers its surface. Large triangles keep their size.
void grow(float* p, float max_growth) {
  const float cx = (p[0] + p[3] + p[6]) / 3, cy = (p[1] + p[4] + p[7]) / 3, cz = (p[2] + p[5] + p[8]) / 3;
  float r2 = 0;
  for (int k = 0; k < 9; k += 3) r2 = std::max(r2, (p[k] - cx) * (p[k] - cx) + (p[k + 1] - cy) * (p[k + 1] - cy));
  const float r = std::sqrt(r2);
  if (!(r > 0.0f)) return;
  const float f = std::min(max_growth, (r + kGrowth) / r);
  for (int k = 0; k < 9; k += 3) {
    p[k] = cx + (p[k] - cx) * f;
    p[k + 1] = cy + (p[k + 1] - cy) * f;
    p[k + 2] = cz + (p[k + 2] - cz) * f;
  }
}

std::uint8_t background(int channel, int y, int size) {
  const float f = size > 1 ? static_cast<float>(y) / static_cast<float>(size - 1) : 0.0f;
  return static_cast<std::uint8_t>(std::lround(kTop[channel] + (kBottom[channel] - kTop[channel]) * f));
}

}  // namespace

Outcome<Raster> render_mesh(const Mesh& mesh, int size, const Limits& limits, Deadline deadline) {
  if (size < 1 || size > kMaxRenderSize)
    return failed(FailureKind::over_cap,
                  "picture size " + std::to_string(size) + " is not in 1.." + std::to_string(kMaxRenderSize));
  const std::size_t triangles = mesh.triangles();
  if (triangles == 0) return failed(FailureKind::unparsable_model, "no triangles");
  const std::uint64_t stride = stride_for(triangles, limits.triangle_budget);
  const float* xyz = mesh.xyz.data();
  const Camera cam;
  auto over_time = [&] {
    const auto ms = limits.max_time.count();
    return failed(FailureKind::over_cap, ms % 1000 == 0 ? "took longer than " + std::to_string(ms / 1000) + " s"
                                                        : "took longer than " + std::to_string(ms) + " ms");
  };

  // The drawn triangles' extent in view space.
  float lo[3], hi[3];
  std::fill_n(lo, 3, std::numeric_limits<float>::max());
  std::fill_n(hi, 3, -std::numeric_limits<float>::max());
  for_each_drawn(triangles, stride, [&](std::size_t triangle) {
    const std::size_t i = triangle * 9;
    for (int c = 0; c < 3; ++c) {
      const Vec3 v{xyz[i + c * 3], xyz[i + c * 3 + 1], xyz[i + c * 3 + 2]};
      const float w[3] = {dot(v, cam.right), dot(v, cam.up), dot(v, cam.toward)};
      for (int k = 0; k < 3; ++k) {
        lo[k] = std::min(lo[k], w[k]);
        hi[k] = std::max(hi[k], w[k]);
      }
    }
    return true;
  });
  const float extent = std::max(hi[0] - lo[0], hi[1] - lo[1]);
  if (!std::isfinite(extent) || !std::isfinite(hi[2] - lo[2]))
    return failed(FailureKind::unparsable_model, "coordinates too large to draw");

  // Samples per pixel edge: 3x3 for small pictures, fewer as they grow (memory and time).
  const int samples = size <= 256 ? 3 : size <= 1024 ? 2 : 1;
  SampleGrid t{size * samples, {}, {}};
  const std::size_t count = static_cast<std::size_t>(t.size) * static_cast<std::size_t>(t.size);
  t.depth.assign(count, -std::numeric_limits<float>::infinity());
  t.colour.resize(count);
  for (int y = 0; y < t.size; ++y) {
    const int py = y / samples;
    const std::uint32_t bg = pack_rgb(background(0, py, size), background(1, py, size), background(2, py, size));
    std::fill_n(t.colour.begin() + static_cast<std::ptrdiff_t>(y) * t.size, t.size, bg);
  }
  // View space to sample space: the model's extent fills the picture, less the margins.
  const float half = static_cast<float>(t.size) * 0.5f;
  const float scale = static_cast<float>(t.size) * (1.0f - 2.0f * kMargin) / std::max(extent, 1e-30f);
  const float centre[3] = {(lo[0] + hi[0]) * 0.5f, (lo[1] + hi[1]) * 0.5f, (lo[2] + hi[2]) * 0.5f};

  const Shader shader{cam};
  float p[9];
  std::size_t drawn = 0;
  // Over the budget, each triangle drawn stands for `stride` of its
  // neighbourhood: small ones grow to cover about that much.
  const float max_growth = 2.0f * std::sqrt(static_cast<float>(stride));
  bool late = false;
  for_each_drawn(triangles, stride, [&](std::size_t triangle) {
    if ((++drawn & 0xfff) == 0 && Clock::now() > deadline) {
      late = true;
      return false;
    }
    const std::size_t i = triangle * 9;
    for (int k = 0; k < 3; ++k) {
      const Vec3 w{xyz[i + k * 3], xyz[i + k * 3 + 1], xyz[i + k * 3 + 2]};
      p[k * 3] = (dot(w, cam.right) - centre[0]) * scale + half;
      p[k * 3 + 1] = half - (dot(w, cam.up) - centre[1]) * scale;
      p[k * 3 + 2] = (dot(w, cam.toward) - centre[2]) * scale;
    }
    if (stride > 1) grow(p, max_growth);
    draw_triangle(t, p, [&](const float* q) { return shader.colour(q); });
    return true;
  });
  if (late) return over_time();
  if (stride > 1) fill_gaps(t);

  if (stride == 1)
    outline(t, kOutlineStep, kOutlineShade);  // grown triangles of a subset would be outlined as speckles

  return downsample(t, samples);
}

}  // namespace lima::thumbs
