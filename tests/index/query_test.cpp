#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "index/query.h"
#include "index/words.h"

using namespace lima::index;

namespace {

// 2026-06-15 12:00:00 UTC, in ns since the epoch.
constexpr std::int64_t kNow = 1781524800000000000;

// The parsed tree, described; or the error.
std::string tree(std::string_view q) {
  auto r = parse_query(q, kNow);
  if (!r) return "error: " + r.error().message;
  CHECK(r->text == q);
  return describe(r->root);
}

// The error of a malformed query; its message ends with its column.
std::string error(std::string_view q) {
  auto r = parse_query(q, kNow);
  REQUIRE_FALSE(r);
  const std::string tail = " at " + std::to_string(r.error().column);
  const auto& m = r.error().message;
  CHECK(m.size() > tail.size());
  CHECK(m.substr(m.size() - tail.size()) == tail);
  return m;
}

}  // namespace

TEST_CASE("bare words are folded prefixes, all of which must match") {
  CHECK(tree("benchy") == R"((word any "benchy"*))");
  CHECK(tree("Benchy boat") == R"((and (word any "benchy"*) (word any "boat"*)))");
  CHECK(tree("Størrelse") == R"((word any "storrelse"*))");
  CHECK(tree("ÉCOLE Straße") == R"((and (word any "ecole"*) (word any "strasse"*)))");
  CHECK(tree("  benchy\t") == R"((word any "benchy"*))");
}

TEST_CASE("a term of several runs is a phrase whose last word is a prefix") {
  CHECK(tree("3DBenchy.stl") == R"((phrase any "3dbenchy" "stl"*))");
  CHECK(tree("speed-boat") == R"((phrase any "speed" "boat"*))");
  CHECK(tree("12:30") == R"((phrase any "12" "30"*))");  // no letters before the colon: not a field
}

TEST_CASE("a quoted phrase is exact words in order") {
  CHECK(tree(R"("dual color")") == R"((phrase any "dual" "color"))");
  CHECK(tree(R"("Benchy")") == R"((phrase any "benchy"))");
  CHECK(tree(R"("or")") == R"((phrase any "or"))");  // quoted, an operator is a word
  CHECK(tree(R"(a "b c" d)") == R"((and (word any "a"*) (phrase any "b" "c") (word any "d"*)))");
  CHECK(tree(R"("a:b")") == R"((phrase any "a" "b"))");
}

TEST_CASE("or binds looser than and") {
  CHECK(tree("a b or c") == R"((or (and (word any "a"*) (word any "b"*)) (word any "c"*)))");
  CHECK(tree("a or b c") == R"((or (word any "a"*) (and (word any "b"*) (word any "c"*))))");
  CHECK(tree("a OR b or c") == R"((or (word any "a"*) (word any "b"*) (word any "c"*)))");
  CHECK(tree("a and b") == R"((and (word any "a"*) (word any "b"*)))");
  CHECK(tree("a AND b or c") == tree("a b or c"));
  CHECK(tree("Or") == R"((word any "or"*))");  // only "or" and "OR" are operators
}

TEST_CASE("exclusions bind tightest") {
  CHECK(tree("-a b") == R"((and (not (word any "a"*)) (word any "b"*)))");
  CHECK(tree("not a b") == tree("-a b"));
  CHECK(tree("NOT (a or b)") == R"((not (or (word any "a"*) (word any "b"*))))");
  CHECK(tree("-(a or b) c") == R"((and (not (or (word any "a"*) (word any "b"*))) (word any "c"*)))");
  CHECK(tree("-tag:draft benchy") == R"((and (not (word tag "draft"*)) (word any "benchy"*)))");
  CHECK(tree(R"(-"dual color")") == R"((not (phrase any "dual" "color")))");
  CHECK(tree("--a") == R"((word any "a"*))");  // a double negation cancels out
  CHECK(tree("-draft") == R"((not (word any "draft"*)))");  // only exclusions is a valid query
}

