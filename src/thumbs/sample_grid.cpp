#include "thumbs/sample_grid.h"

#include <limits>

namespace lima::thumbs {

void fill_gaps(SampleGrid& t) {
  const auto n = static_cast<std::size_t>(t.size);
  const float none = -std::numeric_limits<float>::infinity();
  for (int pass = 0; pass < 2; ++pass) {
    const std::vector<float> depth = t.depth;
    for (std::size_t y = 1; y + 1 < n; ++y)
      for (std::size_t x = 1; x + 1 < n; ++x) {
        const std::size_t i = y * n + x;
        if (depth[i] != none) continue;
        const std::size_t around[4] = {i - 1, i + 1, i - n, i + n};
        int covered = 0;
        std::size_t nearest = i;
        for (std::size_t j : around) {
          if (depth[j] == none) continue;
          ++covered;
          if (nearest == i || depth[j] > depth[nearest]) nearest = j;
        }
        if (covered >= 3) {
          t.depth[i] = depth[nearest];
          t.colour[i] = t.colour[nearest];
        }
      }
  }
}

void outline(SampleGrid& t, float step_fraction, std::uint32_t shade) {
  const float step = static_cast<float>(t.size) * step_fraction;
  const auto n = static_cast<std::size_t>(t.size);
  for (std::size_t y = 0; y < n; ++y)
    for (std::size_t x = 0; x < n; ++x) {
      const std::size_t i = y * n + x;
      const float z = t.depth[i] - step;
      if (z == -std::numeric_limits<float>::infinity()) continue;  // background
      const bool edge = (x > 0 && t.depth[i - 1] < z) || (x + 1 < n && t.depth[i + 1] < z) ||
                        (y > 0 && t.depth[i - n] < z) || (y + 1 < n && t.depth[i + n] < z);
      if (!edge) continue;
      const std::uint32_t c = t.colour[i];
      auto darker = [shade](std::uint32_t channel) { return channel * shade / 256; };
      t.colour[i] = darker(c & 0xff) | darker(c >> 8 & 0xff) << 8 | darker(c >> 16 & 0xff) << 16;
    }
}

Raster downsample(const SampleGrid& t, int samples) {
  const int size = t.size / samples;
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
