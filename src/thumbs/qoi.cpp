#include "thumbs/qoi.h"

#include <array>
#include <climits>
#include <cstdint>

namespace lima::thumbs {
namespace {

constexpr std::size_t kHeaderSize = 14;
constexpr std::uint8_t kOpRgb = 0xfe, kOpRgba = 0xff;
constexpr std::uint8_t kOpIndex = 0x00, kOpDiff = 0x40, kOpLuma = 0x80, kOpRun = 0xc0, kMask2 = 0xc0;
constexpr std::uint64_t kMaxRun = 62;

std::uint32_t be32(const unsigned char* p) {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) | static_cast<std::uint32_t>(p[3]);
}

struct Rgba {
  std::uint8_t r = 0, g = 0, b = 0, a = 255;
};

std::size_t hash(const Rgba& px) { return (px.r * 3u + px.g * 5u + px.b * 7u + px.a * 11u) % 64u; }

std::uint8_t add(std::uint8_t v, int delta) { return static_cast<std::uint8_t>((v + delta) & 0xff); }

}  // namespace

Outcome<Raster> decode_qoi(std::string_view bytes, const Limits& limits) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < kHeaderSize || bytes.substr(0, 4) != "qoif")
    return failed(FailureKind::undecodable_image, "not a QOI image: bad magic");
  const std::uint64_t width = be32(data + 4), height = be32(data + 8);
  const int channels = data[12];
  if (width == 0 || height == 0) return failed(FailureKind::undecodable_image, "QOI image has a zero width or height");
  if (channels != 3 && channels != 4)
    return failed(FailureKind::undecodable_image, "QOI image has " + std::to_string(channels) + " channels (3 or 4 expected)");
  const std::string dims = std::to_string(width) + "x" + std::to_string(height);
  if (width > INT_MAX || height > INT_MAX || height > limits.max_pixels / width)
    return failed(FailureKind::over_cap,
                  "QOI image of " + dims + " pixels is over the cap of " + std::to_string(limits.max_pixels) + " pixels");
  const std::uint64_t pixels = width * height;
  // Each byte of data makes at most 62 pixels (a run): fewer bytes cannot
  // hold the image, so refuse before taking its memory.
  if (pixels > (bytes.size() - kHeaderSize) * kMaxRun)
    return failed(FailureKind::undecodable_image, "QOI image " + dims + " is truncated");

  Raster out;
  out.width = static_cast<int>(width);
  out.height = static_cast<int>(height);
  out.channels = channels;
  out.pixels.resize(static_cast<std::size_t>(pixels) * static_cast<std::size_t>(channels));

  std::array<Rgba, 64> seen{};
  for (auto& s : seen) s.a = 0;
  Rgba px;
  std::size_t p = kHeaderSize;
  const std::size_t end = bytes.size();
  std::uint64_t run = 0;
  auto truncated = [&] { return failed(FailureKind::undecodable_image, "QOI image " + dims + " is truncated"); };
  std::uint8_t* o = out.pixels.data();
  for (std::uint64_t i = 0; i < pixels; ++i) {
    if (run > 0) {
      --run;
    } else {
      if (p >= end) return truncated();
      const std::uint8_t b1 = data[p++];
      if (b1 == kOpRgb || b1 == kOpRgba) {
        const std::size_t need = b1 == kOpRgb ? 3 : 4;
        if (end - p < need) return truncated();
        px.r = data[p];
        px.g = data[p + 1];
        px.b = data[p + 2];
        if (b1 == kOpRgba) px.a = data[p + 3];
        p += need;
      } else if ((b1 & kMask2) == kOpIndex) {
        px = seen[b1];
      } else if ((b1 & kMask2) == kOpDiff) {
        px.r = add(px.r, ((b1 >> 4) & 0x03) - 2);
        px.g = add(px.g, ((b1 >> 2) & 0x03) - 2);
        px.b = add(px.b, (b1 & 0x03) - 2);
      } else if ((b1 & kMask2) == kOpLuma) {
        if (p >= end) return truncated();
        const std::uint8_t b2 = data[p++];
        const int dg = (b1 & 0x3f) - 32;
        px.r = add(px.r, dg - 8 + ((b2 >> 4) & 0x0f));
        px.g = add(px.g, dg);
        px.b = add(px.b, dg - 8 + (b2 & 0x0f));
      } else if ((b1 & kMask2) == kOpRun) {
        run = b1 & 0x3f;  // this pixel, then `run` more
      }
      seen[hash(px)] = px;
    }
    *o++ = px.r;
    *o++ = px.g;
    *o++ = px.b;
    if (channels == 4) *o++ = px.a;
  }
  return out;
}

}  // namespace lima::thumbs
