// An image found inside a model file, before it is trusted: its bytes are
// sniffed (PNG, JPEG or QOI, whatever the container claimed), its size read
// from its own header and checked against the caps. Shared by the 3MF,
// FreeCAD, G-code and bgcode readers.
#pragma once

#include <string>

#include "thumbs/embedded_picture.h"

namespace lima::thumbs {

/// `bytes` as an EmbeddedPicture from `source`: PNG and JPEG stay encoded
/// (their width and height read from the IHDR / SOF header), QOI is decoded
/// to a raster. Not one of these, or a header that does not parse ->
/// undecodable_image; more than limits.max_image_bytes bytes or
/// limits.max_pixels pixels -> over_cap.
Outcome<EmbeddedPicture> embedded_image(std::string bytes, std::string source, const Limits& limits);

}  // namespace lima::thumbs
