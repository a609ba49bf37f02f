// The search language (DESIGN §5) as a tree: parse_query() turns the text a
// user typed into a Query, or into an error that says what is wrong and
// where. The grammar, loosest binding first:
//
//   query    := or_expr
//   or_expr  := and_expr ( OR and_expr )*          OR: "or" / "OR"
//   and_expr := unary ( [AND] unary )*             implicit AND; "and" / "AND" optional
//   unary    := "-" unary | NOT unary | primary    NOT: "not" / "NOT"
//   primary  := "(" or_expr ")" | phrase | field ":" value | term
//   value    := phrase | term | comparison          (per field, see below)
//
// A term is a run of characters other than white space, parentheses and
// double quotes; a phrase is text in double quotes. A term whose folded
// form holds several runs ("speed-boat", "Benchy.stl") is a phrase whose
// last word may be a prefix. Fields: tag collection project name path
// notes (a term or phrase), type (model image document other), ext (an
// extension, without the dot), has / missing (tags image note), size
// (">10M", "<=512K", "=0"; units B K M G T, binary), modified / added
// ("<30d" = within the last 30 days, ">2026-01-01" = after that day; ages
// in h d w m y, dates YYYY, YYYY-MM, YYYY-MM-DD, UTC).
//
// The finer rules:
//   - Words: a bare term is folded into runs (words.h query_runs); one run
//     is a `words` node that matches as a prefix; several runs are a phrase
//     whose last word may be a prefix. A quoted phrase is exact words,
//     adjacent, in order. A term without letters or digits ("...", "+",
//     a '-' followed by white space) looks for nothing and is left out;
//     a query left with nothing to look for is an error.
//   - Operators: or/OR, and/AND, not/NOT only as bare terms of their own
//     ("or" in quotes is a word). '-' right before something excludes it
//     (-word, -tag:x, -"a b", -(a or b)).
//   - Fields: `name:value` is a field only when `name` is ASCII letters
//     (any case) and something follows the colon; then an unknown name is
//     an error ("unknown field 'colour:' at 5"), so text with a colon is
//     searched literally in quotes ("a:b"). A known field with nothing
//     after its colon is an error; an unknown one ("Note:") is a word.
//     A quoted value follows the colon directly: tag:"dual color".
//   - type: model image document other. ext: one extension, lower-cased,
//     a leading dot ignored. has: / missing: tags (tag), image (images),
//     note (notes); missing:x is (not (has x)).
//   - size: [< <= = >= >] number [unit]; no sign means "="; the number may
//     have decimals (>1.5G); units B K M G T (K = 1024), "KB"/"KiB" too.
//   - modified: / added: an age: "<30d" within the last 30 days (and no
//     sign means the same), ">1y" older than a year, "<=" and ">=" the
//     same with the boundary included, "=" an error; h = hour, d = day,
//     w = 7 days, m = 30 days, y = 365 days. A date covers its whole UTC
//     day (month, year): ">D" after it ends, ">=D" from its start, "<D"
//     before it starts, "<=D" up to its end, "=D" or no sign during it.
//   - Every comparison node means `item value cmp number`, times in ns
//     since the epoch; "during" is (and (>= start) (< end)).
//   - The tree is simplified: a group of one is its kid, nested groups of
//     the same kind are flattened, a double negation is removed.
//   - Errors end with " at N", N the 1-based column in characters of the
//     token at fault (for a bad field value, of the value).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "index/error.h"
#include "index/records.h"

namespace lima::index {

/// Where words are looked for. `any` = every text field below.
/// DO NOT CHANGE values: the word index stores name, path and notes.
enum class Field : std::uint8_t {
  any = 0,
  name = 'n',        ///< project folder name; asset file name
  path = 'p',        ///< an asset's folders inside its project
  notes = 'o',       ///< the item's note
  tag = 't',         ///< the item's own tags
  collection = 'c',  ///< a project's collections (an asset: its project's)
  project = 'j',     ///< the project's name (for an asset: the project it is in)
};
std::string_view to_string(Field f);

enum class Compare : std::uint8_t { lt, le, eq, ge, gt };

struct QueryNode {
  enum class Op : std::uint8_t {
    all_of,   ///< kids: every one matches
    any_of,   ///< kids: at least one matches
    none_of,  ///< kids[0] does not match
    words,    ///< `words` in `field`: one word, or a phrase when several
    type,     ///< asset kind == `kind` (projects never match)
    ext,      ///< asset extension == `text` (lower-case, no dot)
    has,      ///< `text` is "tags", "image" or "note"
    size,     ///< asset size `cmp` `number` (bytes)
    modified, ///< item mtime `cmp` `number` (ns since the epoch)
    added,    ///< item first indexed `cmp` `number` (ns since the epoch)
  };
  Op op = Op::all_of;
  std::vector<QueryNode> kids;
  // words
  Field field = Field::any;
  std::vector<std::string> words;  ///< folded, each ≤ kMaxWordBytes
  bool phrase = false;             ///< words must be adjacent, in order (also for one word: exact)
  bool last_prefix = true;         ///< the last word matches as a prefix; the others exactly
  // type / ext / has
  Kind kind = Kind::other;
  std::string text;
  // size / modified / added
  Compare cmp = Compare::eq;
  std::int64_t number = 0;
  /// Byte offset of the node's first character in the query text.
  std::size_t at = 0;
};

struct Query {
  QueryNode root;
  std::string text;  ///< as typed
};

/// A malformed query: what is wrong, and the 1-based character column
/// where it is ("unknown field 'colour:' at 5").
struct QueryError {
  std::string message;  ///< the whole sentence, position included
  std::size_t column = 0;
};

/// Parses `text`. `now_ns` anchors ages ("<30d"). An empty query, or one
/// with nothing to look for, is an error too.
tl::expected<Query, QueryError> parse_query(std::string_view text, std::int64_t now_ns);

/// The tree in a canonical s-expression form, for tests and --explain:
/// `(and (word any "benchy"*) (not (word tag "draft"*)))`; `*` marks a
/// prefix word; phrases are `(phrase field "a" "b")`; comparisons
/// `(size > 10485760)`, `(modified >= 1767225600000000000)`.
std::string describe(const QueryNode& node);

}  // namespace lima::index
