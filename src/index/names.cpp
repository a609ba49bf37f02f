#include "index/names.h"

namespace lima::index {

namespace {

// Length of the well-formed UTF-8 sequence at s[i], or 0 when ill-formed.
std::size_t utf8_seq(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_seq(s, i);
    if (!n) return false;
    i += n;
  }
  return true;
}

Result<void> validate_name(std::string_view name, std::string_view what) {
  const std::string w(what);
  if (name.empty()) return fail(Errc::invalid_argument, w + " name is empty");
  if (name.size() > kMaxNameBytes)
    return fail(Errc::invalid_argument, w + " name is longer than 255 bytes (" + std::to_string(name.size()) + ")");
  if (name.find('/') != std::string_view::npos) return fail(Errc::invalid_argument, w + " name contains '/'");
  if (name.find('\0') != std::string_view::npos) return fail(Errc::invalid_argument, w + " name contains a NUL byte");
  if (name == "." || name == "..") return fail(Errc::invalid_argument, w + " name cannot be '.' or '..'");
  if (name.front() == '+') return fail(Errc::invalid_argument, w + " name cannot start with '+'");
  if (!is_valid_utf8(name)) return fail(Errc::invalid_argument, w + " name is not valid UTF-8");
  return {};
}

Result<void> validate_note(std::string_view text) {
  if (text.size() > kMaxNoteBytes)
    return fail(Errc::invalid_argument, "note is longer than " + std::to_string(kMaxNoteBytes) + " bytes");
  if (text.find('\0') != std::string_view::npos) return fail(Errc::invalid_argument, "note contains a NUL byte");
  if (!is_valid_utf8(text)) return fail(Errc::invalid_argument, "note is not valid UTF-8");
  return {};
}

std::string printable(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n') out += "\\n", ++i;
    else if (c == '\t') out += "\\t", ++i;
    else if (c == '\\') out += "\\\\", ++i;
    else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
      ++i;
    } else if (std::size_t n = utf8_seq(s, i)) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
      ++i;
    }
  }
  return out;
}

}  // namespace lima::index