TEST_CASE("parentheses group, and groups of one or of the same kind are flattened") {
  CHECK(tree("(a)") == R"((word any "a"*))");
  CHECK(tree("a (b c)") == R"((and (word any "a"*) (word any "b"*) (word any "c"*)))");
  CHECK(tree("(a or b) (c or d)") ==
        R"((and (or (word any "a"*) (word any "b"*)) (or (word any "c"*) (word any "d"*))))");
  CHECK(tree("((a or b) or c)") == R"((or (word any "a"*) (word any "b"*) (word any "c"*)))");
  CHECK(tree("a(b)") == R"((and (word any "a"*) (word any "b"*)))");
}

TEST_CASE("text fields take a term or a quoted phrase") {
  CHECK(tree("tag:pla") == R"((word tag "pla"*))");
  CHECK(tree(R"(tag:"dual color")") == R"((phrase tag "dual" "color"))");
  CHECK(tree("name:benchy") == R"((word name "benchy"*))");
  CHECK(tree("path:supports") == R"((word path "supports"*))");
  CHECK(tree("notes:todo") == R"((word notes "todo"*))");
  CHECK(tree("project:boat") == R"((word project "boat"*))");
  CHECK(tree("collection:favs") == R"((word collection "favs"*))");
  CHECK(tree("TAG:PLA") == R"((word tag "pla"*))");
  CHECK(tree("name:3DBenchy") == R"((word name "3dbenchy"*))");
  CHECK(tree("name:speed-boat") == R"((phrase name "speed" "boat"*))");
  CHECK(tree("tag:a:b") == R"((phrase tag "a" "b"*))");
  CHECK(tree("Note: todo") == R"((and (word any "note"*) (word any "todo"*)))");  // not a field name
}

TEST_CASE("type, ext, has and missing") {
  CHECK(tree("type:model") == "(type model)");
  CHECK(tree("type:Image") == "(type image)");
  CHECK(tree("type:document type:other") == "(and (type document) (type other))");
  CHECK(tree("ext:stl") == R"((ext "stl"))");
  CHECK(tree("ext:.3MF") == R"((ext "3mf"))");
  CHECK(tree("has:tags") == "(has tags)");
  CHECK(tree("has:image has:note") == "(and (has image) (has note))");
  CHECK(tree("missing:tags") == "(not (has tags))");
  CHECK(tree("-missing:image") == "(has image)");
  CHECK(tree("has:notes") == "(has note)");
}

TEST_CASE("sizes are bytes with binary units") {
  CHECK(tree("size:>10M") == "(size > 10485760)");
  CHECK(tree("size:<=512K") == "(size <= 524288)");
  CHECK(tree("size:=0") == "(size = 0)");
  CHECK(tree("size:10M") == "(size = 10485760)");
  CHECK(tree("size:>1.5G") == "(size > 1610612736)");
  CHECK(tree("size:>=3t") == "(size >= 3298534883328)");
  CHECK(tree("size:<100") == "(size < 100)");
  CHECK(tree("size:<100B") == "(size < 100)");
  CHECK(tree("size:>10MB size:<10MiB") == "(and (size > 10485760) (size < 10485760))");
}

TEST_CASE("ages count back from now") {
  CHECK(tree("modified:<30d") == "(modified > 1778932800000000000)");  // within the last 30 days
  CHECK(tree("modified:30d") == "(modified > 1778932800000000000)");
  CHECK(tree("modified:>1y") == "(modified < 1749988800000000000)");   // older than a year
  CHECK(tree("added:<=12h") == "(added >= 1781481600000000000)");
  CHECK(tree("added:>=2w") == "(added <= 1780315200000000000)");
  CHECK(tree("modified:<6m") == "(modified > 1765972800000000000)");
}

