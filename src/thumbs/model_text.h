// Reading the text model formats (ASCII STL, OBJ, 3MF XML): lines with
// their numbers, whitespace-separated words, and numbers read without
// locale, allocation or exceptions.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace lima::thumbs {

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

/// The text's lines in order, numbered from 1, without their line ends.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : rest_(text) {}
  /// The next line, false at the end.
  bool next(std::string_view& line) {
    if (rest_.empty()) return false;
    const std::size_t end = rest_.find('\n');
    line = rest_.substr(0, end);
    rest_ = end == std::string_view::npos ? std::string_view{} : rest_.substr(end + 1);
    ++number_;
    return true;
  }
  std::uint64_t number() const { return number_; }

 private:
  std::string_view rest_;
  std::uint64_t number_ = 0;
};

/// The next whitespace-separated word of `s` (empty at the end); `s` keeps
/// what follows it.
inline std::string_view next_word(std::string_view& s) {
  std::size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  std::size_t j = i;
  while (j < s.size() && !is_space(s[j])) ++j;
  const std::string_view word = s.substr(i, j - i);
  s.remove_prefix(j);
  return word;
}

/// A whole word as a float ("1.5", "-2e3", "+4"; also "nan", "inf").
inline bool parse_float(std::string_view word, float& out) {
  if (!word.empty() && word.front() == '+') word.remove_prefix(1);
  if (word.empty()) return false;
  const auto r = std::from_chars(word.data(), word.data() + word.size(), out);
  if (r.ptr != word.data() + word.size()) return false;
  if (r.ec == std::errc::result_out_of_range) {  // too large: not drawable; too small: zero
    const bool tiny = word.find("e-") != std::string_view::npos || word.find("E-") != std::string_view::npos;
    out = tiny ? 0.0f : std::numeric_limits<float>::infinity();
    return true;
  }
  return r.ec == std::errc{};
}

/// Text from a file, fit to quote in a reason: at most 40 bytes, bytes
/// other than printable ASCII shown as '?'.
inline std::string quote_text(std::string_view text) {
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < 40; ++i) out += text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
  if (text.size() > 40) out += "...";
  return out + "'";
}

/// The next word of `s` as a float.
inline bool next_float(std::string_view& s, float& out) { return parse_float(next_word(s), out); }

/// A whole word as a signed integer.
inline bool parse_int(std::string_view word, std::int64_t& out) {
  if (!word.empty() && word.front() == '+') word.remove_prefix(1);
  if (word.empty()) return false;
  const auto r = std::from_chars(word.data(), word.data() + word.size(), out);
  return r.ec == std::errc{} && r.ptr == word.data() + word.size();
}

}  // namespace lima::thumbs
