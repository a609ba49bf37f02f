#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "index/words.h"

using namespace lima::index;

namespace {

// "word[pos,end)" per token, in order: what a phrase search relies on.
std::vector<std::string> spans(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& t : tokenize(text)) {
    out.push_back(t.word + "[" + std::to_string(t.pos) + "," + std::to_string(t.end) + ")");
  }
  return out;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("folding makes search case- and accent-insensitive") {
  CHECK(fold("Størrelse") == "storrelse");
  CHECK(fold("Ünïcödé") == "unicode");
  CHECK(fold("Æble") == "aeble");
  CHECK(fold("Straße") == "strasse");
  CHECK(fold("STRASSE") == "strasse");
  CHECK(fold("Łódź") == "lodz");
  CHECK(fold("ÉCOLE") == "ecole");
  CHECK(fold("ＡＢＣ") == "abc");  // full-width letters
  CHECK(fold("Œuvre Þing Ðað Đorđe ıi Ŧ Ħ ĸ Ŋ") == "oeuvre thing dad dorde ii t h k n");
  CHECK(fold("İstanbul") == "istanbul");
  CHECK(fold("ﬁle") == "file");  // a ligature
  CHECK(fold("x²") == "x2");
  CHECK(fold("Ελληνικά") == "ελληνικα");
  CHECK(fold("Привет") == "привет");
  CHECK(fold("龍") == "龍");
}

TEST_CASE("folding keeps what is not a letter or digit, and invalid UTF-8, as it is") {
  CHECK(fold("3DBenchy.stl") == "3dbenchy.stl");
  CHECK(fold("a-b_c (d) €5") == "a-b_c (d) €5");
  CHECK(fold("caf\xe9 Ol\xe9") == "caf\xe9 ol\xe9");  // Latin-1 bytes
  CHECK(fold("\xff\xfe") == "\xff\xfe");
  CHECK(fold("Stra\xc2\xad" "ße") == "strasse");  // a soft hyphen disappears
  CHECK(fold("") == "");
}

TEST_CASE("a run that joins words is found whole and by its parts, with positions") {
  CHECK(spans("3DBenchy.stl") ==
        Strings{"3dbenchy[0,3)", "3d[0,2)", "3[0,1)", "d[1,2)", "benchy[2,3)", "stl[3,4)"});
  CHECK(spans("partV2") == Strings{"partv2[0,3)", "part[0,1)", "v2[1,3)", "v[1,2)", "2[2,3)"});
  CHECK(spans("XMLFile") == Strings{"xmlfile[0,2)", "xml[0,1)", "file[1,2)"});
  CHECK(spans("iPhone case") == Strings{"iphone[0,2)", "i[0,1)", "phone[1,2)", "case[2,3)"});
  CHECK(spans("model2024v3") ==
        Strings{"model2024v3[0,4)", "model[0,1)", "2024[1,2)", "v[2,3)", "3[3,4)"});
  CHECK(spans("Part2Final") ==
        Strings{"part2final[0,3)", "part2[0,2)", "part[0,1)", "2[1,2)", "final[2,3)"});
  CHECK(spans("M3x20") == Strings{"m3x20[0,4)", "m[0,1)", "3[1,2)", "x[2,3)", "20[3,4)"});
  CHECK(spans("ALLCAPS") == Strings{"allcaps[0,1)"});
  CHECK(spans("Benchy") == Strings{"benchy[0,1)"});
  CHECK(spans("speed-boat hull") == Strings{"speed[0,1)", "boat[1,2)", "hull[2,3)"});
}

TEST_CASE("case boundaries are judged on the original text, per character") {
  // Ø and Ä are two-byte capitals; ß folds to two letters.
  CHECK(spans("großØl") == Strings{"grossol[0,2)", "gross[0,1)", "ol[1,2)"});
  CHECK(spans("ÄrgerÖl") == Strings{"argerol[0,2)", "arger[0,1)", "ol[1,2)"});
  CHECK(spans("東京Tower") == Strings{"東京tower[0,2)", "東京[0,1)", "tower[1,2)"});
  CHECK(spans("ＡＢＣdef") == Strings{"abcdef[0,2)", "ab[0,1)", "cdef[1,2)"});
  // A combining accent neither ends a run nor splits it.
  CHECK(spans("Cafe\xcc\x81Noir") == Strings{"cafenoir[0,2)", "cafe[0,1)", "noir[1,2)"});
}

TEST_CASE("separators are anything but letters, digits and marks") {
  CHECK(index_words("my_model (final), v1.2 — ok!") ==
        Strings{"1", "2", "final", "model", "my", "ok", "v", "v1"});
  CHECK(index_words("") == Strings{});
  CHECK(index_words(" ... --- ") == Strings{});
  CHECK(index_words("a\xe2\x80\x8b" "b") == Strings{"a", "b"});  // a zero-width space separates
}

TEST_CASE("invalid UTF-8 does not make a text unsearchable") {
  // Each invalid byte is an uncased letter kept as it is.
  CHECK(spans("caf\xe9 Boat") == Strings{"caf\xe9[0,1)", "boat[1,2)"});
  CHECK(spans("\xff" "2") == Strings{"\xff" "2[0,2)", "\xff[0,1)", "2[1,2)"});
  CHECK(query_runs("caf\xe9") == Strings{"caf\xe9"});
  CHECK(index_words("ab\xc3") == Strings{"ab\xc3"});  // a sequence cut short at the end
}

TEST_CASE("index words are the distinct words of a text, sorted") {
  CHECK(index_words("Benchy benchy BENCHY 3DBenchy") ==
        Strings{"3", "3d", "3dbenchy", "benchy", "d"});
  CHECK(index_words("Størrelse Æble") == Strings{"aeble", "storrelse"});
}

TEST_CASE("query runs are whole folded runs") {
  CHECK(query_runs("3DBenchy.stl") == Strings{"3dbenchy", "stl"});
  CHECK(query_runs("Størrelse") == Strings{"storrelse"});
  CHECK(query_runs("...") == Strings{});
  CHECK(query_runs("") == Strings{});
  CHECK(query_runs("speed-boat") == Strings{"speed", "boat"});
}

TEST_CASE("long words are cut at a character boundary, in the index and in queries alike") {
  const std::string a70(70, 'a');
  CHECK(query_runs(a70) == Strings{std::string(kMaxWordBytes, 'a')});
  CHECK(index_words(a70) == Strings{std::string(kMaxWordBytes, 'a')});

  // 63 ASCII letters then two-byte letters: the first would end past the limit.
  const std::string greek = std::string(63, 'a') + "λλ";
  CHECK(query_runs(greek) == Strings{std::string(63, 'a')});
  CHECK(index_words(greek) == Strings{std::string(63, 'a')});
  CHECK(query_runs(std::string(62, 'a') + "ΛΛ") == Strings{std::string(62, 'a') + "λ"});

  // Every part is cut too, and a long run still gives its parts.
  const auto words = index_words(std::string(40, 'x') + "Y" + std::string(40, 'z'));
  CHECK(words == Strings{std::string(40, 'x'), std::string(40, 'x') + "y" + std::string(23, 'z'),
                         "y" + std::string(40, 'z')});
}

TEST_CASE("a large pure-ASCII text is tokenized") {
  // Not a timing test: the ASCII path must give the same words as any other.
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "Part" + std::to_string(i) + "_Benchy ";
  const auto tokens = tokenize(text);
  CHECK(tokens.size() == 2000 * 4);
  CHECK(tokens.back().word == "benchy");
  CHECK(tokens.back().end == 2000 * 3);
}

TEST_CASE("any bytes give well-formed tokens") {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 40);
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    for (int n = length(rng); n > 0; --n) text += static_cast<char>(byte(rng));
    std::uint32_t run_start = 0;
    for (const auto& t : tokenize(text)) {
      INFO(i);
      CHECK(!t.word.empty());
      CHECK(t.word.size() <= kMaxWordBytes);
      CHECK(t.pos < t.end);
      CHECK(t.pos >= run_start);
      run_start = std::max(run_start, t.pos);
    }
    for (const auto& w : query_runs(text)) CHECK(!w.empty());
  }
}
