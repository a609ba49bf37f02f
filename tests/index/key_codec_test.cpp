#include <catch2/catch.hpp>

#include "index/key_codec.h"

using namespace lima::index;

TEST_CASE("integer keys sort in numeric order") {
  std::vector<std::uint64_t> values = {0, 1, 255, 256, 65535, 1ull << 32, (1ull << 63) + 5, ~0ull};
  for (std::size_t i = 1; i < values.size(); ++i) {
    CHECK(key_u64(values[i - 1]) < key_u64(values[i]));
    CHECK(get_u64(key_u64(values[i])) == values[i]);
  }
  CHECK(key_u64_u64(1, 9) < key_u64_u64(2, 0));
  CHECK(key_u64_str(7, "a").substr(0, 8) == key_u64(7));
}

TEST_CASE("long key fields are bounded and stay unique") {
  std::string a(1000, 'x'), b(1000, 'x');
  b[900] = 'y';
  CHECK(bounded("short") == "short");
  CHECK(bounded(a).size() == kInlineKeyBytes + 16);
  CHECK(bounded(a) != bounded(b));
  CHECK(bounded(a) == bounded(std::string(1000, 'x')));
  CHECK(key_u64_bounded(3, a).size() + 0 <= 511);
}

TEST_CASE("value reader refuses truncated input instead of reading past it") {
  ValueWriter w;
  w.u8(1).u32(7).str("hello").u64(42);
  const std::string full = w.bytes();
  ValueReader ok(full);
  CHECK(ok.u8() == 1);
  CHECK(ok.u32() == 7);
  CHECK(ok.str() == "hello");
  CHECK(ok.u64() == 42);
  CHECK(ok.ok());
  CHECK(ok.at_end());
  for (std::size_t cut = 0; cut < full.size(); ++cut) {
    ValueReader r(std::string_view(full).substr(0, cut));
    r.u8(), r.u32(), r.str(), r.u64();
    CHECK_FALSE(r.ok());
  }
  // A length prefix claiming more bytes than exist.
  ValueWriter bad;
  bad.u32(1000000);
  ValueReader r(bad.bytes());
  CHECK(r.str().empty());
  CHECK_FALSE(r.ok());
}
