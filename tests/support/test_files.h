// Real files for picture tests, made without any library: a PNG (stored
// deflate blocks, CRC-32 and Adler-32 computed here) and a binary STL of a
// box. Enough to give the daemon, the API and the thumbnailer files they
// must make pictures of.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>

namespace lima::test {

namespace detail {

inline std::uint32_t crc32(const std::string& data, std::size_t from, std::size_t n) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = from; i < from + n; ++i) c = table[(c ^ static_cast<unsigned char>(data[i])) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

inline void put_be32(std::string& s, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xFF));
}

inline void put_le32(std::string& s, std::uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) s.push_back(static_cast<char>((v >> shift) & 0xFF));
}

inline void put_chunk(std::string& png, const char* type, const std::string& data) {
  put_be32(png, static_cast<std::uint32_t>(data.size()));
  const auto start = png.size();
  png += type;
  png += data;
  put_be32(png, crc32(png, start, png.size() - start));
}

}  // namespace detail

/// An 8-bit RGB PNG of w x h whose pixel (x, y) is colour(x, y) (0xRRGGBB).
inline std::string png_bytes(int w, int h, const std::function<std::uint32_t(int, int)>& colour) {
  std::string raw;
  for (int y = 0; y < h; ++y) {
    raw.push_back(0);  // filter: none
    for (int x = 0; x < w; ++x) {
      const auto c = colour(x, y);
      raw.push_back(static_cast<char>((c >> 16) & 0xFF));
      raw.push_back(static_cast<char>((c >> 8) & 0xFF));
      raw.push_back(static_cast<char>(c & 0xFF));
    }
  }
  std::string z = "\x78\x01";  // zlib header, stored blocks follow
  for (std::size_t at = 0; at < raw.size() || at == 0; at += 65535) {
    const auto n = static_cast<std::uint16_t>(std::min<std::size_t>(65535, raw.size() - at));
    const bool last = at + n >= raw.size();
    z.push_back(last ? 1 : 0);
    z.push_back(static_cast<char>(n & 0xFF));
    z.push_back(static_cast<char>(n >> 8));
    z.push_back(static_cast<char>(~n & 0xFF));
    z.push_back(static_cast<char>((~n >> 8) & 0xFF));
    z.append(raw, at, n);
    if (last) break;
  }
  std::uint32_t a = 1, b = 0;
  for (unsigned char ch : raw) a = (a + ch) % 65521, b = (b + a) % 65521;
  detail::put_be32(z, (b << 16) | a);
  std::string ihdr;
  detail::put_be32(ihdr, static_cast<std::uint32_t>(w));
  detail::put_be32(ihdr, static_cast<std::uint32_t>(h));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, deflate, no filter, no interlace
  std::string png = "\x89PNG\r\n\x1a\n";
  detail::put_chunk(png, "IHDR", ihdr);
  detail::put_chunk(png, "IDAT", z);
  detail::put_chunk(png, "IEND", "");
  return png;
}

/// A binary STL of an axis-aligned box from (0,0,0) to (sx,sy,sz): 12
/// triangles, outward normals. `header` fills the 80-byte header (a binary
/// STL may start with "solid" too).
inline std::string binary_stl_box(float sx, float sy, float sz, const std::string& header = "limafs test box") {
  const float v[8][3] = {{0, 0, 0}, {sx, 0, 0}, {sx, sy, 0}, {0, sy, 0},
                         {0, 0, sz}, {sx, 0, sz}, {sx, sy, sz}, {0, sy, sz}};
  const int f[12][3] = {{0, 2, 1}, {0, 3, 2}, {4, 5, 6}, {4, 6, 7}, {0, 1, 5}, {0, 5, 4},
                        {1, 2, 6}, {1, 6, 5}, {2, 3, 7}, {2, 7, 6}, {3, 0, 4}, {3, 4, 7}};
  std::string out = header.substr(0, 80);
  out.resize(80, ' ');
  detail::put_le32(out, 12);
  for (const auto& tri : f) {
    float rec[12] = {0, 0, 0};
    for (int k = 0; k < 3; ++k)
      for (int d = 0; d < 3; ++d) rec[3 + k * 3 + d] = v[tri[k]][d];
    char bytes[50] = {};
    std::memcpy(bytes, rec, sizeof rec);
    out.append(bytes, 50);
  }
  return out;
}

}  // namespace lima::test
