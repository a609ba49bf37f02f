// An image file's thumbnail: the picture of a JPEG, PNG, WebP, GIF, TIFF,
// HEIF (...) file, or of the PNG/JPEG bytes a model file carries, made with
// libvips' thumbnail operation (shrink-on-load, sequential reads), upright,
// 8-bit sRGB, encoded as WebP or PNG; and the encoding of a raster the
// renderer or a decoder made. Hostile input (a file over the size cap, a
// header over the pixel cap, a decode past the deadline, truncated or
// corrupt bytes) gets a Failure with a one-line reason, never an exception.
#pragma once

#include <filesystem>
#include <string_view>

#include "thumbs/picture.h"

namespace lima::thumbs {

/// The picture of an image file, long edge `size` (or the image's own when
/// smaller: never upscaled), rotated as its EXIF orientation says, 8-bit
/// sRGB (CMYK and 16-bit images converted), alpha kept, the first frame of
/// an animation. Fails with over_cap, before decoding, when the file is
/// over limits.max_image_bytes or its header says more than
/// limits.max_pixels; with over_cap when decoding goes past `deadline`;
/// with undecodable_image when the file is not an image in a format read
/// here (untrusted loaders are blocked), or is truncated or corrupt.
/// Starts libvips if needed. Thread-safe.
Outcome<Picture> thumbnail_file(const std::filesystem::path& file, int size, Format format,
                                const Limits& limits, Deadline deadline);

/// thumbnail_file for an image held in memory (the PNG or JPEG a 3MF,
/// G-code or FreeCAD file carries); the same caps, max_image_bytes applying
/// to `bytes`.
Outcome<Picture> thumbnail_buffer(std::string_view bytes, int size, Format format,
                                  const Limits& limits, Deadline deadline);

/// Encodes a raster (a rendered mesh, a decoded QOI picture) as `format`,
/// shrunk to fit `size` when larger, alpha kept. Fails with
/// undecodable_image when the raster is malformed (channels not 3 or 4,
/// pixels not width * height * channels bytes).
Outcome<Picture> encode_raster(const Raster& raster, int size, Format format);

}  // namespace lima::thumbs
