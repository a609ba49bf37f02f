#include "index/image_header.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>
#include <vector>

namespace lima::index {

namespace {

// A parser's answer: a size, "not this format / lies", "needs more bytes",
// or "an image whose size is not written where this parser looks".
enum class Got { size, no, cut, unsized };
struct Parsed {
  Got got = Got::no;
  ImageSize size;
};
constexpr Parsed kNo{Got::no, {}};
constexpr Parsed kCut{Got::cut, {}};
constexpr Parsed kUnsized{Got::unsized, {}};

Parsed sized(std::uint64_t w, std::uint64_t h) {
  if (w == 0 || h == 0 || w > 0xffffffffu || h > 0xffffffffu) return kNo;
  return {Got::size, {static_cast<std::uint32_t>(w), static_cast<std::uint32_t>(h)}};
}

std::uint32_t byte(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }
std::uint32_t be16(std::string_view s, std::size_t i) { return byte(s, i) << 8 | byte(s, i + 1); }
std::uint32_t le16(std::string_view s, std::size_t i) { return byte(s, i + 1) << 8 | byte(s, i); }
std::uint32_t be32(std::string_view s, std::size_t i) { return be16(s, i) << 16 | be16(s, i + 2); }
std::uint32_t le32(std::string_view s, std::size_t i) { return le16(s, i + 2) << 16 | le16(s, i); }
std::uint32_t le24(std::string_view s, std::size_t i) { return byte(s, i + 2) << 16 | le16(s, i); }

Parsed png(std::string_view s) {
  if (s.size() < 24) return kCut;
  if (s.substr(12, 4) != "IHDR") return kNo;
  return sized(be32(s, 16), be32(s, 20));
}

// Markers from SOI on: standalone ones (TEM, RSTn, fill bytes) skipped,
// segments skipped by their length, until a frame header (SOF0..SOF15
// but DHT, JPG and DAC) gives the size. A scan or the end before any frame
// means there is no image.
Parsed jpeg(std::string_view s) {
  std::size_t i = 2;
  for (;;) {
    if (i + 2 > s.size()) return kCut;
    if (byte(s, i) != 0xff) return kNo;
    const std::uint32_t m = byte(s, i + 1);
    if (m == 0xff) {  // fill byte
      ++i;
      continue;
    }
    i += 2;
    if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) continue;
    if (m == 0xd8 || m == 0xd9 || m == 0xda || m == 0x00) return kNo;
    if (i + 2 > s.size()) return kCut;
    const std::uint32_t len = be16(s, i);
    if (len < 2) return kNo;
    const bool frame = m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
    if (frame) {
      if (len < 7) return kNo;
      if (i + 7 > s.size()) return kCut;
      return sized(be16(s, i + 5), be16(s, i + 3));  // precision, height, width
    }
    i += len;
  }
}

Parsed gif(std::string_view s) {
  if (s.size() < 10) return kCut;
  return sized(le16(s, 6), le16(s, 8));
}

Parsed webp(std::string_view s) {
  if (s.size() < 30) return kCut;
  const std::string_view chunk = s.substr(12, 4);
  if (chunk == "VP8 ") {
    if (byte(s, 23) != 0x9d || byte(s, 24) != 0x01 || byte(s, 25) != 0x2a) return kNo;
    return sized(le16(s, 26) & 0x3fff, le16(s, 28) & 0x3fff);
  }
  if (chunk == "VP8L") {
    if (byte(s, 20) != 0x2f) return kNo;
    const std::uint32_t bits = le32(s, 21);
    return sized((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1);
  }
  if (chunk == "VP8X") return sized(std::uint64_t{le24(s, 24)} + 1, std::uint64_t{le24(s, 27)} + 1);
  return kNo;
}

Parsed bmp(std::string_view s) {
  if (s.size() < 26) return kCut;
  const std::uint32_t dib = le32(s, 14);
  if (dib == 12) return sized(le16(s, 18), le16(s, 20));
  if (dib < 40 || dib > 1024) return kNo;
  const auto w = static_cast<std::int32_t>(le32(s, 18));
  const auto h = static_cast<std::int32_t>(le32(s, 22));  // negative: rows top-down
  if (w <= 0 || h == 0 || h == INT32_MIN) return kNo;
  return sized(static_cast<std::uint64_t>(w), static_cast<std::uint64_t>(h < 0 ? -h : h));
}

// The first IFD's ImageWidth (256) and ImageLength (257), SHORT or LONG.
Parsed tiff(std::string_view s) {
  const bool le = s[0] == 'I';
  auto u16 = [&](std::size_t i) { return le ? le16(s, i) : be16(s, i); };
  auto u32 = [&](std::size_t i) { return le ? le32(s, i) : be32(s, i); };
  if (s.size() < 8) return kCut;
  if (u16(2) == 43) return kUnsized;  // BigTIFF: not read here
  if (u16(2) != 42) return kNo;
  const std::size_t ifd = u32(4);
  if (ifd < 8) return kNo;
  if (ifd + 2 > s.size()) return kCut;
  const std::size_t n = u16(ifd);
  std::uint64_t w = 0, h = 0;
  for (std::size_t e = 0; e < n; ++e) {
    const std::size_t at = ifd + 2 + 12 * e;
    if (at + 12 > s.size()) return kCut;
    const std::uint32_t tag = u16(at), type = u16(at + 2);
    if (tag != 256 && tag != 257) continue;
    std::uint64_t v = 0;
    if (type == 3) v = u16(at + 8);
    else if (type == 4) v = u32(at + 8);
    else return kNo;
    (tag == 256 ? w : h) = v;
    if (w && h) return sized(w, h);
  }
  return kNo;
}

// ISO base media boxes (AVIF, HEIC): ftyp, then meta with the primary item
// (pitm) and its properties (iprp: ipco lists them, ipma gives each item
// its own): the primary item's ispe is the picture's size. Without pitm or
// ipma, the largest ispe.
// Calls fn(type, body) for the boxes of `s` in order until it returns
// true; `cut` is set when a box runs past the end of `s`.
template <class Fn>
void for_each_box(std::string_view s, bool& cut, Fn&& fn) {
  std::size_t i = 0;
  while (i + 8 <= s.size()) {
    std::uint64_t len = be32(s, i);
    std::size_t header = 8;
    if (len == 1) {
      if (i + 16 > s.size()) break;
      len = std::uint64_t{be32(s, i + 8)} << 32 | be32(s, i + 12);
      header = 16;
    } else if (len == 0) {
      len = s.size() - i;
    }
    if (len < header) return;
    const std::string_view type = s.substr(i + 4, 4);
    if (len > s.size() - i) {
      cut = true;
      fn(type, s.substr(i + header));
      return;
    }
    if (fn(type, s.substr(i + header, static_cast<std::size_t>(len) - header))) return;
    i += static_cast<std::size_t>(len);
  }
  if (i < s.size()) cut = true;
}

// The 1-based ipco indexes of the properties of `item` in an ipma body.
std::vector<std::size_t> properties_of(std::string_view ipma, std::uint32_t item) {
  std::vector<std::size_t> out;
  if (ipma.size() < 8) return out;
  const std::uint32_t version = byte(ipma, 0), flags = byte(ipma, 3);
  const std::uint32_t entries = be32(ipma, 4);
  std::size_t i = 8;
  for (std::uint32_t e = 0; e < entries; ++e) {
    const std::size_t id_bytes = version < 1 ? 2 : 4;
    if (i + id_bytes + 1 > ipma.size()) break;
    const std::uint32_t id = version < 1 ? be16(ipma, i) : be32(ipma, i);
    i += id_bytes;
    const std::uint32_t n = byte(ipma, i++);
    const std::size_t each = flags & 1 ? 2 : 1;
    if (i + n * each > ipma.size()) break;
    for (std::uint32_t k = 0; k < n && id == item; ++k)
      out.push_back(each == 2 ? (be16(ipma, i + 2 * k) & 0x7fff) : (byte(ipma, i + k) & 0x7f));
    i += n * each;
    if (id == item) break;
  }
  return out;
}

Parsed heif(std::string_view s) {
  if (s.size() < 12) return kCut;
  static constexpr std::string_view brands[] = {"avif", "avis", "heic", "heix", "heim", "heis",
                                                "hevc", "hevx", "mif1", "msf1"};
  if (std::find(std::begin(brands), std::end(brands), s.substr(8, 4)) == std::end(brands)) return kNo;
  bool cut = false, saw_meta = false;
  std::optional<std::uint32_t> primary;
  std::string_view ipma;
  std::vector<ImageSize> sizes;  // by ipco index - 1; {0, 0} for other properties
  for_each_box(s, cut, [&](std::string_view type, std::string_view meta) {
    if (type != "meta" || meta.size() < 4) return false;
    saw_meta = true;
    for_each_box(meta.substr(4), cut, [&](std::string_view t2, std::string_view body) {
      if (t2 == "pitm" && body.size() >= 6) primary = byte(body, 0) == 0 ? be16(body, 4) : be32(body, 4);
      if (t2 != "iprp") return false;
      for_each_box(body, cut, [&](std::string_view t3, std::string_view b3) {
        if (t3 == "ipma") ipma = b3;
        if (t3 != "ipco") return false;
        for_each_box(b3, cut, [&](std::string_view t4, std::string_view prop) {
          ImageSize size;
          if (t4 == "ispe" && prop.size() >= 12) size = {be32(prop, 4), be32(prop, 8)};
          sizes.push_back(size);
          return false;
        });
        return false;
      });
      return false;
    });
    return true;
  });
  if (primary && !ipma.empty())
    for (std::size_t index : properties_of(ipma, *primary))
      if (index >= 1 && index <= sizes.size() && sizes[index - 1].width) {
        const ImageSize size = sizes[index - 1];
        return sized(size.width, size.height);
      }
  if (cut || !saw_meta) return kCut;  // the primary item's properties may lie further on
  ImageSize best;
  for (const auto& size : sizes)
    if (std::uint64_t{size.width} * size.height > std::uint64_t{best.width} * best.height) best = size;
  if (best.width && best.height) return sized(best.width, best.height);
  return kNo;
}

// A length in an SVG attribute: a number, with no unit or "px".
std::optional<double> svg_length(std::string_view v) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  double d = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc() || !(d > 0) || d > 1e9) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(v.data() + v.size() - end));
  while (!unit.empty() && unit.back() == ' ') unit.remove_suffix(1);
  if (!unit.empty() && unit != "px") return std::nullopt;
  return d;
}

