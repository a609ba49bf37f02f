// The search language's parser (query.h): a lexer that cuts the text into
// terms, phrases, parentheses and '-', and a recursive-descent parser over
// the grammar in query.h that builds a simplified tree. Field values that
// are comparisons (size, modified, added) are read by query_values.cpp.
#include "index/query.h"

#include <algorithm>
#include <utility>

#include "index/query_values.h"
#include "index/words.h"

namespace lima::index {
namespace {

/// Deeper nesting than this (parentheses, '-' and 'not') is refused, so a
/// hostile query cannot exhaust the stack.
constexpr int kMaxDepth = 64;

enum class TokKind : std::uint8_t { term, phrase, open, close, minus, end };

struct Tok {
  TokKind kind = TokKind::end;
  std::string_view text;  ///< a term as typed; a phrase without its quotes
  std::size_t at = 0;     ///< byte offset of the first character
  std::size_t end = 0;    ///< byte offset one past the last character
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::size_t column_of(std::string_view text, std::size_t at) {
  std::size_t column = 1;
  for (std::size_t i = 0; i < at && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;
  }
  return column;
}

QueryError error_at(std::string_view text, std::size_t at, std::string what) {
  const std::size_t column = column_of(text, at);
  return QueryError{std::move(what) + " at " + std::to_string(column), column};
}

/// Cuts `text` into tokens. A '-' starts an exclusion when something other
/// than white space follows it; alone it is a term (and holds no word).
tl::expected<std::vector<Tok>, QueryError> lex(std::string_view text) {
  std::vector<Tok> toks;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const char c = text[i];
    if (is_space(c)) {
      ++i;
    } else if (c == '(' || c == ')') {
      toks.push_back(Tok{c == '(' ? TokKind::open : TokKind::close, text.substr(i, 1), i, i + 1});
      ++i;
    } else if (c == '"') {
      const std::size_t close = text.find('"', i + 1);
      if (close == std::string_view::npos) return tl::unexpected(error_at(text, i, "unclosed quote"));
      toks.push_back(Tok{TokKind::phrase, text.substr(i + 1, close - i - 1), i, close + 1});
      i = close + 1;
    } else if (c == '-' && (i + 1 == n || !is_space(text[i + 1]))) {
      toks.push_back(Tok{TokKind::minus, text.substr(i, 1), i, i + 1});
      ++i;
    } else {
      std::size_t j = i + 1;
      while (j < n && !is_space(text[j]) && text[j] != '(' && text[j] != ')' && text[j] != '"') ++j;
      toks.push_back(Tok{TokKind::term, text.substr(i, j - i), i, j});
      i = j;
    }
  }
  toks.push_back(Tok{TokKind::end, {}, n, n});
  return toks;
}

bool is_operator(const Tok& t, std::string_view lower, std::string_view upper) {
  return t.kind == TokKind::term && (t.text == lower || t.text == upper);
}
bool is_or(const Tok& t) { return is_operator(t, "or", "OR"); }
bool is_and(const Tok& t) { return is_operator(t, "and", "AND"); }
bool is_not(const Tok& t) { return is_operator(t, "not", "NOT"); }

/// A group of kids, flattened into kids of the same kind, one kid alone
/// standing for the group.
QueryNode group(QueryNode::Op op, std::vector<QueryNode> kids) {
  if (kids.size() == 1) return std::move(kids.front());
  QueryNode g;
  g.op = op;
  g.at = kids.empty() ? 0 : kids.front().at;
  for (auto& k : kids) {
    if (k.op == op) {
      for (auto& kk : k.kids) g.kids.push_back(std::move(kk));
    } else {
      g.kids.push_back(std::move(k));
    }
  }
  return g;
}

QueryNode negation(QueryNode kid, std::size_t at) {
  if (kid.op == QueryNode::Op::none_of) return std::move(kid.kids.front());
  QueryNode n;
  n.op = QueryNode::Op::none_of;
  n.at = at;
  n.kids.push_back(std::move(kid));
  return n;
}

std::optional<Field> text_field(std::string_view name) {
  static constexpr std::pair<std::string_view, Field> kFields[] = {
      {"tag", Field::tag},   {"collection", Field::collection}, {"project", Field::project},
      {"name", Field::name}, {"path", Field::path},             {"notes", Field::notes},
  };
  for (const auto& [n, f] : kFields) {
    if (n == name) return f;
  }
  return std::nullopt;
}

bool is_value_field(std::string_view name) {
  return name == "type" || name == "ext" || name == "has" || name == "missing" || name == "size" ||
         name == "modified" || name == "added";
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Tok> toks, std::int64_t now_ns)
      : text_(text), toks_(std::move(toks)), now_ns_(now_ns) {}

