// An image's header: its width and height, read from the first bytes of
// the file without decoding a pixel. Pure (bytes in, facts out), so the
// sync reads it from the chunk it hashes anyway.
//
// Formats: PNG (IHDR), JPEG (markers walked to the first SOFn, APPn and
// other segments skipped), GIF (logical screen), WebP (VP8, VP8L, VP8X),
// BMP (core and info headers), TIFF (first IFD, both byte orders), AVIF
// and HEIC (the `ispe` property of the primary item, not of its tiles) and
// SVG (plain width/height attributes, else the viewBox).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lima::index {

struct ImageSize {
  std::uint32_t width = 0, height = 0;
  bool operator==(const ImageSize&) const = default;
};

/// What the first bytes of a file say.
enum class HeaderVerdict : std::uint8_t {
  image,         ///< an image of a known format; `size` holds its size
  size_unknown,  ///< starts like an image, but its size is not in these
                 ///< bytes (cut short, a BigTIFF, an SVG without sizes)
  not_an_image,  ///< none of the formats above, or a header that lies
                 ///< (zero width, a JPEG without a frame)
};

struct ImageHeader {
  HeaderVerdict verdict = HeaderVerdict::not_an_image;
  ImageSize size;
};

/// How many leading bytes read_image_header() looks at, at most.
inline constexpr std::size_t kImageHeaderBytes = std::size_t{256} << 10;

/// Reads the header in `head`, the first bytes of a file (the whole file
/// when it is shorter). `complete` says that `head` is the whole file: then
/// an image cut short is not an image, else its size is unknown.
ImageHeader read_image_header(std::string_view head, bool complete);

/// The size of the image whose first bytes are `head`; nullopt when they
/// do not say (not an image, or the size lies further on).
std::optional<ImageSize> image_size(std::string_view head);

}  // namespace lima::index
