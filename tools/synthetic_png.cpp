#include "synthetic_png.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <vector>

#include "seeded_rng.h"
#include "write_all.h"

namespace lima::bench {
namespace {

/// Pixel bytes per stored deflate block (at most 65535); one IDAT chunk
/// holds one block, so a chunk fits in a 64 KiB buffer.
constexpr std::uint64_t kBlock = 60'000;
/// Signature, IHDR, the zlib header and Adler-32, the padding chunk's frame
/// and IEND; then per block a chunk frame (12) and a block header (5).
constexpr std::uint64_t kFixed = 8 + 25 + 2 + 4 + 12 + 12;
constexpr std::uint64_t kPerBlock = 12 + 5;

std::uint64_t row_bytes(int width) { return 1 + 3 * static_cast<std::uint64_t>(width); }

std::uint64_t raw_bytes(PngShape s) { return static_cast<std::uint64_t>(s.height) * row_bytes(s.width); }

std::uint64_t blocks(std::uint64_t raw) { return (raw + kBlock - 1) / kBlock; }

std::uint64_t png_bytes(PngShape s) { return kFixed + kPerBlock * blocks(raw_bytes(s)) + raw_bytes(s); }

const std::array<std::uint32_t, 256>& crc_table() {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  return table;
}

/// PNG's CRC-32, continued from crc (start with 0; the result is final).
std::uint32_t crc32(std::uint32_t crc, const unsigned char* p, std::size_t n) {
  const auto& table = crc_table();
  std::uint32_t c = crc ^ 0xffffffffu;
  for (std::size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

struct Adler32 {
  std::uint32_t a = 1, b = 0;
  void add(const unsigned char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      a = (a + p[i]) % 65521;
      b = (b + a) % 65521;
    }
  }
  std::uint32_t value() const { return b << 16 | a; }
};

void store_be32(unsigned char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (24 - 8 * i));
}

/// Writes a chunk whose data is already in buf + 8 (len bytes): fills in
/// the length and type in front and the CRC behind.
bool write_chunk(int fd, unsigned char* buf, const char* type, std::size_t len) {
  store_be32(buf, static_cast<std::uint32_t>(len));
  std::memcpy(buf + 4, type, 4);
  store_be32(buf + 8 + len, crc32(0, buf + 4, len + 4));
  return write_all(fd, buf, len + 12);
}

/// The picture's rows as the PNG stream holds them (a filter byte, then
/// RGB), handed out in pieces of any length: two colours blended across the
/// picture, a soft ripple, and noise.
class Rows {
 public:
  Rows(PngShape shape, std::uint64_t seed) : shape_(shape), rng_(seed), row_(row_bytes(shape.width)) {
    for (auto& c : from_) c = static_cast<float>(rng_.below(256));
    for (auto& c : to_) c = static_cast<float>(rng_.below(256));
    ripple_ = 2.0f + static_cast<float>(rng_.below(6));
    draw_row();
  }

  void fill(unsigned char* out, std::size_t n) {
    while (n > 0) {
      if (at_ == row_.size()) {
        ++y_;
        draw_row();
      }
      const std::size_t take = std::min(n, row_.size() - at_);
      std::memcpy(out, row_.data() + at_, take);
      out += take;
      n -= take;
      at_ += take;
    }
  }

 private:
  void draw_row() {
    at_ = 0;
    if (y_ >= shape_.height) return;
    const float fy = static_cast<float>(y_) / static_cast<float>(shape_.height);
    row_[0] = 0;  // filter: none
    for (int x = 0; x < shape_.width; ++x) {
      const float fx = static_cast<float>(x) / static_cast<float>(shape_.width);
      const float t = 0.5f * (fx + fy);
      const float wave = 24.0f * std::sin(ripple_ * 6.2831853f * fx) * std::cos(ripple_ * 4.0f * fy);
      std::uint64_t noise = rng_.next();
      for (int c = 0; c < 3; ++c, noise >>= 8) {
        const float v = from_[c] + (to_[c] - from_[c]) * t + wave + static_cast<float>(noise & 31) - 16.0f;
        row_[1 + 3 * static_cast<std::size_t>(x) + static_cast<std::size_t>(c)] =
            static_cast<unsigned char>(std::clamp(v, 0.0f, 255.0f));
      }
    }
  }

