#include "index/names.h"

#include <optional>

#include "index/ignore.h"

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

// The code point of the well-formed sequence of n bytes at s[i].
char32_t code_point(std::string_view s, std::size_t i, std::size_t n) {
  auto b = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k])); };
  if (n == 1) return b(0);
  char32_t cp = b(0) & (0xFF >> (n + 1));
  for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (b(k) & 0x3F);
  return cp;
}

// Unicode's Cc: C0, DEL and C1.
bool is_control(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

// Unicode's White_Space property.
bool is_space(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

// One control character as printable() shows it.
std::string shown(char32_t cp) {
  static constexpr char hex[] = "0123456789abcdef";
  if (cp == '\n') return "\\n";
  if (cp == '\t') return "\\t";
  if (cp < 0x80) return std::string("\\x") + hex[cp >> 4] + hex[cp & 15];
  return std::string("\\u00") + hex[cp >> 4] + hex[cp & 15];
}

// What is wrong with a name under the rules every index has always kept
// (the lookup rule); empty when nothing is.
std::string structural_fault(std::string_view name, const std::string& w) {
  if (name.empty()) return w + " name is empty";
  if (name.size() > kMaxNameBytes)
    return w + " name is " + std::to_string(name.size()) + " bytes long, over the limit of 255";
  const std::string quoted = w + " name '" + printable(name) + "'";
  if (name.find('\0') != std::string_view::npos) return quoted + " contains a NUL byte";
  if (name.find('/') != std::string_view::npos) return quoted + " contains '/'";
  if (name == "." || name == "..") return quoted + " is '.' or '..'";
  if (name.front() == '+') return quoted + " starts with '+'";
  if (!is_valid_utf8(name)) return quoted + " is not valid UTF-8";
  return {};
}

// Control characters and white space in well-formed UTF-8: the first
// control character, and whether the name has anything but white space,
// starts with it or ends with it.
struct Characters {
  std::optional<char32_t> control;
  bool all_space = true, leading_space = false, trailing_space = false;
};

Characters characters(std::string_view name) {
  Characters out;
  bool first = true;
  for (std::size_t i = 0; i < name.size();) {
    const std::size_t n = utf8_seq(name, i);
    if (!n) break;
    const char32_t cp = code_point(name, i, n);
    if (is_control(cp) && !out.control) out.control = cp;
    const bool space = is_space(cp);
    out.all_space = out.all_space && space;
    if (first) out.leading_space = space;
    out.trailing_space = space;
    first = false;
    i += n;
  }
  return out;
}

Result<void> refuse(const std::string& fault, std::string_view rule) {
  return fail(Errc::invalid_argument, fault + "; " + std::string(rule));
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

Result<void> validate_lookup_name(std::string_view name, std::string_view what) {
  if (auto fault = structural_fault(name, std::string(what)); !fault.empty()) return refuse(fault, kNameRule);
  return {};
}

Result<void> validate_name(std::string_view name, std::string_view what) {
  const std::string w(what);
  if (auto fault = structural_fault(name, w); !fault.empty()) return refuse(fault, kNameRule);
  const auto chars = characters(name);
  const std::string quoted = w + " name '" + printable(name) + "'";
  if (chars.control) return refuse(quoted + " contains a control character (" + shown(*chars.control) + ")", kNameRule);
  if (chars.all_space) return refuse(quoted + " is only white space", kNameRule);
  return {};
}

Result<void> validate_folder_name(std::string_view name) {
  if (auto fault = structural_fault(name, "project folder"); !fault.empty()) return refuse(fault, kFolderNameRule);
  const auto chars = characters(name);
  const std::string quoted = "project folder name '" + printable(name) + "'";
  if (chars.control)
    return refuse(quoted + " contains a control character (" + shown(*chars.control) + ")", kFolderNameRule);
  if (chars.all_space) return refuse(quoted + " is only white space", kFolderNameRule);
  if (chars.leading_space) return refuse(quoted + " starts with white space", kFolderNameRule);
  if (chars.trailing_space) return refuse(quoted + " ends with white space", kFolderNameRule);
  if (IgnoreRules::ignored_by_default(name))
    return refuse(quoted + " is a name the index ignores, so the project would never show", kFolderNameRule);
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
    if (c == '\\') {
      out += "\\\\";
      ++i;
    } else if (std::size_t n = utf8_seq(s, i)) {
      const char32_t cp = code_point(s, i, n);
      if (is_control(cp)) out += shown(cp);
      else out.append(s.substr(i, n));
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