// The value of attribute `name` in the tag `tag` ("" when absent).
std::string_view attribute(std::string_view tag, std::string_view name) {
  for (std::size_t at = tag.find(name); at != std::string_view::npos; at = tag.find(name, at + 1)) {
    if (at == 0 || !std::isspace(static_cast<unsigned char>(tag[at - 1]))) continue;
    std::size_t i = at + name.size();
    while (i < tag.size() && tag[i] == ' ') ++i;
    if (i >= tag.size() || tag[i] != '=') continue;
    ++i;
    while (i < tag.size() && tag[i] == ' ') ++i;
    if (i >= tag.size() || (tag[i] != '"' && tag[i] != '\'')) continue;
    const std::size_t close = tag.find(tag[i], i + 1);
    if (close == std::string_view::npos) return {};
    return tag.substr(i + 1, close - i - 1);
  }
  return {};
}

Parsed svg(std::string_view s) {
  const std::size_t open = s.find("<svg");
  if (open == std::string_view::npos) return s.size() < 4096 ? kNo : kCut;
  const std::size_t close = s.find('>', open);
  if (close == std::string_view::npos) return kCut;
  const std::string_view tag = s.substr(open, close - open);
  auto w = svg_length(attribute(tag, "width")), h = svg_length(attribute(tag, "height"));
  if (w && h) return sized(static_cast<std::uint64_t>(*w + 0.5), static_cast<std::uint64_t>(*h + 0.5));
  std::string box(attribute(tag, "viewBox"));
  std::replace(box.begin(), box.end(), ',', ' ');
  double v[4] = {};
  const char* p = box.data();
  const char* end = box.data() + box.size();
  for (double& x : v) {
    while (p < end && *p == ' ') ++p;
    auto [next, ec] = std::from_chars(p, end, x);
    if (ec != std::errc()) return kUnsized;
    p = next;
  }
  if (v[2] > 0 && v[3] > 0 && v[2] < 1e9 && v[3] < 1e9)
    return sized(static_cast<std::uint64_t>(v[2] + 0.5), static_cast<std::uint64_t>(v[3] + 0.5));
  return kUnsized;
}