  tl::expected<QueryNode, QueryError> parse() {
    if (toks_.front().kind == TokKind::end) return fail(0, "empty query");
    auto root = parse_or();
    if (error_) return tl::unexpected(*error_);
    if (peek().kind == TokKind::close) return fail(peek().at, "unmatched ')'");
    if (!root.node) return fail(toks_.front().at, "nothing to search for");
    return std::move(*root.node);
  }

 private:
  /// What a part of the query gave: a node, or nothing when it held only
  /// punctuation; `consumed` tells an empty part from a missing one.
  struct Part {
    std::optional<QueryNode> node;
    bool consumed = false;
  };

  const Tok& peek() const { return toks_[pos_]; }
  const Tok& next() { return toks_[pos_++]; }

  tl::unexpected<QueryError> fail(std::size_t at, std::string what) {
    error_ = error_at(text_, at, std::move(what));
    return tl::unexpected(*error_);
  }
  /// Records an error; returns an empty part for the caller to pass up.
  Part failed(std::size_t at, std::string what) {
    if (!error_) error_ = error_at(text_, at, std::move(what));
    return {};
  }

  bool ends_operand(const Tok& t) const {
    return t.kind == TokKind::end || t.kind == TokKind::close || is_or(t) || is_and(t);
  }

  Part parse_or() {
    std::vector<QueryNode> alternatives;
    Part first = parse_and();
    if (error_) return {};
    if (!first.consumed && is_or(peek())) {
      return failed(peek().at, "'" + std::string(peek().text) + "' needs a word before it");
    }
    bool consumed = first.consumed;
    if (first.node) alternatives.push_back(std::move(*first.node));
    while (is_or(peek())) {
      const Tok& op = next();
      Part rhs = parse_and();
      if (error_) return {};
      if (!rhs.consumed) return failed(op.at, "'" + std::string(op.text) + "' needs a word after it");
      if (rhs.node) alternatives.push_back(std::move(*rhs.node));
    }
    if (alternatives.empty()) return Part{std::nullopt, consumed};
    return Part{group(QueryNode::Op::any_of, std::move(alternatives)), true};
  }

  Part parse_and() {
    std::vector<QueryNode> all;
    bool consumed = false;
    while (true) {
      const Tok& t = peek();
      if (t.kind == TokKind::end || t.kind == TokKind::close || is_or(t)) break;
      if (is_and(t)) {
        if (!consumed) return failed(t.at, "'" + std::string(t.text) + "' needs a word before it");
        next();
        if (ends_operand(peek())) return failed(t.at, "'" + std::string(t.text) + "' needs a word after it");
        continue;
      }
      Part p = parse_unary();
      if (error_) return {};
      consumed = true;
      if (p.node) all.push_back(std::move(*p.node));
    }
    if (all.empty()) return Part{std::nullopt, consumed};
    return Part{group(QueryNode::Op::all_of, std::move(all)), true};
  }

  Part parse_unary() {
    const Tok& t = peek();
    if (t.kind == TokKind::minus || is_not(t)) {
      next();
      if (ends_operand(peek())) return failed(t.at, "'" + std::string(t.text) + "' needs a word after it");
      if (++depth_ > kMaxDepth) return failed(t.at, "too deeply nested");
      Part inner = parse_unary();
      --depth_;
      if (error_ || !inner.node) return inner;
      return Part{negation(std::move(*inner.node), t.at), true};
    }
    return parse_primary();
  }

  Part parse_primary() {
    const Tok& t = next();
    switch (t.kind) {
      case TokKind::open: {
        if (peek().kind == TokKind::close) return failed(t.at, "empty parentheses");
        if (++depth_ > kMaxDepth) return failed(t.at, "too deeply nested");
        Part inner = parse_or();
        --depth_;
        if (error_) return {};
        if (peek().kind != TokKind::close) return failed(t.at, "unclosed '('");
        next();
        inner.consumed = true;
        return inner;
      }
      case TokKind::phrase: {
        auto runs = query_runs(t.text);
        if (runs.empty()) return failed(t.at, "empty phrase");
        return Part{words_node(Field::any, std::move(runs), true, t.at), true};
      }
      case TokKind::term:
        return term(t);
      default:  // end, close and operators are looked at before a primary is asked for
        return failed(t.at, "unexpected '" + std::string(t.text) + "'");
    }
  }

  static QueryNode words_node(Field f, std::vector<std::string> runs, bool quoted, std::size_t at) {
    QueryNode n;
    n.op = QueryNode::Op::words;
    n.field = f;
    n.phrase = quoted || runs.size() > 1;
    n.last_prefix = !quoted;
    n.words = std::move(runs);
    n.at = at;
    return n;
  }

