// Words: the tokenizer and Unicode folding shared by the word index and the
// query language (words.h).
//
// A text is read one code point at a time (ASCII without a libutf8proc
// call; an invalid UTF-8 byte is a code point of its own, an uncased
// letter kept verbatim). Each code point is classed on the original text
// (upper, lower, uncased letter, digit, or "attached": marks and default
// ignorable characters such as the soft hyphen, which neither separate nor
// split) and folded on its own, so a run's folded form is the concatenation
// of its characters' folded forms and case boundaries are judged before
// folding.
//
// The words of a run (the run "3DBenchy", positions 0..3):
//   - the whole run: 3dbenchy [0,3);
//   - its case parts, when there are several: the run cut at case changes
//     only (lower→upper; before the last capital of a capital run followed
//     by a lower-case letter; before a capital that starts a capitalised
//     word after a digit; between cased letters and uncased ones such as
//     CJK): 3d [0,2), benchy [2,3);
//   - its pieces: the case parts cut again at letter↔digit changes, each a
//     word of its own unless it is the whole case part: 3 [0,1), d [1,2).
// Pieces take one position each; a case part or run spans its pieces. So
// "partV2" gives partv2 [0,3), part [0,1), v2 [1,3), v [1,2), 2 [2,3), and
// "XMLFile" gives xmlfile [0,2), xml [0,1), file [1,2).
#include "index/words.h"

#include <algorithm>
#include <array>
#include <vector>

#include <utf8proc.h>

