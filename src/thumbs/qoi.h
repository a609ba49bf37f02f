// QOI, "the Quite OK Image format" (qoiformat.org): a small lossless format
// slicers store thumbnails in (PrusaSlicer's `thumbnail_QOI` G-code blocks,
// bgcode thumbnail blocks). Decoded to a Raster; encoded bytes are never
// kept.
#pragma once

#include <string_view>

#include "thumbs/picture.h"

namespace lima::thumbs {

/// Decodes a QOI image to an RGB or RGBA raster (the channels its header
/// says). The header's width * height is checked against limits.max_pixels
/// before any pixel memory is taken (over_cap); a bad magic, zero size, bad
/// channel count or data that ends before the last pixel is
/// undecodable_image.
Outcome<Raster> decode_qoi(std::string_view bytes, const Limits& limits);

}  // namespace lima::thumbs
