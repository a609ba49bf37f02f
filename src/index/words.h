// Words: how text becomes the words search finds. One tokenizer serves the
// word index (word_index.h) and the query language (query.h), so what is
// indexed and what is asked for are always cut and folded the same way.
//
// A text is cut into runs of letters and digits (Unicode categories L, M
// and N; anything else separates). Each run is folded: Unicode case
// folding, compatibility decomposition, accents and other marks stripped,
// then letters without a decomposition replaced (ø→o, æ→ae, ß→ss, ł→l,
// đ→d, þ→th, œ→oe, ı→i, …). A run that visibly joins several words is
// indexed whole and in parts. Its case parts are cut at lower→upper case
// changes, before the last capital of a capital run followed by a
// lower-case letter, before a capitalised word that follows a digit, and
// between cased and uncased letters (Latin next to CJK); its pieces are the
// case parts cut again at letter↔digit changes. A run gives itself, then
// each case part (when it has several) followed by the case part's pieces
// (when it has several): "3DBenchy" → 3dbenchy, 3d, 3, d, benchy;
// "partV2" → partv2, part, v2, v, 2; "XMLFile" → xmlfile, xml, file;
// "model2024v3" → model2024v3, model, 2024, v, 3. Case is judged on the
// text as written, before folding. Marks and default-ignorable characters
// (the soft hyphen, joiners) neither separate nor split; a zero-width
// space separates.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lima::index {

/// Longest word kept, in bytes of folded UTF-8; longer words are cut there
/// (at a character boundary), in the index and in queries alike.
inline constexpr std::size_t kMaxWordBytes = 64;

/// A word of a text. Positions count pieces: a run's pieces take
/// consecutive positions, a case part or a whole run spans its pieces, and
/// the next run starts where the last one ended. Two tokens are adjacent (a phrase) when the second's
/// `pos` is the first's `end`.
struct Token {
  std::string word;        ///< folded
  std::uint32_t pos = 0;   ///< first position
  std::uint32_t end = 0;   ///< one past the last position
};

/// The folded form of a text: case folded, marks stripped, special letters
/// replaced; characters that are not letters or digits are kept as they
/// are. Invalid UTF-8 bytes are kept as they are (they still form words).
std::string fold(std::string_view text);

/// Every token of a text, in order: per run, the whole run first, then its
/// parts when it has several. Invalid UTF-8 is not an error: each invalid
/// byte counts as a letter.
std::vector<Token> tokenize(std::string_view text);

/// The distinct words of a text (whole runs and parts), sorted: what the
/// word index keeps for it.
std::vector<std::string> index_words(std::string_view text);

/// The runs of a query term, folded, not split into parts: "3DBenchy.stl"
/// asks for "3dbenchy" then "stl". Empty when the term holds no letter or
/// digit.
std::vector<std::string> query_runs(std::string_view term);

}  // namespace lima::index
