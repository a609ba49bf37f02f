#include "thumbs/renderer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

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
constexpr float kMargin = 0.06f;  // of the picture's edge, on each side

constexpr int kSubBits = 4;  // sub-sample precision of vertex positions
constexpr int kSub = 1 << kSubBits;
constexpr int kLevels = 512;      // diffuse light intensities in the colour table
constexpr int kShineLevels = 32;  // highlight intensities in the colour table
constexpr float kMaxLight = 1.4f;

std::uint32_t pack(int r, int g, int b) {
  return static_cast<std::uint32_t>(r) | static_cast<std::uint32_t>(g) << 8 | static_cast<std::uint32_t>(b) << 16;
}

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
      table[static_cast<std::size_t>(s * kLevels + i)] = pack(to_srgb8(c.x), to_srgb8(c.y), to_srgb8(c.z));
    }
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
  std::vector<std::uint32_t> table = colour_table();

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

/// The supersampled picture being drawn: a depth (larger is nearer) and a
/// packed colour per sample.
struct Target {
  int size;  // samples per edge
  std::vector<float> depth;
  std::vector<std::uint32_t> colour;
};

std::uint64_t stride_for(std::size_t triangles, std::uint64_t budget) {
  if (budget == 0 || triangles <= budget) return 1;
  return (triangles + budget - 1) / budget;
}

/// A sample-space coordinate in fixed point, rounded to the nearest step
/// (inline: std::lrint is a library call).
inline std::int64_t to_fixed(float v) {
  const float f = v * kSub;
  return static_cast<std::int64_t>(f < 0.0f ? f - 0.5f : f + 0.5f);
}

