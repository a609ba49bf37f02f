// Reading what a client sent (http/input): what is accepted, and the exact
// 400 invalid_argument message for what is not.
#include <catch2/catch.hpp>

#include <httplib.h>

#include <functional>
#include <string>

#include "http/api_error.h"
#include "http/input.h"

using namespace lima::http;
using nlohmann::json;

namespace {

/// The message of the 400 invalid_argument that `f` throws.
std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const ApiError& e) {
    CHECK(e.status == 400);
    CHECK(e.code == "invalid_argument");
    return e.what();
  }
  FAIL("accepted");
  return {};
}

httplib::Request with_params(std::initializer_list<std::pair<const char*, const char*>> params) {
  httplib::Request req;
  for (const auto& [k, v] : params) req.params.emplace(k, v);
  return req;
}

}  // namespace

TEST_CASE("a request body is one JSON object with known fields", "[input]") {
  CHECK(json_object(R"({"name": "Benchy", "note": "x"})", {"name", "note"}) == json{{"name", "Benchy"}, {"note", "x"}});
  CHECK(json_object("", {"name"}, true) == json::object());
  CHECK(json_object("{}", {"name"}) == json::object());
  CHECK(refusal([] { json_object("", {"name"}); }) == "a JSON object is expected in the request body");
  CHECK(refusal([] { json_object(R"({"name": )", {"name"}); }) == "the request body is not valid JSON");
  CHECK(refusal([] { json_object("[1, 2]", {"name"}); }) == "the request body must be a JSON object");
  CHECK(refusal([] { json_object(R"("name")", {"name"}); }) == "the request body must be a JSON object");
  CHECK(refusal([] { json_object(R"({"name": "x", "colour": 1})", {"name"}); }) == "unknown field 'colour'");
  CHECK(refusal([] { json_object("{\"a\\nb\": 1}", {"name"}); }) == "unknown field 'a\\nb'");
  CHECK(refusal([] { only_fields(json{{"x", 1}}, {"name"}, "items[2]: "); }) == "items[2]: unknown field 'x'");
  only_fields(json{{"name", 1}}, {"name", "note"});
}

TEST_CASE("fields have their type; null counts as absent", "[input]") {
  const json j = json::parse(R"({"name": "Benchy", "none": null, "n": 5, "neg": -1, "half": 1.5, "text": "3"})");
  CHECK(opt_string(j, "name") == "Benchy");
  CHECK(opt_string(j, "missing") == std::nullopt);
  CHECK(opt_string(j, "none") == std::nullopt);
  CHECK(refusal([&] { opt_string(j, "n"); }) == "field 'n' must be a string");
  CHECK(need_string(j, "name") == "Benchy");
  CHECK(refusal([&] { need_string(j, "missing"); }) == "field 'missing' is required");
  CHECK(refusal([&] { need_string(j, "none"); }) == "field 'none' is required");
  CHECK(opt_u64(j, "n") == 5u);
  CHECK(opt_u64(j, "missing") == std::nullopt);
  CHECK(opt_u64(j, "none") == std::nullopt);
  for (const char* bad : {"neg", "half", "text", "name"})
    CHECK(refusal([&] { opt_u64(j, bad); }) == "field '" + std::string(bad) + "' must be a non-negative integer");
}

TEST_CASE("ids in a path are positive integers", "[input]") {
  CHECK(parse_id("1", "project") == 1u);
  CHECK(parse_id("18446744073709551615", "asset") == 18446744073709551615u);
  CHECK(refusal([] { parse_id("0", "project"); }) == "project id must be a positive integer, not '0'");
  CHECK(refusal([] { parse_id("", "asset"); }) == "asset id must be a positive integer, not ''");
  for (const char* bad : {"-1", "+1", " 1", "1x", "0x10", "18446744073709551616", "1.0"})
    CHECK(refusal([&] { parse_id(bad, "tag"); }) == "tag id must be a positive integer, not '" + std::string(bad) + "'");
}

TEST_CASE("query parameters: non-negative integers and booleans", "[input]") {
  CHECK(query_u64(with_params({}), "offset") == std::nullopt);
  CHECK(query_u64(with_params({{"offset", "0"}}), "offset") == 0u);
  CHECK(query_u64(with_params({{"offset", "42"}}), "offset") == 42u);
  CHECK(refusal([] { query_u64(with_params({{"offset", "-3"}}), "offset"); }) ==
        "parameter 'offset' must be a non-negative integer, not '-3'");
  CHECK(refusal([] { query_u64(with_params({{"offset", ""}}), "offset"); }) ==
        "parameter 'offset' must be a non-negative integer, not ''");

  CHECK(query_bool(with_params({}), "deleted", true));
  CHECK_FALSE(query_bool(with_params({}), "deleted", false));
  CHECK(query_bool(with_params({{"deleted", "true"}}), "deleted", false));
  CHECK(query_bool(with_params({{"deleted", "1"}}), "deleted", false));
  CHECK_FALSE(query_bool(with_params({{"deleted", "false"}}), "deleted", true));
  CHECK_FALSE(query_bool(with_params({{"deleted", "0"}}), "deleted", true));
  CHECK(refusal([] { query_bool(with_params({{"deleted", "yes"}}), "deleted", false); }) ==
        "parameter 'deleted' must be true or false, not 'yes'");
  CHECK(refusal([] { query_bool(with_params({{"deleted", "True"}}), "deleted", false); }) ==
        "parameter 'deleted' must be true or false, not 'True'");
}

TEST_CASE("pages: a limit from 1 to 1000 and a cursor made for the same list", "[input]") {
  const Page first = read_page(with_params({}), "projects");
  CHECK(first.limit == kDefaultLimit);
  CHECK_FALSE(first.has_cursor);
  CHECK(first.after.empty());
  CHECK(read_page(with_params({{"limit", "1"}}), "projects").limit == 1);
  CHECK(read_page(with_params({{"limit", "1000"}}), "projects").limit == 1000);
  for (const char* bad : {"0", "1001"})
    CHECK(refusal([&] { read_page(with_params({{"limit", bad}}), "projects"); }) ==
          "parameter 'limit' must be between 1 and 1000");
  CHECK(refusal([] { read_page(with_params({{"limit", "ten"}}), "projects"); }) ==
        "parameter 'limit' must be a non-negative integer, not 'ten'");

  // A cursor gives back the key it was made with, bytes of any value included.
  const std::string key("Benchy\0\xff/3", 10);
  const std::string cursor = make_cursor("projects", key);
  CHECK(cursor.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
        std::string::npos);  // safe in a URL as it is
  const Page next = read_page(with_params({{"cursor", cursor.c_str()}}), "projects");
  CHECK(next.has_cursor);
  CHECK(next.after == key);

  const std::string not_ours = "parameter 'cursor' is not a cursor of this list (pass back the next_cursor of a page)";
  const std::string other = make_cursor("assets", "Benchy"), empty_key = make_cursor("projects", "");
  CHECK(refusal([&] { read_page(with_params({{"cursor", other.c_str()}}), "projects"); }) == not_ours);
  CHECK(refusal([&] { read_page(with_params({{"cursor", empty_key.c_str()}}), "projects"); }) == not_ours);
  CHECK(refusal([] { read_page(with_params({{"cursor", "not a cursor!"}}), "projects"); }) == not_ours);
  CHECK(refusal([] { read_page(with_params({{"cursor", ""}}), "projects"); }) == not_ours);
}
