// Files as slicers and CAD tools write them, made byte by byte in the tests:
// PNG and QOI images, base64 text, ZIP packages (3MF, FreeCAD), text G-code
// thumbnail blocks and binary G-code (libbgcode's layout). Each maker
// follows the format's specification, so the readers are tested on the
// same bytes real tools produce.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "thumbs/picture.h"

namespace lima::test {

/// An RGB raster of w x h with a colour gradient (every pixel differs from
/// its neighbour, so no two sizes encode alike).
thumbs::Raster gradient(int w, int h, int channels = 3);

/// `r` as an 8-bit RGB (channels 3) or RGBA (channels 4) PNG file.
std::string png_bytes(const thumbs::Raster& r);

/// `r` as a QOI file, encoded per qoiformat.org (all six ops are used when
/// the pixels call for them).
std::string qoi_bytes(const thumbs::Raster& r);

std::string base64(std::string_view bytes);

/// One member of a ZIP file made by zip_bytes.
struct ZipMember {
  std::string name;
  std::string data;
  bool deflate = true;
  std::optional<std::uint32_t> declared_size;  ///< a lie in both headers about the uncompressed size
  bool wrong_crc = false;
};

/// A ZIP archive of `members`; with zip64, the sizes and offsets are given
/// in ZIP64 extra fields and a ZIP64 end record (as tools do for large
/// archives).
std::string zip_bytes(const std::vector<ZipMember>& members, bool zip64 = false);

/// Text G-code thumbnail block as PrusaSlicer writes it: `; <tag> begin WxH
/// LEN`, base64 in lines of 78, `; <tag> end`. tag is "thumbnail",
/// "thumbnail_JPG" or "thumbnail_QOI".
std::string gcode_thumbnail_block(std::string_view tag, int w, int h, std::string_view image);

/// One block of a binary G-code file.
struct BgcodeBlock {
  std::uint16_t type = 0;
  std::uint16_t compression = 0;   ///< 0 none, 1 deflate (data is then zlib-compressed here)
  std::string params;              ///< the block parameters' bytes
  std::string data;                ///< uncompressed data
  std::optional<std::uint32_t> lie_about_size;  ///< written as the data size instead of the truth
};

/// The parameters of a thumbnail block (format 0 PNG, 1 JPG, 2 QOI).
std::string bgcode_thumbnail_params(std::uint16_t format, std::uint16_t w, std::uint16_t h);
/// The parameters of every other block: encoding 0.
std::string bgcode_encoding_params();

/// A binary G-code file: header "GCDE", version 1, the checksum type
/// (CRC-32 when `crc`), then the blocks, each followed by its CRC-32.
std::string bgcode_bytes(const std::vector<BgcodeBlock>& blocks, bool crc = true);

}  // namespace lima::test
