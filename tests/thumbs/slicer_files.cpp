#include "thumbs/slicer_files.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace lima::test {
namespace {

void put16(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
}
void put32(std::string& out, std::uint32_t v) {
  put16(out, v & 0xffff);
  put16(out, v >> 16);
}
void put64(std::string& out, std::uint64_t v) {
  put32(out, static_cast<std::uint32_t>(v));
  put32(out, static_cast<std::uint32_t>(v >> 32));
}
void put32be(std::string& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
}

std::uint32_t crc_of(std::string_view s) {
  return static_cast<std::uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

/// zlib deflate; raw (no zlib header) for ZIP members, wrapped for PNG and bgcode.
std::string deflate_bytes(std::string_view in, bool raw) {
  z_stream zs{};
  // Large members (bombs) at the fastest level: same format, a test that starts quickly.
  const int level = in.size() > (1u << 20) ? Z_BEST_SPEED : Z_BEST_COMPRESSION;
  if (deflateInit2(&zs, level, Z_DEFLATED, raw ? -MAX_WBITS : MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
  return out;
}

void png_chunk(std::string& out, std::string_view type, std::string_view data) {
  put32be(out, static_cast<std::uint32_t>(data.size()));
  std::string body(type);
  body.append(data);
  out.append(body);
  put32be(out, crc_of(body));
}

}  // namespace

thumbs::Raster gradient(int w, int h, int channels) {
  thumbs::Raster r;
  r.width = w;
  r.height = h;
  r.channels = channels;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      r.pixels.push_back(static_cast<std::uint8_t>(x * 255 / std::max(1, w - 1)));
      r.pixels.push_back(static_cast<std::uint8_t>(y * 255 / std::max(1, h - 1)));
      r.pixels.push_back(static_cast<std::uint8_t>((x * 7 + y * 13) & 0xff));
      if (channels == 4) r.pixels.push_back(static_cast<std::uint8_t>(x < w / 2 ? 255 : 128));
    }
  return r;
}

std::string png_bytes(const thumbs::Raster& r) {
  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  put32be(ihdr, static_cast<std::uint32_t>(r.width));
  put32be(ihdr, static_cast<std::uint32_t>(r.height));
  ihdr.push_back(8);                                     // bit depth
  ihdr.push_back(static_cast<char>(r.channels == 4 ? 6 : 2));  // RGBA or RGB
  ihdr.append(3, '\0');                                  // compression, filter, interlace
  png_chunk(out, "IHDR", ihdr);
  std::string rows;
  const auto stride = static_cast<std::size_t>(r.width * r.channels);
  for (int y = 0; y < r.height; ++y) {
    rows.push_back('\0');  // filter: none
    rows.append(reinterpret_cast<const char*>(r.pixels.data()) + static_cast<std::size_t>(y) * stride, stride);
  }
  png_chunk(out, "IDAT", deflate_bytes(rows, false));
  png_chunk(out, "IEND", "");
  return out;
}

std::string qoi_bytes(const thumbs::Raster& r) {
  struct Px {
    std::uint8_t r = 0, g = 0, b = 0, a = 255;
    bool operator==(const Px& o) const { return r == o.r && g == o.g && b == o.b && a == o.a; }
  };
  std::string out = "qoif";
  put32be(out, static_cast<std::uint32_t>(r.width));
  put32be(out, static_cast<std::uint32_t>(r.height));
  out.push_back(static_cast<char>(r.channels));
  out.push_back(0);  // sRGB with linear alpha
  std::array<Px, 64> index{};
  for (auto& p : index) p.a = 0;
  Px prev;
  int run = 0;
  const std::size_t count = static_cast<std::size_t>(r.width) * static_cast<std::size_t>(r.height);
  auto emit = [&](int byte) { out.push_back(static_cast<char>(byte)); };
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* s = &r.pixels[i * static_cast<std::size_t>(r.channels)];
    Px px{s[0], s[1], s[2], r.channels == 4 ? s[3] : std::uint8_t{255}};
    if (px == prev) {
      ++run;
      if (run == 62 || i + 1 == count) {
        emit(0xc0 | (run - 1));
        run = 0;
      }
      continue;
    }
    if (run > 0) {
      emit(0xc0 | (run - 1));
      run = 0;
    }
    const int h = (px.r * 3 + px.g * 5 + px.b * 7 + px.a * 11) % 64;
    if (index[static_cast<std::size_t>(h)] == px) {
      emit(h);
    } else {
      index[static_cast<std::size_t>(h)] = px;
      if (px.a == prev.a) {
        const int vr = static_cast<std::int8_t>(px.r - prev.r), vg = static_cast<std::int8_t>(px.g - prev.g),
                  vb = static_cast<std::int8_t>(px.b - prev.b);
        const int vg_r = vr - vg, vg_b = vb - vg;
        if (vr > -3 && vr < 2 && vg > -3 && vg < 2 && vb > -3 && vb < 2) {
          emit(0x40 | (vr + 2) << 4 | (vg + 2) << 2 | (vb + 2));
        } else if (vg_r > -9 && vg_r < 8 && vg > -33 && vg < 32 && vg_b > -9 && vg_b < 8) {
          emit(0x80 | (vg + 32));
          emit((vg_r + 8) << 4 | (vg_b + 8));
        } else {
          emit(0xfe);
          emit(px.r);
          emit(px.g);
          emit(px.b);
        }
      } else {
        emit(0xff);
        emit(px.r);
        emit(px.g);
        emit(px.b);
        emit(px.a);
      }
    }
    prev = px;
  }
  out.append(7, '\0');
  out.push_back('\1');
  return out;
}

std::string base64(std::string_view bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]) << 16 |
                                                       static_cast<unsigned char>(bytes[i + 1]) << 8 |
                                                       static_cast<unsigned char>(bytes[i + 2]));
    for (int s = 18; s >= 0; s -= 6) out.push_back(alphabet[(v >> s) & 63]);
  }
  const std::size_t left = bytes.size() - i;
  if (left > 0) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]) << 16);
    if (left == 2) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1]) << 8);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(left == 2 ? alphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::string zip_bytes(const std::vector<ZipMember>& members, bool zip64) {
  std::string out, central;
  for (const auto& m : members) {
    const std::string body = m.deflate ? deflate_bytes(m.data, true) : m.data;
    const std::uint32_t crc = crc_of(m.data) ^ (m.wrong_crc ? 1u : 0u);
    const auto size = m.declared_size.value_or(static_cast<std::uint32_t>(m.data.size()));
    const auto offset = static_cast<std::uint32_t>(out.size());
    const std::uint16_t method = m.deflate ? 8 : 0;
    // Local header.
    put32(out, 0x04034b50);
    put16(out, zip64 ? 45 : 20);
    put16(out, 0);
    put16(out, method);
    put16(out, 0);
    put16(out, 0x21);
    put32(out, crc);
    put32(out, static_cast<std::uint32_t>(body.size()));
    put32(out, size);
    put16(out, static_cast<std::uint32_t>(m.name.size()));
    put16(out, 0);
    out += m.name;
    out += body;
    // Central directory entry.
    put32(central, 0x02014b50);
    put16(central, 0x031e);
    put16(central, zip64 ? 45 : 20);
    put16(central, 0);
    put16(central, method);
    put16(central, 0);
    put16(central, 0x21);
    put32(central, crc);
    put32(central, zip64 ? 0xFFFFFFFF : static_cast<std::uint32_t>(body.size()));
    put32(central, zip64 ? 0xFFFFFFFF : size);
    put16(central, static_cast<std::uint32_t>(m.name.size()));
    put16(central, zip64 ? 28 : 0);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put32(central, 0);
    put32(central, zip64 ? 0xFFFFFFFF : offset);
    central += m.name;
    if (zip64) {
      put16(central, 0x0001);
      put16(central, 24);
      put64(central, size);
      put64(central, body.size());
      put64(central, offset);
    }
  }
  const auto cd_offset = out.size();
  out += central;
  if (zip64) {
    const auto z64_offset = out.size();
    put32(out, 0x06064b50);
    put64(out, 44);
    put16(out, 45);
    put16(out, 45);
    put32(out, 0);
    put32(out, 0);
    put64(out, members.size());
    put64(out, members.size());
    put64(out, central.size());
    put64(out, cd_offset);
    put32(out, 0x07064b50);
    put32(out, 0);
    put64(out, z64_offset);
    put32(out, 1);
  }
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, zip64 ? 0xFFFF : static_cast<std::uint32_t>(members.size()));
  put16(out, zip64 ? 0xFFFF : static_cast<std::uint32_t>(members.size()));
  put32(out, zip64 ? 0xFFFFFFFF : static_cast<std::uint32_t>(central.size()));
  put32(out, zip64 ? 0xFFFFFFFF : static_cast<std::uint32_t>(cd_offset));
  put16(out, 0);
  return out;
}

