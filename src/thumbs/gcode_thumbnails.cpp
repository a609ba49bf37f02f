#include "thumbs/gcode_thumbnails.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>
#include <vector>

#include "thumbs/embedded_image.h"

namespace lima::thumbs {
namespace {

constexpr std::size_t kChunk = 1 << 20;
/// Longer lines are no thumbnail lines (base64 lines are under 80 characters).
constexpr std::size_t kMaxLine = 64 * 1024;

struct Block {
  std::string format;  ///< "PNG", "JPG", "QOI", or what the begin line says
  std::uint64_t width = 0, height = 0;
  std::string base64;
  std::uint64_t area() const { return width * height; }
  std::string label() const {
    return "G-code thumbnail " + std::to_string(width) + "x" + std::to_string(height) + " (" + format + ")";
  }
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::uint64_t parse_number(std::string_view& s) {
  std::uint64_t v = 0;
  std::size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9' && i < 9; ++i) v = v * 10 + static_cast<std::uint64_t>(s[i] - '0');
  s.remove_prefix(i);
  return v;
}

/// A `thumbnail[_FMT] begin|end ...` comment, after the ';'.
struct Marker {
  bool begin = false;
  Block block;
};

std::optional<Marker> parse_marker(std::string_view comment) {
  comment = trim(comment);
  if (comment.substr(0, 9) != "thumbnail") return std::nullopt;
  comment.remove_prefix(9);
  std::string format = "PNG";
  if (!comment.empty() && comment.front() == '_') {
    const auto space = comment.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    format.assign(comment.substr(1, space - 1));
    comment.remove_prefix(space);
    if (format == "JPEG") format = "JPG";
    // Other tags (forks' display-specific formats) are not images we read.
    if (format != "PNG" && format != "JPG" && format != "QOI") return std::nullopt;
  }
  comment = trim(comment);
  Marker m;
  if (comment.substr(0, 5) == "begin") {
    m.begin = true;
    comment = trim(comment.substr(5));
    m.block.format = format;
    m.block.width = parse_number(comment);
    if (!comment.empty() && comment.front() == 'x') {
      comment.remove_prefix(1);
      m.block.height = parse_number(comment);
    }
    return m;
  }
  if (comment.substr(0, 3) == "end") return m;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
  static const std::array<std::int8_t, 256> kValue = [] {
    std::array<std::int8_t, 256> v{};
    v.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) v[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return v;
  }();
  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  std::uint32_t acc = 0;
  int bits = 0;
  bool padded = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=') {
      padded = true;
      continue;
    }
    const std::int8_t v = kValue[static_cast<unsigned char>(c)];
    if (v < 0 || padded) return std::nullopt;  // a foreign character, or data after padding
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits >= 6) return std::nullopt;  // one character left over: no whole byte
  return out;
}

Outcome<std::optional<EmbeddedPicture>> find_gcode_thumbnail(const std::filesystem::path& file, const Limits& limits,
                                                             Deadline deadline) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return failed(FailureKind::unparsable_model, "cannot open " + file.string() + ": " + std::strerror(errno));
  const std::uint64_t max_base64 = limits.max_image_bytes / 3 * 4 + 4;

  std::optional<Block> best, current;
  bool collecting = false;  // current is larger than best: its base64 is kept
  std::optional<Failure> broken;
  bool done = false;  // the blocks are behind us: G-code after a thumbnail
  auto on_line = [&](std::string_view line) {
    line = trim(line);
    const bool comment = !line.empty() && line.front() == ';';
    if (best && !current && !comment && !line.empty()) {
      done = true;
      return;
    }
    const std::optional<Marker> marker = comment ? parse_marker(line.substr(1)) : std::nullopt;
    if (current) {
      if (marker && !marker->begin) {
        if (collecting) best = std::move(current);
        current.reset();
      } else if (!comment || marker) {
        broken = Failure{FailureKind::undecodable_image, current->label() + " has no `; thumbnail end`"};
      } else if (collecting) {
        if (current->base64.size() + line.size() > max_base64)
          broken = Failure{FailureKind::over_cap, current->label() + " is over the cap of " +
                                                      std::to_string(limits.max_image_bytes) + " bytes"};
        else
          current->base64.append(trim(line.substr(1)));
      }
    } else if (marker && marker->begin) {
      current = marker->block;
      collecting = !best || current->area() > best->area();
    }
  };

  std::vector<char> buf(kChunk);
  std::string line;
  bool overlong = false;
  std::uint64_t scanned = 0;
  bool at_eof = false;
  while (!broken && !done && scanned < kGcodeScanBytes) {
    if (Clock::now() > deadline)
      return failed(FailureKind::over_cap, "searching the G-code for thumbnails took longer than the time cap");
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (in.bad()) return failed(FailureKind::unparsable_model, "cannot read " + file.string() + ": " + std::strerror(errno));
    scanned += got;
    std::string_view chunk(buf.data(), got);
    while (!chunk.empty() && !broken && !done) {
      const auto nl = chunk.find('\n');
      const std::string_view piece = chunk.substr(0, nl);
      if (!overlong) {
        line.append(piece.substr(0, kMaxLine - std::min(kMaxLine, line.size())));
        overlong = line.size() >= kMaxLine;
      }
      if (nl == std::string_view::npos) break;
      on_line(overlong ? std::string_view("<overlong>") : std::string_view(line));
      line.clear();
      overlong = false;
      chunk.remove_prefix(nl + 1);
    }
    if (got < buf.size()) {
      at_eof = true;
      break;
    }
  }
  if (!broken && !done && at_eof && !line.empty()) on_line(line);
  if (broken) return tl::unexpected(*broken);
  if (current && at_eof)
    return failed(FailureKind::undecodable_image, current->label() + ": the file ends inside the block");
  if (!best) return std::nullopt;

  auto bytes = decode_base64(best->base64);
  if (!bytes) return failed(FailureKind::undecodable_image, best->label() + ": base64 that does not decode");
  auto picture = embedded_image(std::move(*bytes), best->label(), limits);
  if (!picture) return tl::unexpected(picture.error());
  return std::optional<EmbeddedPicture>(std::move(*picture));
}

}  // namespace lima::thumbs
