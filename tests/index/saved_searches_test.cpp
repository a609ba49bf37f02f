#include <catch2/catch.hpp>

#include "index/names.h"
#include "index/saved_searches.h"
#include "support/indexed_library.h"
#include "test_support.h"

using namespace lima::index;

namespace {

struct Fixture : lima::test::IndexedLibrary {
  SavedSearches saved{*cat};
  Changes heard;
  Fixture() {
    cat->subscribe([this](const Changes& c) { heard.merge(c); });
  }
  template <class F>
  auto write(F f) {
    decltype(f(std::declval<WriteTxn&>())) r{};
    heard = Changes{};
    cat->write([&](WriteTxn& t) { r = f(t); });
    return r;
  }
  std::vector<std::string> names(std::string_view after = {}, std::size_t limit = 0) {
    ReadTxn t(cat->env());
    std::vector<std::string> out;
    for (const auto& s : saved.list(t, after, limit)) out.push_back(s.name);
    return out;
  }
  std::optional<SavedSearch> get(std::string_view name) {
    ReadTxn t(cat->env());
    return saved.get(t, name);
  }
};

}  // namespace

TEST_CASE("saved searches: created, listed by name, read back", "[saved_searches]") {
  Fixture fx;
  auto petg = fx.write([&](WriteTxn& t) { return fx.saved.create(t, "petg todo", "tag:petg -tag:printed"); });
  REQUIRE(petg);
  CHECK(fx.heard.saved_searches);
  CHECK(petg->created_ns > 0);
  REQUIRE(fx.write([&](WriteTxn& t) { return fx.saved.create(t, "benchies", "benchy"); }));
  REQUIRE(fx.write([&](WriteTxn& t) { return fx.saved.create(t, "Zörk", "zork"); }));

  CHECK(fx.names() == std::vector<std::string>{"Zörk", "benchies", "petg todo"});  // byte order
  CHECK(fx.names("Zörk") == std::vector<std::string>{"benchies", "petg todo"});
  CHECK(fx.names("", 2) == std::vector<std::string>{"Zörk", "benchies"});
  CHECK(fx.names("a", 1) == std::vector<std::string>{"benchies"});  // `after` need not exist
  auto got = fx.get("petg todo");
  REQUIRE(got);
  CHECK(got->query == "tag:petg -tag:printed");
  CHECK(got->created_ns == petg->created_ns);
  CHECK_FALSE(fx.get("petg"));
  CHECK_FALSE(fx.get(""));
}

TEST_CASE("saved searches: names follow the rule, names are unique, queries must parse", "[saved_searches]") {
  Fixture fx;
  REQUIRE(fx.write([&](WriteTxn& t) { return fx.saved.create(t, "one", "benchy"); }));
  auto expect = [&](Result<SavedSearch> r, Errc code) {
    REQUIRE_FALSE(r);
    CHECK(r.error().code == code);
    return r.error().message;
  };
  const std::string rule = "; " + std::string(kNameRule);
  CHECK(expect(fx.write([&](WriteTxn& t) { return fx.saved.create(t, "a/b", "x"); }), Errc::invalid_argument) ==
        "saved search name 'a/b' contains '/'" + rule);
  expect(fx.write([&](WriteTxn& t) { return fx.saved.create(t, "+plus", "x"); }), Errc::invalid_argument);
  expect(fx.write([&](WriteTxn& t) { return fx.saved.create(t, "  ", "x"); }), Errc::invalid_argument);
  expect(fx.write([&](WriteTxn& t) { return fx.saved.create(t, std::string(256, 'n'), "x"); }), Errc::invalid_argument);
  CHECK(expect(fx.write([&](WriteTxn& t) { return fx.saved.create(t, "one", "other"); }), Errc::conflict) ==
        "a saved search named 'one' exists already");
  // A query that does not parse: the parser's message, and nothing kept.
  std::size_t column = 0;
  auto bad = validate_query("(benchy", &column);
  REQUIRE_FALSE(bad);
  CHECK(column > 0);
  CHECK(expect(fx.write([&](WriteTxn& t) { return fx.saved.create(t, "two", "(benchy"); }), Errc::invalid_argument) ==
        bad.error().message);
  expect(fx.write([&](WriteTxn& t) { return fx.saved.create(t, "two", ""); }), Errc::invalid_argument);
  CHECK(fx.names() == std::vector<std::string>{"one"});
  CHECK(fx.get("one")->query == "benchy");
}

