// Where the API listens: --listen ADDR:PORT (also listen= in an fstab line,
// which the mount helper passes on as --listen), as parse_listen reads it.
#include <catch2/catch.hpp>

#include <string>
#include <utility>

#include "http/api.h"

using lima::http::parse_listen;

namespace {

std::pair<std::string, int> listen_at(const std::string& text) {
  auto r = parse_listen(text);
  INFO(text);
  REQUIRE(r);
  return *r;
}

std::string refusal(const std::string& text) {
  auto r = parse_listen(text);
  INFO(text);
  REQUIRE_FALSE(r);
  return r.error().message;
}

}  // namespace

TEST_CASE("a listen address is ADDR:PORT or PORT, IPv6 in brackets, and the address defaults to loopback", "[listen]") {
  using P = std::pair<std::string, int>;
  CHECK(listen_at("127.0.0.1:7700") == P{"127.0.0.1", 7700});
  CHECK(listen_at("0.0.0.0:8080") == P{"0.0.0.0", 8080});
  CHECK(listen_at("localhost:1") == P{"localhost", 1});
  CHECK(listen_at("[::1]:7700") == P{"::1", 7700});
  CHECK(listen_at("[::]:7700") == P{"::", 7700});
  CHECK(listen_at(":7701") == P{"127.0.0.1", 7701});
  CHECK(listen_at("7702") == P{"127.0.0.1", 7702});
  CHECK(listen_at("127.0.0.1:0") == P{"127.0.0.1", 0});  // any free port
  CHECK(listen_at("127.0.0.1:65535") == P{"127.0.0.1", 65535});
}

TEST_CASE("a --listen that is not ADDR:PORT is refused, quoting what was given", "[listen]") {
  for (const std::string bad : {"", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:77OO", "127.0.0.1:65536",
                                "127.0.0.1:-1", "127.0.0.1", "[::1]", "7700x", "127.0.0.1:7700 "})
    CHECK(refusal(bad) == "--listen wants ADDR:PORT (e.g. 127.0.0.1:7700), not '" + bad + "'");
}