// Text that may start an SVG: optional BOM and white space, then '<'.
bool looks_like_xml(std::string_view s) {
  if (s.starts_with("\xef\xbb\xbf")) s.remove_prefix(3);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  return s.starts_with("<");
}

Parsed parse(std::string_view s) {
  if (s.starts_with("\x89PNG\r\n\x1a\n")) return png(s);
  if (s.starts_with("\xff\xd8")) return jpeg(s);
  if (s.starts_with("GIF87a") || s.starts_with("GIF89a")) return gif(s);
  if (s.size() >= 12 && s.starts_with("RIFF") && s.substr(8, 4) == "WEBP") return webp(s);
  if (s.starts_with("BM")) return bmp(s);
  if (s.starts_with("II") || s.starts_with("MM")) return tiff(s);
  if (s.size() >= 8 && s.substr(4, 4) == "ftyp") return heif(s);
  if (looks_like_xml(s)) return svg(s);
  return kNo;
}

}  // namespace

ImageHeader read_image_header(std::string_view head, bool complete) {
  if (head.size() > kImageHeaderBytes) {
    head = head.substr(0, kImageHeaderBytes);
    complete = false;
  }
  const Parsed p = parse(head);
  switch (p.got) {
    case Got::size: return {HeaderVerdict::image, p.size};
    case Got::cut: return {complete ? HeaderVerdict::not_an_image : HeaderVerdict::size_unknown, {}};
    case Got::unsized: return {HeaderVerdict::size_unknown, {}};
    case Got::no: break;
  }
  return {HeaderVerdict::not_an_image, {}};
}

std::optional<ImageSize> image_size(std::string_view head) {
  auto h = read_image_header(head, false);
  if (h.verdict != HeaderVerdict::image) return std::nullopt;
  return h.size;
}

}  // namespace lima::index
