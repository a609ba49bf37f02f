#include <catch2/catch.hpp>

#include "cli/args.h"

using namespace lima::cli;

namespace {
const std::vector<OptionSpec> kSpecs = {{"state", true}, {"ignore", true, true}, {"json"}, {"help"}};
}

TEST_CASE("options with values, flags, repeats and positionals") {
  std::string err;
  auto a = parse_args({"lib", "--state", "/s", "--ignore=*.bak", "--ignore", "tmp", "--json", "--", "--odd"}, kSpecs, err);
  REQUIRE(a);
  CHECK(a->positional == std::vector<std::string>{"lib", "--odd"});
  CHECK(a->value("state") == "/s");
  CHECK(a->all("ignore") == std::vector<std::string>{"*.bak", "tmp"});
  CHECK(a->has("json"));
  CHECK_FALSE(a->has("help"));
  CHECK(parse_args({"-h"}, kSpecs, err)->has("help"));
}

TEST_CASE("bad options are refused with a message") {
  std::string err;
  CHECK_FALSE(parse_args({"--nope"}, kSpecs, err));
  CHECK(err == "unknown option '--nope'");
  CHECK_FALSE(parse_args({"--state"}, kSpecs, err));
  CHECK(err == "option '--state' needs a value");
  CHECK_FALSE(parse_args({"--json=yes"}, kSpecs, err));
  CHECK(err == "option '--json' takes no value");
  CHECK_FALSE(parse_args({"--state", "a", "--state", "b"}, kSpecs, err));
  CHECK(err == "option '--state' given more than once");
  CHECK_FALSE(parse_args({"-x"}, kSpecs, err));
  CHECK(err == "unknown option '-x'");
}
