#include "thumbs/embedded_image.h"

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "thumbs/qoi.h"

namespace lima::thumbs {
namespace {

struct Size {
  std::uint64_t width = 0, height = 0;
};

std::uint32_t be32(const unsigned char* p) {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) | static_cast<std::uint32_t>(p[3]);
}
std::uint16_t be16(const unsigned char* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

constexpr std::string_view kPngSignature("\x89PNG\r\n\x1a\n", 8);

/// The IHDR size of a PNG: the signature, then IHDR as the first chunk.
std::optional<Size> png_size(std::string_view b) {
  const auto* p = reinterpret_cast<const unsigned char*>(b.data());
  if (b.size() < 33 || b.substr(12, 4) != "IHDR") return std::nullopt;
  return Size{be32(p + 16), be32(p + 20)};
}

/// The frame size of a JPEG: the first SOFn segment, walking the segments
/// from SOI by their lengths.
std::optional<Size> jpeg_size(std::string_view b) {
  const auto* p = reinterpret_cast<const unsigned char*>(b.data());
  std::size_t i = 2;
  while (i + 4 <= b.size()) {
    if (p[i] != 0xFF) return std::nullopt;
    const unsigned char marker = p[i + 1];
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length
      i += 2;
      continue;
    }
    if (marker == 0xD9 || marker == 0xDA) return std::nullopt;  // EOI or scan data before any frame
    const std::size_t len = be16(p + i + 2);
    if (len < 2 || i + 2 + len > b.size()) return std::nullopt;
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (len < 7) return std::nullopt;
      return Size{be16(p + i + 7), be16(p + i + 5)};
    }
    i += 2 + len;
  }
  return std::nullopt;
}

}  // namespace

Outcome<EmbeddedPicture> embedded_image(std::string bytes, std::string source, const Limits& limits) {
  if (bytes.size() > limits.max_image_bytes)
    return failed(FailureKind::over_cap, source + ": picture of " + std::to_string(bytes.size()) +
                                             " bytes is over the cap of " + std::to_string(limits.max_image_bytes));
  const std::string_view b(bytes);
  EmbeddedPicture out;
  std::optional<Size> size;
  const char* kind = "";
  if (b.substr(0, kPngSignature.size()) == kPngSignature) {
    kind = "PNG";
    size = png_size(b);
  } else if (b.size() >= 3 && b.substr(0, 3) == "\xFF\xD8\xFF") {
    kind = "JPEG";
    size = jpeg_size(b);
  } else if (b.substr(0, 4) == "qoif") {
    auto raster = decode_qoi(b, limits);
    if (!raster) return failed(raster.error().kind, source + ": " + raster.error().reason);
    out.width = raster->width;
    out.height = raster->height;
    out.raster = std::move(*raster);
    out.source = std::move(source);
    return out;
  } else {
    return failed(FailureKind::undecodable_image, source + ": not a PNG, JPEG or QOI image");
  }
  if (!size || size->width == 0 || size->height == 0)
    return failed(FailureKind::undecodable_image, source + ": " + kind + " image whose header does not parse");
  if (size->height > limits.max_pixels / size->width)
    return failed(FailureKind::over_cap, source + ": " + kind + " image of " + std::to_string(size->width) + "x" +
                                             std::to_string(size->height) + " pixels is over the cap of " +
                                             std::to_string(limits.max_pixels) + " pixels");
  out.width = static_cast<int>(size->width);
  out.height = static_cast<int>(size->height);
  out.encoded = std::move(bytes);
  out.source = std::move(source);
  return out;
}

}  // namespace lima::thumbs
