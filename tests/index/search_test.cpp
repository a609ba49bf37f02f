#include <catch2/catch.hpp>

#include "index/search.h"

using lima::index::name_tokens;
using lima::index::search_words;
using lima::index::words_match;

TEST_CASE("search words must each prefix-match a token", "[search]") {
  CHECK(search_words("  ") .empty());
  CHECK(search_words("Benchy PLA") == std::vector<std::string>{"benchy", "pla"});
  CHECK(search_words("benchy.stl") == std::vector<std::string>{"benchy", "stl"});
  CHECK(name_tokens("3DBenchy_v2 (Final).STL") ==
        std::vector<std::string>{"3dbenchy", "3", "d", "benchy", "v2", "v", "2", "final", "stl"});
  CHECK(words_match({"benc"}, name_tokens("3DBenchy.stl")));
  CHECK(words_match({"3db"}, name_tokens("3DBenchy.stl")));
  CHECK(words_match({"gear", "2"}, name_tokens("GearBoxV2.step")));
  CHECK(name_tokens("HTMLParser") == std::vector<std::string>{"htmlparser", "html", "parser"});
  const auto tokens = name_tokens("Calibration Cube - 20mm.stl");
  CHECK(words_match({"cal", "20"}, tokens));
  CHECK(words_match({"cube", "stl"}, tokens));
  CHECK_FALSE(words_match({"cube", "benchy"}, tokens));
  CHECK_FALSE(words_match({"ube"}, tokens));  // prefixes only
  CHECK(name_tokens("Schloß Drache") == std::vector<std::string>{"schloß", "drache"});
}