  /// A bare term, or `field:value` when the text before the first colon
  /// is letters only and a value follows.
  Part term(const Tok& t) {
    const std::size_t colon = t.text.find(':');
    const bool letters = colon != std::string_view::npos && colon > 0 &&
                         std::all_of(t.text.begin(), t.text.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
                           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
                         });
    if (letters) {
      const std::string_view as_typed = t.text.substr(0, colon + 1);
      const std::string name = fold(t.text.substr(0, colon));  // ASCII letters: lower case
      std::string_view value = t.text.substr(colon + 1);
      std::size_t value_at = t.at + colon + 1;
      bool quoted = false;
      if (value.empty() && peek().kind == TokKind::phrase && peek().at == t.end) {
        const Tok& phrase = next();
        value = phrase.text;
        value_at = phrase.at;
        quoted = true;
      }
      const bool known = text_field(name) || is_value_field(name);
      if (!value.empty() || quoted) {
        if (!known) return failed(t.at, "unknown field '" + std::string(as_typed) + "'");
        return field(t, name, as_typed, value, value_at, quoted);
      }
      if (known) return failed(t.at, "'" + std::string(as_typed) + "' needs a value");
    }
    auto runs = query_runs(t.text);
    if (runs.empty()) return Part{std::nullopt, true};  // stray punctuation
    return Part{words_node(Field::any, std::move(runs), false, t.at), true};
  }

  Part field(const Tok& t, const std::string& name, std::string_view as_typed, std::string_view value,
             std::size_t value_at, bool quoted) {
    const std::string field_name(as_typed);
    if (auto f = text_field(name)) {
      auto runs = query_runs(value);
      if (runs.empty()) {
        if (quoted) return failed(value_at, "empty phrase");
        return failed(value_at, "'" + field_name + "' needs letters or digits, not '" + std::string(value) + "'");
      }
      return Part{words_node(*f, std::move(runs), quoted, t.at), true};
    }
    auto node = parse_field_value(name, field_name, value, now_ns_);
    if (!node) return failed(value_at, std::move(node.error()));
    node->at = t.at;
    for (auto& k : node->kids) k.at = t.at;
    return Part{std::move(*node), true};
  }

  std::string_view text_;
  std::vector<Tok> toks_;
  std::int64_t now_ns_;
  std::size_t pos_ = 0;
  int depth_ = 0;  ///< parentheses, '-' and 'not' around the current token
  std::optional<QueryError> error_;
};

void describe_to(const QueryNode& n, std::string& out) {
  using Op = QueryNode::Op;
  auto kids = [&](std::string_view head) {
    out += "(";
    out += head;
    for (const auto& k : n.kids) {
      out += " ";
      describe_to(k, out);
    }
    out += ")";
  };
  auto comparison = [&](std::string_view head) {
    static constexpr std::string_view kSigns[] = {"<", "<=", "=", ">=", ">"};
    out += "(";
    out += head;
    out += " ";
    out += kSigns[static_cast<std::size_t>(n.cmp)];
    out += " ";
    out += std::to_string(n.number);
    out += ")";
  };
  switch (n.op) {
    case Op::all_of: return kids("and");
    case Op::any_of: return kids("or");
    case Op::none_of: return kids("not");
    case Op::words:
      out += n.phrase ? "(phrase " : "(word ";
      out += to_string(n.field);
      for (std::size_t i = 0; i < n.words.size(); ++i) {
        out += " \"";
        for (char c : n.words[i]) {
          if (c == '"' || c == '\\') out += '\\';
          out += c;
        }
        out += "\"";
        if (i + 1 == n.words.size() && n.last_prefix) out += "*";
      }
      out += ")";
      return;
    case Op::type:
      out += "(type ";
      out += to_string(n.kind);
      out += ")";
      return;
    case Op::ext: out += "(ext \"" + n.text + "\")"; return;
    case Op::has: out += "(has " + n.text + ")"; return;
    case Op::size: return comparison("size");
    case Op::modified: return comparison("modified");
    case Op::added: return comparison("added");
  }
}

}  // namespace

std::string_view to_string(Field f) {
  switch (f) {
    case Field::any: return "any";
    case Field::name: return "name";
    case Field::path: return "path";
    case Field::notes: return "notes";
    case Field::tag: return "tag";
    case Field::collection: return "collection";
    case Field::project: return "project";
  }
  return "any";
}

tl::expected<Query, QueryError> parse_query(std::string_view text, std::int64_t now_ns) {
  auto toks = lex(text);
  if (!toks) return tl::unexpected(std::move(toks.error()));
  Parser parser(text, std::move(*toks), now_ns);
  auto root = parser.parse();
  if (!root) return tl::unexpected(std::move(root.error()));
  return Query{std::move(*root), std::string(text)};
}

std::string describe(const QueryNode& node) {
  std::string out;
  describe_to(node, out);
  return out;
}

}  // namespace lima::index
