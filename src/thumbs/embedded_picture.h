// A picture stored inside a model file by the slicer or CAD tool that made
// it: a 3MF package's thumbnail, a G-code file's thumbnail blocks (text or
// binary), a FreeCAD document's thumbnail. Finding one is cheap next to
// rendering the model, and it shows what the user saw in their slicer.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "thumbs/picture.h"

namespace lima::thumbs {

/// A picture stored inside a model file: encoded PNG/JPEG bytes (`encoded`),
/// or a raster when it was stored as QOI (`encoded` is then empty). `source`
/// says where it came from, e.g. "Metadata/thumbnail.png", "G-code thumbnail
/// 300x300 (PNG)". width and height are the picture's own (from its header).
struct EmbeddedPicture {
  std::string encoded;
  std::optional<Raster> raster;
  std::string source;
  int width = 0, height = 0;
};

/// The best picture the file carries, chosen by its extension (case-insensitive):
///  .3mf    the package thumbnail relationship in _rels/.rels (Type ending in
///          "/metadata/thumbnail"), then Metadata/thumbnail.png, then Metadata/plate_1.png
///  .gcode .gco .g   text G-code `; thumbnail begin WxH LEN` / `; thumbnail_JPG begin` /
///          `; thumbnail_QOI begin` ... `; thumbnail end` base64 blocks in the first
///          16 MiB: the largest (W*H)
///  .bgcode binary G-code (libbgcode format): thumbnail blocks (PNG/JPG/QOI), the largest
///  .fcstd  FreeCAD: thumbnails/Thumbnail.png
/// nullopt when the file has none (or the extension is none of these). Failure when the
/// file is corrupt: a .3mf or .fcstd that is not a zip -> unparsable_model "not a zip
/// archive: ...", a bgcode with a bad magic or truncated block -> unparsable_model, a
/// picture that is not PNG/JPEG/QOI or base64 that does not decode -> undecodable_image,
/// a file over limits.max_model_bytes, a picture over limits.max_image_bytes or
/// limits.max_pixels -> over_cap. Past `deadline` -> over_cap.
Outcome<std::optional<EmbeddedPicture>> find_embedded_picture(const std::filesystem::path& file,
                                                              const Limits& limits, Deadline deadline);

}  // namespace lima::thumbs
