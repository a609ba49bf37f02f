// The thumbnails in a binary G-code file (.bgcode, libbgcode's format, as
// PrusaSlicer writes it). All integers little-endian:
//
//   file header   "GCDE", version u32 (1), checksum type u16 (0 none, 1 CRC-32)
//   block         type u16, compression u16 (0 none, 1 deflate, 2/3 heatshrink),
//                 uncompressed size u32, [compressed size u32 when compression != 0],
//                 parameters (thumbnail: format u16 (0 PNG, 1 JPG, 2 QOI),
//                 width u16, height u16; every other type: encoding u16),
//                 data (compressed size bytes, else uncompressed size),
//                 [CRC-32 u32 of header, parameters and data, when the file has checksums]
//   block types   0 file metadata, 1 G-code, 2 slicer metadata, 3 printer metadata,
//                 4 print metadata, 5 thumbnail
//
// Thumbnail blocks come before the G-code blocks; other blocks are skipped
// by their sizes, unread.
#pragma once

#include <filesystem>
#include <optional>

#include "thumbs/embedded_picture.h"

namespace lima::thumbs {

/// The largest (W*H) thumbnail of a binary G-code file. nullopt when it has
/// none. A bad magic, an unknown version, a block running past the end of
/// the file or a thumbnail failing its checksum -> unparsable_model; a
/// thumbnail that does not decode -> undecodable_image; over
/// limits.max_image_bytes / max_pixels or past `deadline` -> over_cap.
Outcome<std::optional<EmbeddedPicture>> find_bgcode_thumbnail(const std::filesystem::path& file, const Limits& limits,
                                                              Deadline deadline);

}  // namespace lima::thumbs
