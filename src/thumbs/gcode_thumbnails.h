// The thumbnails slicers write at the top of text G-code (PrusaSlicer,
// SuperSlicer, OrcaSlicer, Cura): comment blocks of base64, one per size
// and format,
//
//     ; thumbnail begin 300x300 12345        (PNG; also thumbnail_PNG)
//     ; iVBORw0KGgoAAAANSUhEUgAAASwAAAEsCAYAAAB5fY51AAAgAElEQVR4nOy9...
//     ; thumbnail end
//
// with `thumbnail_JPG` and `thumbnail_QOI` for the other formats. Blocks
// with other tags (display-specific formats of some forks) are passed over.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "thumbs/embedded_picture.h"

namespace lima::thumbs {

/// How much of a G-code file is searched: slicers write the blocks near the
/// top, so a 1 GB G-code costs no more than a small one.
inline constexpr std::uint64_t kGcodeScanBytes = 16ull << 20;

/// The largest (W*H, from the begin line) thumbnail block in the first
/// kGcodeScanBytes of `file`, decoded. The search ends early at the first
/// G-code command after a block (slicers write all blocks together). nullopt when there is none. Broken
/// base64 or a block the file ends inside -> undecodable_image; a block over
/// limits.max_image_bytes or past `deadline` -> over_cap.
Outcome<std::optional<EmbeddedPicture>> find_gcode_thumbnail(const std::filesystem::path& file, const Limits& limits,
                                                             Deadline deadline);

/// Standard base64 (RFC 4648, padding optional, whitespace ignored) to bytes;
/// nullopt on any other character or a dangling final character.
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace lima::thumbs
