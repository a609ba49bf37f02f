// A synthetic picture file of an exact size: a valid PNG (8-bit RGB,
// smooth colour gradients under fine noise, drawn from a seed) whose pixels
// are stored uncompressed, so its size is known before it is written; the
// bytes the picture does not fill are a private ancillary chunk ("liMa")
// that PNG readers skip. The generator writes the image files of a library
// with it, so a picture maker finds pictures to make in them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lima::bench {

/// The smallest PNG write_synthetic_png makes (a 1x1 picture); a smaller
/// size cannot hold one.
inline constexpr std::uint64_t kMinSyntheticPng = 84;

/// The largest picture drawn (width x height); a bigger file is padded.
inline constexpr int kMaxSyntheticPngWidth = 1600;
inline constexpr int kMaxSyntheticPngHeight = 1200;

/// The picture a PNG of `size` bytes holds: 4:3, as large as fits (up to
/// kMaxSyntheticPngWidth x kMaxSyntheticPngHeight), else 1x1.
struct PngShape {
  int width = 0, height = 0;
};
PngShape synthetic_png_shape(std::uint64_t size);

/// Writes a PNG of exactly `size` bytes (at least kMinSyntheticPng) to fd,
/// its pixels drawn from seed; the same size and seed give the same bytes.
/// buffer (at least 64 KiB) is scratch space. Returns false on a write
/// error (errno is set).
bool write_synthetic_png(int fd, std::uint64_t size, std::uint64_t seed, unsigned char* buffer,
                         std::size_t buffer_size);

}  // namespace lima::bench
