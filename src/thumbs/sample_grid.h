// The supersampled picture the renderer draws into: a depth and a packed
// colour per sample, triangles drawn with a top-left fill rule, and what is
// done to the samples before they become pixels (gaps filled, outlines,
// the mean of each pixel's samples).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "thumbs/picture.h"

namespace lima::thumbs {

inline constexpr int kSubBits = 4;  // sub-sample precision of vertex positions
inline constexpr int kSub = 1 << kSubBits;

/// Colours are packed r | g << 8 | b << 16.
inline std::uint32_t pack_rgb(int r, int g, int b) {
  return static_cast<std::uint32_t>(r) | static_cast<std::uint32_t>(g) << 8 | static_cast<std::uint32_t>(b) << 16;
}

/// Samples: depth (larger is nearer; -infinity where nothing is drawn) and
/// colour, rows top to bottom.
struct SampleGrid {
  int size;  ///< samples per edge
  std::vector<float> depth;
  std::vector<std::uint32_t> colour;
};

/// A sample-space coordinate in fixed point, rounded to the nearest step
/// (inline: std::lrint is a library call).
inline std::int64_t to_fixed(float v) {
  const float f = v * kSub;
  return static_cast<std::int64_t>(f < 0.0f ? f - 0.5f : f + 0.5f);
}

/// Draws one triangle (already in sample space: x right, y down, z toward
/// the camera) with a top-left fill rule, so triangles sharing an edge
/// leave no gap and draw no sample twice. colour_of(p) gives its packed
/// colour, asked only when it covers a sample.
template <class ColourOf>
inline void draw_triangle(SampleGrid& t, const float* p, ColourOf&& colour_of) {
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
  const std::uint32_t colour = colour_of(p);
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

/// Fills the gaps a subset of a fine mesh leaves: a background sample
/// with drawn samples on three or four sides takes its nearest neighbour's
/// colour and depth. Twice, each pass from the previous one's picture.
void fill_gaps(SampleGrid& t);

/// Darkens (to shade / 256) the near side of every step in depth over
/// step_fraction of the grid's edge: the outline, and where a part stands
/// in front of another of the same shade; one sample wide.
void outline(SampleGrid& t, float step_fraction, std::uint32_t shade);

/// The picture: each pixel the mean of its samples x samples samples.
Raster downsample(const SampleGrid& t, int samples);

}  // namespace lima::thumbs