  PngShape shape_;
  SeededRng rng_;
  std::vector<unsigned char> row_;
  std::size_t at_ = 0;
  int y_ = 0;
  float from_[3]{}, to_[3]{}, ripple_ = 1;
};

}  // namespace

PngShape synthetic_png_shape(std::uint64_t size) {
  constexpr int kMaxK = kMaxSyntheticPngWidth / 4;
  int k = size > kFixed ? static_cast<int>(std::sqrt(static_cast<double>(size - kFixed) / 36.0)) : 0;
  k = std::min(k + 1, kMaxK);
  while (k >= 1 && png_bytes({4 * k, 3 * k}) > size) --k;
  return k >= 1 ? PngShape{4 * k, 3 * k} : PngShape{1, 1};
}

bool write_synthetic_png(int fd, std::uint64_t size, std::uint64_t seed, unsigned char* buf, std::size_t) {
  const PngShape shape = synthetic_png_shape(size);
  const std::uint64_t raw = raw_bytes(shape);
  const std::uint64_t padding = size - png_bytes(shape);

  static constexpr unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (!write_all(fd, kSignature, sizeof kSignature)) return false;
  store_be32(buf + 8, static_cast<std::uint32_t>(shape.width));
  store_be32(buf + 12, static_cast<std::uint32_t>(shape.height));
  const unsigned char ihdr_rest[5] = {8, 2, 0, 0, 0};  // 8-bit RGB, deflate, adaptive filters, no interlace
  std::memcpy(buf + 16, ihdr_rest, 5);
  if (!write_chunk(fd, buf, "IHDR", 13)) return false;

  Rows rows(shape, seed);
  Adler32 adler;
  for (std::uint64_t done = 0; done < raw;) {
    const auto n = static_cast<std::size_t>(std::min(kBlock, raw - done));
    unsigned char* p = buf + 8;
    if (done == 0) {
      *p++ = 0x78;  // deflate, 32 KiB window
      *p++ = 0x01;  // no dictionary, fastest; (0x78 << 8 | 0x01) % 31 == 0
    }
    const bool last = done + n == raw;
    *p++ = last ? 1 : 0;  // BFINAL, BTYPE 00 (stored)
    p[0] = static_cast<unsigned char>(n);
    p[1] = static_cast<unsigned char>(n >> 8);
    p[2] = static_cast<unsigned char>(~n);
    p[3] = static_cast<unsigned char>(~n >> 8);
    p += 4;
    rows.fill(p, n);
    adler.add(p, n);
    p += n;
    if (last) {
      store_be32(p, adler.value());
      p += 4;
    }
    if (!write_chunk(fd, buf, "IDAT", static_cast<std::size_t>(p - (buf + 8)))) return false;
    done += n;
  }

  // The padding chunk: its data (zeros) is written in pieces, its CRC kept
  // running over them.
  store_be32(buf, static_cast<std::uint32_t>(padding));
  std::memcpy(buf + 4, "liMa", 4);
  std::uint32_t crc = crc32(0, buf + 4, 4);
  if (!write_all(fd, buf, 8)) return false;
  constexpr std::size_t kPiece = 1 << 16;
  std::memset(buf, 0, kPiece);
  for (std::uint64_t left = padding; left > 0;) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, kPiece));
    crc = crc32(crc, buf, n);
    if (!write_all(fd, buf, n)) return false;
    left -= n;
  }
  store_be32(buf, crc);
  if (!write_all(fd, buf, 4)) return false;
  return write_chunk(fd, buf, "IEND", 0);
}

}  // namespace lima::bench
