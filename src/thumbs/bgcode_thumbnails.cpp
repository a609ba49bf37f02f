#include "thumbs/bgcode_thumbnails.h"

#include <zlib.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>

#include "thumbs/embedded_image.h"

namespace lima::thumbs {
namespace {

constexpr std::uint32_t kVersion = 1;
constexpr std::uint16_t kChecksumNone = 0, kChecksumCrc32 = 1;
constexpr std::uint16_t kGcodeBlock = 1, kThumbnailBlock = 5, kLastBlockType = 5;
constexpr std::uint16_t kUncompressed = 0, kDeflate = 1;

std::uint16_t le16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t le32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

const char* format_name(std::uint16_t format) {
  switch (format) {
    case 0: return "PNG";
    case 1: return "JPG";
    case 2: return "QOI";
  }
  return "unknown format";
}

/// zlib-wrapped deflate (what libbgcode writes) to exactly `size` bytes.
std::optional<std::string> inflate_exactly(const std::string& in, std::uint32_t size) {
  std::string out(size, '\0');
  uLongf out_len = size;
  if (size == 0) return std::nullopt;
  const int rc = uncompress(reinterpret_cast<Bytef*>(out.data()), &out_len,
                            reinterpret_cast<const Bytef*>(in.data()), static_cast<uLong>(in.size()));
  if (rc != Z_OK || out_len != size) return std::nullopt;
  return out;
}

struct Thumbnail {
  std::uint16_t format = 0, width = 0, height = 0;
  std::string bytes;
  std::uint64_t area() const { return std::uint64_t{width} * height; }
  std::string label() const {
    return "bgcode thumbnail " + std::to_string(width) + "x" + std::to_string(height) + " (" + format_name(format) + ")";
  }
};

}  // namespace

Outcome<std::optional<EmbeddedPicture>> find_bgcode_thumbnail(const std::filesystem::path& file, const Limits& limits,
                                                              Deadline deadline) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return failed(FailureKind::unparsable_model, "cannot open " + file.string() + ": " + std::strerror(errno));
  std::error_code ec;
  const std::uint64_t size = std::filesystem::file_size(file, ec);
  if (ec) return failed(FailureKind::unparsable_model, "cannot read " + file.string() + ": " + ec.message());
  auto corrupt = [](const std::string& why) { return failed(FailureKind::unparsable_model, "binary G-code: " + why); };

  unsigned char header[10];
  if (!in.read(reinterpret_cast<char*>(header), sizeof header)) return corrupt("shorter than its file header");
  if (std::memcmp(header, "GCDE", 4) != 0) return corrupt("bad magic (not GCDE)");
  if (le32(header + 4) != kVersion) return corrupt("version " + std::to_string(le32(header + 4)) + " is not supported");
  const std::uint16_t checksum = le16(header + 8);
  if (checksum != kChecksumNone && checksum != kChecksumCrc32)
    return corrupt("unknown checksum type " + std::to_string(checksum));
  const std::uint64_t checksum_size = checksum == kChecksumCrc32 ? 4 : 0;

  std::optional<Thumbnail> best;
  std::optional<std::string> unusable;  // why a thumbnail was passed over
  std::uint64_t pos = sizeof header;
  for (int index = 0; pos < size; ++index) {
    if (Clock::now() > deadline)
      return failed(FailureKind::over_cap, "searching the binary G-code for thumbnails took longer than the time cap");
    const std::string which = "block " + std::to_string(index) + " at offset " + std::to_string(pos);
    unsigned char h[12];
    if (size - pos < 8) return corrupt(which + ": truncated block header");
    in.seekg(static_cast<std::streamoff>(pos));
    if (!in.read(reinterpret_cast<char*>(h), 8)) return corrupt(which + ": cannot read its header");
    const std::uint16_t type = le16(h), compression = le16(h + 2);
    const std::uint32_t uncompressed = le32(h + 4);
    std::size_t header_size = 8;
    if (compression != kUncompressed) {
      if (size - pos < 12 || !in.read(reinterpret_cast<char*>(h + 8), 4)) return corrupt(which + ": truncated block header");
      header_size = 12;
    }
    if (type > kLastBlockType) return corrupt(which + ": unknown block type " + std::to_string(type));
    if (compression > 3) return corrupt(which + ": unknown compression " + std::to_string(compression));
    // Thumbnails precede the G-code: nothing more to find.
    if (type == kGcodeBlock) break;
    const std::uint64_t data_size = compression == kUncompressed ? uncompressed : le32(h + 8);
    const std::uint64_t params_size = type == kThumbnailBlock ? 6 : 2;
    const std::uint64_t block_size = header_size + params_size + data_size + checksum_size;
    if (block_size > size - pos)
      return corrupt(which + ": claims " + std::to_string(block_size) + " bytes, past the end of the file");
    if (type == kThumbnailBlock) {
      if (data_size > limits.max_image_bytes || uncompressed > limits.max_image_bytes)
        return failed(FailureKind::over_cap, which + ": thumbnail of " + std::to_string(uncompressed) +
                                                 " bytes is over the cap of " + std::to_string(limits.max_image_bytes));
      unsigned char params[6];
      std::string data(static_cast<std::size_t>(data_size), '\0');
      unsigned char stored_crc[4] = {};
      if (!in.read(reinterpret_cast<char*>(params), 6) || !in.read(data.data(), static_cast<std::streamsize>(data_size)) ||
          (checksum_size && !in.read(reinterpret_cast<char*>(stored_crc), 4)))
        return corrupt(which + ": cannot read the thumbnail");
      if (checksum == kChecksumCrc32) {
        uLong crc = crc32(0L, Z_NULL, 0);
        crc = crc32(crc, h, static_cast<uInt>(header_size));
        crc = crc32(crc, params, 6);
        crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
        if (crc != le32(stored_crc)) return corrupt(which + ": the thumbnail fails its CRC-32 check");
      }
      Thumbnail t{le16(params), le16(params + 2), le16(params + 4), {}};
      if (compression == kDeflate) {
        if (uncompressed > data_size * 1032 + 1024)
          return failed(FailureKind::undecodable_image, t.label() + ": declares more bytes than deflate can make");
        auto inflated = inflate_exactly(data, uncompressed);
        if (!inflated)
          return failed(FailureKind::undecodable_image, t.label() + ": deflate data that does not inflate");
        data = std::move(*inflated);
      } else if (compression != kUncompressed) {
        unusable = t.label() + ": heatshrink-compressed thumbnails are not supported";
        data.clear();
      }
      if (compression == kUncompressed || compression == kDeflate) {
        if (!best || t.area() > best->area()) {
          t.bytes = std::move(data);
          best = std::move(t);
        }
      }
    }
    pos += block_size;
  }
  if (!best) {
    if (unusable) return failed(FailureKind::undecodable_image, *unusable);
    return std::nullopt;
  }
  auto picture = embedded_image(std::move(best->bytes), best->label(), limits);
  if (!picture) return tl::unexpected(picture.error());
  return std::optional<EmbeddedPicture>(std::move(*picture));
}

}  // namespace lima::thumbs
