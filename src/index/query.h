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

}  // namespace lima::index