namespace lima::index {
namespace {

/// The class of one character of the original text.
enum class Cls : std::uint8_t {
  separator,  ///< ends a run
  upper,      ///< Lu, Lt
  lower,      ///< Ll
  uncased,    ///< Lm, Lo (CJK, Arabic, …)
  raw,        ///< an invalid UTF-8 byte: a letter without case
  digit,      ///< N*
  attached,   ///< marks, default ignorables: part of the run, folds to nothing
};

constexpr std::array<Cls, 128> make_ascii_classes() {
  std::array<Cls, 128> t{};
  for (auto& c : t) c = Cls::separator;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = Cls::upper;
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = Cls::lower;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = Cls::digit;
  return t;
}
constexpr std::array<Cls, 128> kAscii = make_ascii_classes();

/// Letters that survive decomposition but have a plain Latin spelling.
/// Applied after case folding, so only lower-case forms are listed.
std::string_view special_letter(utf8proc_int32_t cp) {
  switch (cp) {
    case 0x00F8: return "o";   // ø
    case 0x00E6: return "ae";  // æ
    case 0x00DF: return "ss";  // ß
    case 0x0142: return "l";   // ł
    case 0x0111: return "d";   // đ
    case 0x00F0: return "d";   // ð
    case 0x00FE: return "th";  // þ
    case 0x0153: return "oe";  // œ
    case 0x0131: return "i";   // ı
    case 0x0167: return "t";   // ŧ
    case 0x0127: return "h";   // ħ
    case 0x0138: return "k";   // ĸ
    case 0x014B: return "n";   // ŋ
    default: return {};
  }
}

bool is_letter_or_digit(utf8proc_int32_t cp) {
  if (cp < 0x80) return kAscii[static_cast<std::size_t>(cp)] != Cls::separator;
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

void append_utf8(std::string& out, utf8proc_int32_t cp) {
  utf8proc_uint8_t buf[4];
  const auto n = utf8proc_encode_char(cp, buf);
  out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
}

/// Classes a non-ASCII code point and appends its folded form to `out`
/// (nothing for a separator).
Cls fold_code_point(utf8proc_int32_t cp, std::string& out) {
  const utf8proc_property_t* prop = utf8proc_get_property(cp);
  Cls cls;
  switch (prop->category) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LT: cls = Cls::upper; break;
    case UTF8PROC_CATEGORY_LL: cls = Cls::lower; break;
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: cls = Cls::uncased; break;
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
      cls = Cls::digit;
      break;
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
      cls = Cls::attached;
      break;
    default:
      // A zero-width space separates words; the other default ignorables
      // (soft hyphen, joiners, variation selectors) join them.
      if (!prop->ignorable || cp == 0x200B) return Cls::separator;
      cls = Cls::attached;
  }
  constexpr auto kOptions = static_cast<utf8proc_option_t>(
      UTF8PROC_CASEFOLD | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE);
  std::array<utf8proc_int32_t, 32> small{};
  std::vector<utf8proc_int32_t> large;
  int boundclass = 0;
  utf8proc_int32_t* cps = small.data();
  auto n = utf8proc_decompose_char(cp, cps, static_cast<utf8proc_ssize_t>(small.size()), kOptions, &boundclass);
  if (n > static_cast<utf8proc_ssize_t>(small.size())) {
    large.resize(static_cast<std::size_t>(n));
    cps = large.data();
    n = utf8proc_decompose_char(cp, cps, n, kOptions, &boundclass);
  }
  const std::size_t before = out.size();
  for (utf8proc_ssize_t i = 0; i < n; ++i) {
    const utf8proc_int32_t c = cps[i];
    if (c < 0x80) {
      if (kAscii[static_cast<std::size_t>(c)] != Cls::separator) out.push_back(static_cast<char>(c));
    } else if (auto s = special_letter(c); !s.empty()) {
      out.append(s);
    } else if (is_letter_or_digit(c)) {
      append_utf8(out, c);
    }
  }
  if (out.size() == before) return Cls::attached;      // all marks
  return cls == Cls::attached ? Cls::uncased : cls;   // a mark that left a letter
}

/// One character of the original text: its class, and where its folded
/// form ends in the run's folded text (it begins where the previous ended).
struct Char {
  std::uint32_t fold_end;
  Cls cls;
};

/// The runs of a text, folded. `on_run(folded, chars)` is called per run
/// whose folded form is not empty; buffers are reused between runs.
template <class OnRun>
void for_each_run(std::string_view text, OnRun&& on_run) {
  std::string folded;
  std::vector<Char> chars;
  folded.reserve(std::min<std::size_t>(text.size(), 256));
  chars.reserve(std::min<std::size_t>(text.size(), 256));
  auto flush = [&] {
    if (!folded.empty()) on_run(std::string_view(folded), chars);
    folded.clear();
    chars.clear();
  };
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    Cls cls;
    if (*p < 0x80) {
      cls = kAscii[*p];
      if (cls == Cls::upper) {
        folded.push_back(static_cast<char>(*p + ('a' - 'A')));
      } else if (cls != Cls::separator) {
        folded.push_back(static_cast<char>(*p));
      }
      ++p;
    } else {
      utf8proc_int32_t cp = 0;
      const auto len = utf8proc_iterate(p, end - p, &cp);
      if (len <= 0) {
        cls = Cls::raw;
        folded.push_back(static_cast<char>(*p));
        ++p;
      } else {
        cls = fold_code_point(cp, folded);
        p += len;
      }
    }
    if (cls == Cls::separator) {
      flush();
    } else {
      chars.push_back(Char{static_cast<std::uint32_t>(folded.size()), cls});
    }
  }
  flush();
}

/// Length of the UTF-8 sequence starting at s[i], or 1 for an invalid byte.
std::size_t sequence_length(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 1;
  if (i + n > s.size()) return 1;
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  }
  return n;
}

/// A folded word cut to kMaxWordBytes at a character boundary.
std::string_view cut_word(std::string_view w) {
  if (w.size() <= kMaxWordBytes) return w;
  std::size_t i = 0;
  while (i < w.size()) {
    const std::size_t n = sequence_length(w, i);
    if (i + n > kMaxWordBytes) break;
    i += n;
  }
  return w.substr(0, i);
}

bool is_cased(Cls c) { return c == Cls::upper || c == Cls::lower; }

/// The boundary before a base character, from its class, the previous
/// base character's and the next one's (Cls::separator at the run's end).
enum class Boundary : std::uint8_t { none, piece, case_part };

