#include <catch2/catch.hpp>

#include "index/names.h"

using namespace lima::index;

TEST_CASE("tag and collection names follow the naming rules") {
  CHECK(validate_name("benchy", "tag"));
  CHECK(validate_name("PLA+ silk", "tag"));
  CHECK(validate_name("Drachen ü 龍", "tag"));
  CHECK(validate_name(std::string(255, 'a'), "tag"));

  auto code = [](std::string_view n) {
    auto r = validate_name(n, "tag");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::invalid_argument);
    return r.error().message;
  };
  CHECK(code("") == "tag name is empty");
  CHECK(code(std::string(256, 'a')).find("longer than 255") != std::string::npos);
  CHECK(code("a/b").find("'/'") != std::string::npos);
  CHECK(code(std::string("a\0b", 3)).find("NUL") != std::string::npos);
  CHECK(code(".").find("'.'") != std::string::npos);
  CHECK(code("..").find("'..'") != std::string::npos);
  CHECK(code("+pla").find("'+'") != std::string::npos);
  CHECK(code("\xff\xfe").find("UTF-8") != std::string::npos);
  CHECK(code("\xed\xa0\x80").find("UTF-8") != std::string::npos);  // a surrogate
  CHECK(code("\xc0\xaf").find("UTF-8") != std::string::npos);      // overlong '/'
}

TEST_CASE("notes are bounded UTF-8 text") {
  CHECK(validate_note(""));
  CHECK(validate_note("printed at 0.2 mm, 20% infill\nworks"));
  CHECK_FALSE(validate_note(std::string(kMaxNoteBytes + 1, 'a')));
  CHECK_FALSE(validate_note("bad \xff"));
}

TEST_CASE("printable escapes control characters and invalid bytes") {
  CHECK(printable("plain ü") == "plain ü");
  CHECK(printable("a\nb") == "a\\nb");
  CHECK(printable("x\xffy") == "x\\xffy");
  CHECK(printable(std::string("\x01", 1)) == "\\x01");
}