TEST_CASE("dates are whole UTC days, months or years") {
  // 2026-01-01 starts at 1767225600 s and ends at 1767312000 s.
  CHECK(tree("added:>2026-01-01") == "(added >= 1767312000000000000)");
  CHECK(tree("added:>=2026-01-01") == "(added >= 1767225600000000000)");
  CHECK(tree("added:<2026-01-01") == "(added < 1767225600000000000)");
  CHECK(tree("added:<=2026-01-01") == "(added < 1767312000000000000)");
  CHECK(tree("modified:2026-01-01") == "(and (modified >= 1767225600000000000) (modified < 1767312000000000000))");
  CHECK(tree("modified:=2026") == "(and (modified >= 1767225600000000000) (modified < 1798761600000000000))");
  CHECK(tree("modified:2024-02") == "(and (modified >= 1706745600000000000) (modified < 1709251200000000000))");
  CHECK(tree("modified:2024-02-29") == "(and (modified >= 1709164800000000000) (modified < 1709251200000000000))");
  CHECK(tree("modified:>2026 benchy") == R"((and (modified >= 1798761600000000000) (word any "benchy"*)))");
}

TEST_CASE("stray punctuation is left out") {
  CHECK(tree("benchy ... +") == R"((word any "benchy"*))");
  CHECK(tree("a - b") == R"((and (word any "a"*) (word any "b"*)))");
  CHECK(tree("a or ...") == R"((word any "a"*))");
}

TEST_CASE("node positions are byte offsets of their first character") {
  auto q = parse_query("Ø -tag:x (b or c)", kNow);
  REQUIRE(q);
  REQUIRE(q->root.kids.size() == 3);
  CHECK(q->root.kids[0].at == 0);
  CHECK(q->root.kids[1].at == 3);           // the '-'
  CHECK(q->root.kids[1].kids[0].at == 4);   // tag:x
  CHECK(q->root.kids[2].kids[1].at == 16);  // c
}

TEST_CASE("operators in the wrong place are errors that say where") {
  CHECK(error("or a") == "'or' needs a word before it at 1");
  CHECK(error("a or") == "'or' needs a word after it at 3");
  CHECK(error("a OR or b") == "'OR' needs a word after it at 3");
  CHECK(error("(a or) b") == "'or' needs a word after it at 4");
  CHECK(error("and a") == "'and' needs a word before it at 1");
  CHECK(error("a AND") == "'AND' needs a word after it at 3");
  CHECK(error("a and or b") == "'and' needs a word after it at 3");
  CHECK(error("a not") == "'not' needs a word after it at 3");
  CHECK(error("a -") == "'-' needs a word after it at 3");
  CHECK(error("(a -)") == "'-' needs a word after it at 4");
  CHECK(error("-or") == "'-' needs a word after it at 1");
}

TEST_CASE("parentheses and quotes must be balanced and not empty") {
  CHECK(error("(a b") == "unclosed '(' at 1");
  CHECK(error("a (b (c)") == "unclosed '(' at 3");
  CHECK(error("a b)") == "unmatched ')' at 4");
  CHECK(error(")") == "unmatched ')' at 1");
  CHECK(error("a ()") == "empty parentheses at 3");
  CHECK(error("a \"dual color") == "unclosed quote at 3");
  CHECK(error("a \"\"") == "empty phrase at 3");
  CHECK(error("\" ... \"") == "empty phrase at 1");
  CHECK(error(std::string(100, '(') + "a" + std::string(100, ')')) == "too deeply nested at 65");
  CHECK(error(std::string(100, '-') + "a") == "too deeply nested at 65");
}

TEST_CASE("an empty query, or one with nothing to look for, is an error") {
  CHECK(error("") == "empty query at 1");
  CHECK(error("   ") == "empty query at 1");
  CHECK(error("...") == "nothing to search for at 1");
  CHECK(error("  + - ") == "nothing to search for at 3");
  CHECK(error("-") == "'-' needs a word after it at 1");
  CHECK(error("(...)") == "nothing to search for at 1");
}