Boundary boundary(Cls prev, Cls cur, Cls next) {
  const bool starts_capitalised = cur == Cls::upper && next == Cls::lower;
  if ((prev == Cls::digit) != (cur == Cls::digit)) {
    return prev == Cls::digit && starts_capitalised ? Boundary::case_part : Boundary::piece;
  }
  if (prev == Cls::lower && cur == Cls::upper) return Boundary::case_part;
  if (prev == Cls::upper && starts_capitalised) return Boundary::case_part;
  if ((is_cased(prev) && cur == Cls::uncased) || (prev == Cls::uncased && is_cased(cur))) {
    return Boundary::case_part;
  }
  return Boundary::none;
}

struct Piece {
  std::uint32_t fold_begin;
  bool starts_case_part;
};

}  // namespace

std::string fold(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    if (*p < 0x80) {
      out.push_back(kAscii[*p] == Cls::upper ? static_cast<char>(*p + ('a' - 'A')) : static_cast<char>(*p));
      ++p;
      continue;
    }
    utf8proc_int32_t cp = 0;
    const auto len = utf8proc_iterate(p, end - p, &cp);
    if (len <= 0) {
      out.push_back(static_cast<char>(*p));
      ++p;
      continue;
    }
    if (fold_code_point(cp, out) == Cls::separator) {
      out.append(reinterpret_cast<const char*>(p), static_cast<std::size_t>(len));
    }
    p += len;
  }
  return out;
}

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  tokens.reserve(text.size() / 4 + 2);
  std::vector<Piece> pieces;
  std::vector<std::size_t> bases;  // indices of the characters that are not attached
  std::uint32_t pos = 0;
  for_each_run(text, [&](std::string_view folded, const std::vector<Char>& chars) {
    bases.clear();
    for (std::size_t i = 0; i < chars.size(); ++i) {
      if (chars[i].cls != Cls::attached) bases.push_back(i);
    }
    pieces.clear();
    pieces.push_back(Piece{0, true});
    for (std::size_t k = 1; k < bases.size(); ++k) {
      const Cls next = k + 1 < bases.size() ? chars[bases[k + 1]].cls : Cls::separator;
      const Boundary b = boundary(chars[bases[k - 1]].cls, chars[bases[k]].cls, next);
      if (b == Boundary::none) continue;
      const std::size_t i = bases[k];
      pieces.push_back(Piece{chars[i - 1].fold_end, b == Boundary::case_part});
    }
    const auto n = static_cast<std::uint32_t>(pieces.size());
    auto fold_begin = [&](std::uint32_t piece) {
      return piece < n ? pieces[piece].fold_begin : static_cast<std::uint32_t>(folded.size());
    };
    auto emit = [&](std::uint32_t first, std::uint32_t last) {
      const std::uint32_t b = fold_begin(first);
      const auto word = cut_word(folded.substr(b, fold_begin(last) - b));
      tokens.push_back(Token{std::string(word), pos + first, pos + last});
    };
    emit(0, n);
    if (n > 1) {
      for (std::uint32_t a = 0; a < n;) {
        std::uint32_t b = a + 1;
        while (b < n && !pieces[b].starts_case_part) ++b;
        if (a != 0 || b != n) emit(a, b);
        if (b - a > 1) {
          for (std::uint32_t k = a; k < b; ++k) emit(k, k + 1);
        }
        a = b;
      }
    }
    pos += n;
  });
  return tokens;
}

std::vector<std::string> index_words(std::string_view text) {
  std::vector<std::string> words;
  for (auto& t : tokenize(text)) words.push_back(std::move(t.word));
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  return words;
}

std::vector<std::string> query_runs(std::string_view term) {
  std::vector<std::string> runs;
  for_each_run(term, [&](std::string_view folded, const std::vector<Char>&) {
    runs.emplace_back(cut_word(folded));
  });
  return runs;
}

}  // namespace lima::index