TEST_CASE("saved searches: renamed, given a new query, deleted; each write is announced", "[saved_searches]") {
  Fixture fx;
  REQUIRE(fx.write([&](WriteTxn& t) { return fx.saved.create(t, "one", "benchy"); }));
  REQUIRE(fx.write([&](WriteTxn& t) { return fx.saved.create(t, "two", "dragon"); }));
  const auto created = fx.get("one")->created_ns;

  auto renamed = fx.write([&](WriteTxn& t) { return fx.saved.rename(t, "one", "uno"); });
  REQUIRE(renamed);
  CHECK(fx.heard.saved_searches);
  CHECK(renamed->query == "benchy");
  CHECK(renamed->created_ns == created);
  CHECK(fx.names() == std::vector<std::string>{"two", "uno"});

  auto taken = fx.write([&](WriteTxn& t) { return fx.saved.rename(t, "uno", "two"); });
  REQUIRE_FALSE(taken);
  CHECK(taken.error().code == Errc::conflict);
  auto missing = fx.write([&](WriteTxn& t) { return fx.saved.rename(t, "one", "eins"); });
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::not_found);
  CHECK(missing.error().message == "no saved search named 'one'");
  auto bad_name = fx.write([&](WriteTxn& t) { return fx.saved.rename(t, "uno", ".."); });
  REQUIRE_FALSE(bad_name);
  CHECK(bad_name.error().code == Errc::invalid_argument);

  auto changed = fx.write([&](WriteTxn& t) { return fx.saved.set_query(t, "uno", "benchy or boat"); });
  REQUIRE(changed);
  CHECK(fx.heard.saved_searches);
  CHECK(fx.get("uno")->query == "benchy or boat");
  CHECK(fx.get("uno")->created_ns == created);
  auto unparsable = fx.write([&](WriteTxn& t) { return fx.saved.set_query(t, "uno", "(boat"); });
  REQUIRE_FALSE(unparsable);
  CHECK(unparsable.error().code == Errc::invalid_argument);
  CHECK(fx.get("uno")->query == "benchy or boat");
  auto nowhere = fx.write([&](WriteTxn& t) { return fx.saved.set_query(t, "none", "x"); });
  REQUIRE_FALSE(nowhere);
  CHECK(nowhere.error().code == Errc::not_found);

  auto deleted = fx.write([&](WriteTxn& t) { return fx.saved.remove(t, "two"); });
  REQUIRE(deleted);
  CHECK(fx.heard.saved_searches);
  CHECK(fx.names() == std::vector<std::string>{"uno"});
  auto again = fx.write([&](WriteTxn& t) { return fx.saved.remove(t, "two"); });
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::not_found);
  CHECK_FALSE(fx.heard.saved_searches);
}

TEST_CASE("saved searches: the record layout of schema.h", "[saved_searches]") {
  SavedSearch s{"n", "tag:pla", 1234567890123};
  const std::string v = encode(s);
  REQUIRE(v.size() == 1 + 4 + 7 + 8);
  CHECK(v[0] == 1);
  auto back = decode_saved_search("n", v);
  REQUIRE(back);
  CHECK(back->query == "tag:pla");
  CHECK(back->created_ns == 1234567890123);
  CHECK_FALSE(decode_saved_search("n", v.substr(0, 10)));
  CHECK_FALSE(decode_saved_search("n", "\x02" + v.substr(1)));
}