std::string gcode_thumbnail_block(std::string_view tag, int w, int h, std::string_view image) {
  const std::string text = base64(image);
  std::string out = "; " + std::string(tag) + " begin " + std::to_string(w) + "x" + std::to_string(h) + " " +
                    std::to_string(text.size()) + "\n";
  for (std::size_t i = 0; i < text.size(); i += 78) out += "; " + text.substr(i, 78) + "\n";
  out += "; " + std::string(tag) + " end\n;\n\n";
  return out;
}

std::string bgcode_thumbnail_params(std::uint16_t format, std::uint16_t w, std::uint16_t h) {
  std::string p;
  put16(p, format);
  put16(p, w);
  put16(p, h);
  return p;
}

std::string bgcode_encoding_params() {
  std::string p;
  put16(p, 0);
  return p;
}

std::string bgcode_bytes(const std::vector<BgcodeBlock>& blocks, bool crc) {
  std::string out = "GCDE";
  put32(out, 1);
  put16(out, crc ? 1 : 0);
  for (const auto& b : blocks) {
    const std::string data = b.compression == 1 ? deflate_bytes(b.data, false) : b.data;
    std::string block;
    put16(block, b.type);
    put16(block, b.compression);
    put32(block, static_cast<std::uint32_t>(b.data.size()));
    if (b.compression != 0) put32(block, b.lie_about_size.value_or(static_cast<std::uint32_t>(data.size())));
    if (b.compression == 0 && b.lie_about_size) {
      block.resize(4);
      put32(block, *b.lie_about_size);
    }
    block += b.params;
    block += data;
    out += block;
    if (crc) put32(out, crc_of(block));
  }
  return out;
}

}  // namespace lima::test