TEST_CASE("unknown fields and bad values are errors that say where") {
  CHECK(error("red colour:red") == "unknown field 'colour:' at 5");
  CHECK(error("C:\\path") == "unknown field 'C:' at 1");
  CHECK(error("http://example.com") == "unknown field 'http:' at 1");
  CHECK(error("Colour:\"red\"") == "unknown field 'Colour:' at 1");
  CHECK(error("tag:") == "'tag:' needs a value at 1");
  CHECK(error("size: >10M") == "'size:' needs a value at 1");
  CHECK(error("tag:...") == "'tag:' needs letters or digits, not '...' at 5");
  CHECK(error("tag:\"\"") == "empty phrase at 5");
  CHECK(error("type:car") == "unknown type 'car' (model, image, document or other) at 6");
  CHECK(error("ext:tar.gz") == "bad extension 'tar.gz' (such as stl, without a dot) at 5");
  CHECK(error("ext:.") == "bad extension '.' (such as stl, without a dot) at 5");
  CHECK(error("has:cats") == "unknown value 'cats' for 'has:' (tags, image or note) at 5");
  CHECK(error("Missing:x") == "unknown value 'x' for 'Missing:' (tags, image or note) at 9");
  CHECK(error("size:>ten") ==
        "bad size '>ten' (a number and a unit B K M G T, such as >10M or <=512K) at 6");
  CHECK(error("size:10X") == "bad size '10X' (a number and a unit B K M G T, such as >10M or <=512K) at 6");
  CHECK(error("size:1.") == "bad size '1.' (a number and a unit B K M G T, such as >10M or <=512K) at 6");
  CHECK(error("size:>99999999T") ==
        "bad size '>99999999T' (a number and a unit B K M G T, such as >10M or <=512K) at 6");
  CHECK(error("modified:<30x") ==
        "bad age or date '<30x' (an age such as <30d or >1y, in h d w m y, or a date YYYY, YYYY-MM or YYYY-MM-DD) "
        "at 10");
  CHECK(error("added:>2026-13-01") == "bad date '>2026-13-01' (YYYY, YYYY-MM or YYYY-MM-DD) at 7");
  CHECK(error("added:2025-02-29") == "bad date '2025-02-29' (YYYY, YYYY-MM or YYYY-MM-DD) at 7");
  CHECK(error("added:2026-01-01x") == "bad date '2026-01-01x' (YYYY, YYYY-MM or YYYY-MM-DD) at 7");
  CHECK(error("added:=30d") == "an age needs '<' or '>', not '=' at 7");
  // Columns count characters, not bytes.
  CHECK(error("Størrelse ø colour:x") == "unknown field 'colour:' at 13");
  CHECK(error("ø or") == "'or' needs a word after it at 3");
}

namespace {

// Every words node holds words, none empty or too long.
bool well_formed(const QueryNode& n) {
  if (n.op == QueryNode::Op::words) {
    if (n.words.empty()) return false;
    for (const auto& w : n.words) {
      if (w.empty() || w.size() > kMaxWordBytes) return false;
    }
  }
  if ((n.op == QueryNode::Op::all_of || n.op == QueryNode::Op::any_of) && n.kids.size() < 2) return false;
  if (n.op == QueryNode::Op::none_of && n.kids.size() != 1) return false;
  for (const auto& k : n.kids) {
    if (!well_formed(k)) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("any text gives a well-formed query or an error inside the text") {
  // What a path bar or a script may send: every prefix of a query, and
  // random mixtures of the language's characters and broken UTF-8.
  static const std::string_view kPieces[] = {"(", ")", "\"", "-", ":", "<", ">=", "=", ".", " ", "a", "B3",
                                             "ø", "\xff", "or", "not", "AND", "tag:", "size:", "added:",
                                             "2026-01-01", "10M", "30d", "has:", "type:"};
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::size_t> pick(0, std::size(kPieces) - 1);
  std::uniform_int_distribution<int> length(0, 12);
  for (int i = 0; i < 20000; ++i) {
    std::string q;
    for (int n = length(rng); n > 0; --n) q += kPieces[pick(rng)];
    auto r = parse_query(q, kNow);
    if (r) {
      INFO(q);
      CHECK(well_formed(r->root));
    } else {
      INFO(q << " -> " << r.error().message);
      CHECK(r.error().column >= 1);
      CHECK(r.error().column <= q.size() + 1);
    }
  }
}