/// Draws one triangle (already in sample space: x right, y down, z toward
/// the camera) with a top-left fill rule, so triangles sharing an edge
/// leave no gap and draw no sample twice.
inline void draw_triangle(Target& t, const float* p, const Shader& shader) {
  std::int64_t x0 = to_fixed(p[0]), y0 = to_fixed(p[1]);
  std::int64_t x1 = to_fixed(p[3]), y1 = to_fixed(p[4]);
  std::int64_t x2 = to_fixed(p[6]), y2 = to_fixed(p[7]);
  float z0 = p[2], z1 = p[5], z2 = p[8];
  // Sample centres at (i + 0.5): the samples whose centres are in the box.
  const std::int64_t half = kSub / 2;
  const std::int64_t min_x = std::max<std::int64_t>(0, (std::min({x0, x1, x2}) - half + kSub - 1) >> kSubBits);
  const std::int64_t max_x = std::min<std::int64_t>(t.size - 1, (std::max({x0, x1, x2}) - half) >> kSubBits);
  if (min_x > max_x) return;
  const std::int64_t min_y = std::max<std::int64_t>(0, (std::min({y0, y1, y2}) - half + kSub - 1) >> kSubBits);
  const std::int64_t max_y = std::min<std::int64_t>(t.size - 1, (std::max({y0, y1, y2}) - half) >> kSubBits);
  if (min_y > max_y) return;

  std::int64_t area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0);
  if (area == 0) return;
  if (area < 0) {  // seen from its back: drawn the same, wound the other way
    std::swap(x1, x2);
    std::swap(y1, y2);
    std::swap(z1, z2);
    area = -area;
  }
  const std::uint32_t colour = shader.colour(p);
  // Edge a->b: E(p) = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x),
  // positive inside. A sample exactly on an edge belongs to the triangle
  // only when the edge is a top edge (dy == 0, dx > 0) or a left edge (dy < 0).
  struct Edge {
    std::int64_t step_x, step_y, row;
  } e[3];
  const std::int64_t sx = (min_x << kSubBits) + half, sy = (min_y << kSubBits) + half;
  auto setup = [&](Edge& edge, std::int64_t ax, std::int64_t ay, std::int64_t bx, std::int64_t by) {
    const std::int64_t dx = bx - ax, dy = by - ay;
    const bool top_left = dy < 0 || (dy == 0 && dx > 0);
    edge.step_x = -dy * kSub;
    edge.step_y = dx * kSub;
    edge.row = dx * (sy - ay) - dy * (sx - ax) - (top_left ? 0 : 1);
  };
  setup(e[0], x1, y1, x2, y2);
  setup(e[1], x2, y2, x0, y0);
  setup(e[2], x0, y0, x1, y1);

  // Depth as a plane over the sample grid.
  const float inv = 1.0f / static_cast<float>(area);
  const float e1x = static_cast<float>(x1 - x0), e1y = static_cast<float>(y1 - y0);
  const float e2x = static_cast<float>(x2 - x0), e2y = static_cast<float>(y2 - y0);
  const float dz1 = z1 - z0, dz2 = z2 - z0;
  const float dzdx = (dz1 * e2y - dz2 * e1y) * inv, dzdy = (dz2 * e1x - dz1 * e2x) * inv;
  const float z_step_x = dzdx * kSub, z_step_y = dzdy * kSub;
  float z_row = z0 + dzdx * static_cast<float>(sx - x0) + dzdy * static_cast<float>(sy - y0);

  for (std::int64_t y = min_y; y <= max_y; ++y) {
    std::int64_t w0 = e[0].row, w1 = e[1].row, w2 = e[2].row;
    float z = z_row;
    const std::size_t row = static_cast<std::size_t>(y) * static_cast<std::size_t>(t.size);
    for (std::int64_t x = min_x; x <= max_x; ++x) {
      if ((w0 | w1 | w2) >= 0) {
        const std::size_t i = row + static_cast<std::size_t>(x);
        if (z > t.depth[i]) {
          t.depth[i] = z;
          t.colour[i] = colour;
        }
      }
      w0 += e[0].step_x;
      w1 += e[1].step_x;
      w2 += e[2].step_x;
      z += z_step_x;
    }
    e[0].row += e[0].step_y;
    e[1].row += e[1].step_y;
    e[2].row += e[2].step_y;
    z_row += z_step_y;
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
  const std::size_t step = static_cast<std::size_t>(stride) * 9;
  const float* xyz = mesh.xyz.data();
  const std::size_t end = triangles * 9;
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
  for (std::size_t i = 0; i < end; i += step) {
    for (int c = 0; c < 3; ++c) {
      const Vec3 v{xyz[i + c * 3], xyz[i + c * 3 + 1], xyz[i + c * 3 + 2]};
      const float w[3] = {dot(v, cam.right), dot(v, cam.up), dot(v, cam.toward)};
      for (int k = 0; k < 3; ++k) {
        lo[k] = std::min(lo[k], w[k]);
        hi[k] = std::max(hi[k], w[k]);
      }
    }
  }
  const float extent = std::max(hi[0] - lo[0], hi[1] - lo[1]);
  if (!std::isfinite(extent) || !std::isfinite(hi[2] - lo[2]))
    return failed(FailureKind::unparsable_model, "coordinates too large to draw");

  // Samples per pixel edge: 3x3 for small pictures, fewer as they grow (memory and time).
  const int samples = size <= 256 ? 3 : size <= 1024 ? 2 : 1;
  Target t{size * samples, {}, {}};
  const std::size_t count = static_cast<std::size_t>(t.size) * static_cast<std::size_t>(t.size);
  t.depth.assign(count, -std::numeric_limits<float>::infinity());
  t.colour.resize(count);
  for (int y = 0; y < t.size; ++y) {
    const int py = y / samples;
    const std::uint32_t bg = pack(background(0, py, size), background(1, py, size), background(2, py, size));
    std::fill_n(t.colour.begin() + static_cast<std::ptrdiff_t>(y) * t.size, t.size, bg);
  }
  // View space to sample space: the model's extent fills the picture, less the margins.
  const float half = static_cast<float>(t.size) * 0.5f;
  const float scale = static_cast<float>(t.size) * (1.0f - 2.0f * kMargin) / std::max(extent, 1e-30f);
  const float centre[3] = {(lo[0] + hi[0]) * 0.5f, (lo[1] + hi[1]) * 0.5f, (lo[2] + hi[2]) * 0.5f};

  const Shader shader{cam};
  float p[9];
  std::size_t drawn = 0;
  for (std::size_t i = 0; i < end; i += step) {
    if ((++drawn & 0xfff) == 0 && Clock::now() > deadline) return over_time();
    for (int k = 0; k < 3; ++k) {
      const Vec3 w{xyz[i + k * 3], xyz[i + k * 3 + 1], xyz[i + k * 3 + 2]};
      p[k * 3] = (dot(w, cam.right) - centre[0]) * scale + half;
      p[k * 3 + 1] = half - (dot(w, cam.up) - centre[1]) * scale;
      p[k * 3 + 2] = (dot(w, cam.toward) - centre[2]) * scale;
    }
    draw_triangle(t, p, shader);
  }

  // Down to pixels: the mean of each pixel's samples.
  Raster out;
  out.width = out.height = size;
  out.channels = 3;
  out.pixels.resize(static_cast<std::size_t>(size) * static_cast<std::size_t>(size) * 3);
  const int n = samples * samples;
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      int sum[3] = {0, 0, 0};
      for (int sy = 0; sy < samples; ++sy) {
        const std::uint32_t* row =
            &t.colour[static_cast<std::size_t>(y * samples + sy) * static_cast<std::size_t>(t.size) +
                      static_cast<std::size_t>(x * samples)];
        for (int sx = 0; sx < samples; ++sx) {
          sum[0] += static_cast<int>(row[sx] & 0xff);
          sum[1] += static_cast<int>(row[sx] >> 8 & 0xff);
          sum[2] += static_cast<int>(row[sx] >> 16 & 0xff);
        }
      }
      std::uint8_t* px =
          &out.pixels[(static_cast<std::size_t>(y) * static_cast<std::size_t>(size) + static_cast<std::size_t>(x)) * 3];
      for (int ch = 0; ch < 3; ++ch) px[ch] = static_cast<std::uint8_t>((sum[ch] + n / 2) / n);
    }
  }
  return out;
}

}  // namespace lima::thumbs
