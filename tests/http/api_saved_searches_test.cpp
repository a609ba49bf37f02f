#include <catch2/catch.hpp>

#include <set>

#include "http/api_fixture.h"
#include "index/saved_searches.h"

using lima::test::ApiFixture;
using lima::test::url_encode;
using nlohmann::json;

namespace {

std::vector<std::string> names_of(const json& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i["name"].get<std::string>());
  return out;
}

// The projects among a saved search's results (every page).
std::set<std::string> result_projects(ApiFixture& fx, const std::string& name) {
  std::set<std::string> out;
  std::string cursor;
  for (int guard = 0; guard < 100; ++guard) {
    auto r = fx.get("/api/v1/searches/" + url_encode(name) + "/results?limit=1" +
                    (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(r.status == 200);
    for (const auto& i : r.json["items"])
      if (i["type"] == "project") out.insert(i["name"].get<std::string>());
    if (r.json["next_cursor"].is_null()) return out;
    cursor = r.json["next_cursor"].get<std::string>();
  }
  FAIL("the pages never end");
  return out;
}

}  // namespace

TEST_CASE("saved searches are created, listed, read, renamed, changed and deleted", "[searches]") {
  ApiFixture fx;
  auto created = fx.post("/api/v1/searches", {{"name", "petg todo"}, {"query", "tag:petg -tag:printed"}});
  REQUIRE(created.status == 201);
  // Sent as "/api/v1/searches/petg%20todo"; httplib's client decodes a Location.
  CHECK(created.header("Location") == "/api/v1/searches/petg todo");
  CHECK(created.json["name"] == "petg todo");
  CHECK(created.json["query"] == "tag:petg -tag:printed");
  const auto created_at = created.json["created"].get<std::string>();
  CHECK(created_at.size() == 24);
  REQUIRE(fx.post("/api/v1/searches", {{"name", "boats"}, {"query", "boat"}}).status == 201);
  REQUIRE(fx.post("/api/v1/searches", {{"name", "cubes"}, {"query", "cube"}}).status == 201);

  auto listed = fx.get("/api/v1/searches");
  REQUIRE(listed.status == 200);
  CHECK(names_of(listed.json["items"]) == std::vector<std::string>{"boats", "cubes", "petg todo"});
  CHECK(listed.json["items"][2]["query"] == "tag:petg -tag:printed");
  CHECK(listed.json["next_cursor"].is_null());
  // Paged: every one once.
  auto first = fx.get("/api/v1/searches?limit=2");
  CHECK(names_of(first.json["items"]) == std::vector<std::string>{"boats", "cubes"});
  REQUIRE(first.json["next_cursor"].is_string());
  auto second = fx.get("/api/v1/searches?limit=2&cursor=" + first.json["next_cursor"].get<std::string>());
  CHECK(names_of(second.json["items"]) == std::vector<std::string>{"petg todo"});
  CHECK(second.json["next_cursor"].is_null());
  CHECK(fx.get("/api/v1/projects?cursor=" + first.json["next_cursor"].get<std::string>()).status == 400);

  auto got = fx.get("/api/v1/searches/petg%20todo");
  REQUIRE(got.status == 200);
  CHECK(got.json == created.json);

  auto renamed = fx.patch("/api/v1/searches/petg%20todo", {{"name", "petg to print"}});
  REQUIRE(renamed.status == 200);
  CHECK(renamed.json["name"] == "petg to print");
  CHECK(renamed.json["query"] == "tag:petg -tag:printed");
  CHECK(renamed.json["created"] == created_at);
  CHECK(fx.get("/api/v1/searches/petg%20todo").status == 404);

  auto changed = fx.patch("/api/v1/searches/petg%20to%20print", {{"query", "tag:petg"}});
  REQUIRE(changed.status == 200);
  CHECK(changed.json["query"] == "tag:petg");
  auto both = fx.patch("/api/v1/searches/petg%20to%20print", {{"name", "petg"}, {"query", "tag:petg -tag:done"}});
  REQUIRE(both.status == 200);
  CHECK(both.json["name"] == "petg");
  CHECK(both.json["query"] == "tag:petg -tag:done");
  CHECK(names_of(fx.get("/api/v1/searches").json["items"]) == std::vector<std::string>{"boats", "cubes", "petg"});

  CHECK(fx.del("/api/v1/searches/cubes").status == 204);
  CHECK(fx.get("/api/v1/searches/cubes").status == 404);
  CHECK(fx.del("/api/v1/searches/cubes").status == 404);
  CHECK(names_of(fx.get("/api/v1/searches").json["items"]) == std::vector<std::string>{"boats", "petg"});
}

TEST_CASE("saved searches refuse bad names, taken names, missing ones and queries that do not parse", "[searches]") {
  ApiFixture fx;
  REQUIRE(fx.post("/api/v1/searches", {{"name", "boats"}, {"query", "boat"}}).status == 201);
  REQUIRE(fx.post("/api/v1/searches", {{"name", "cubes"}, {"query", "cube"}}).status == 201);
  const auto before = fx.index_snapshot();

  auto taken = fx.post("/api/v1/searches", {{"name", "boats"}, {"query", "ship"}});
  CHECK(taken.status == 409);
  CHECK(taken.error_code() == "conflict");
  auto bad_name = fx.post("/api/v1/searches", {{"name", "+boats"}, {"query", "ship"}});
  CHECK(bad_name.status == 400);
  CHECK(bad_name.error_code() == "invalid_argument");
  CHECK(fx.post("/api/v1/searches", {{"name", "x"}}).status == 400);
  CHECK(fx.post("/api/v1/searches", {{"name", "x"}, {"query", 3}}).status == 400);
  CHECK(fx.post("/api/v1/searches", {{"name", "x"}, {"query", "y"}, {"extra", 1}}).status == 400);

  std::size_t column = 0;
  const auto parser = lima::index::validate_query("boat (hull", &column);
  REQUIRE_FALSE(parser);
  auto unparsable = fx.post("/api/v1/searches", {{"name", "hulls"}, {"query", "boat (hull"}});
  CHECK(unparsable.status == 400);
  CHECK(unparsable.error_code() == "invalid_query");
  CHECK(unparsable.error_message() == parser.error().message);
  CHECK(unparsable.json["error"]["position"] == column);
  auto empty = fx.post("/api/v1/searches", {{"name", "nothing"}, {"query", ""}});
  CHECK(empty.error_code() == "invalid_query");

  CHECK(fx.patch("/api/v1/searches/boats", {{"name", "cubes"}}).status == 409);
  CHECK(fx.patch("/api/v1/searches/boats", {{"name", ".."}}).status == 400);
  CHECK(fx.patch("/api/v1/searches/boats", {{"query", "("}}).error_code() == "invalid_query");
  // A rename together with a bad query changes nothing.
  CHECK(fx.patch("/api/v1/searches/boats", {{"name", "ships"}, {"query", "("}}).status == 400);
  CHECK(fx.patch("/api/v1/searches/boats", json::object()).status == 400);
  CHECK(fx.patch("/api/v1/searches/ships", {{"query", "ship"}}).status == 404);
  CHECK(fx.get("/api/v1/searches/ships").error_code() == "not_found");
  CHECK(fx.get("/api/v1/searches/ships/results").status == 404);
  CHECK(fx.index_snapshot() == before);
}

TEST_CASE("a saved search's results are answered afresh from the index", "[searches]") {
  ApiFixture fx;
  REQUIRE(fx.post("/api/v1/searches", {{"name", "pla prints"}, {"query", "pla"}}).status == 201);
  auto r = fx.get("/api/v1/searches/pla%20prints/results");
  REQUIRE(r.status == 200);
  CHECK(r.json["name"] == "pla prints");
  CHECK(r.json["query"] == "pla");
  // The same answer as the search itself.
  auto direct = fx.get("/api/v1/search?q=pla");
  REQUIRE(direct.status == 200);
  CHECK(r.json["items"] == direct.json["items"]);
  CHECK(result_projects(fx, "pla prints") == std::set<std::string>{"Benchy", "Cube"});

  // A tag edit shows at the next read.
  REQUIRE(fx.put("/api/v1/projects/" + fx.pid("Vase") + "/tags/pla").status / 100 == 2);
  CHECK(result_projects(fx, "pla prints") == std::set<std::string>{"Benchy", "Cube", "Vase"});
  REQUIRE(fx.patch("/api/v1/searches/pla%20prints", {{"query", "boat"}}).status == 200);
  CHECK(result_projects(fx, "pla prints") == std::set<std::string>{"Benchy"});
}

TEST_CASE("saved searches go through metadata export and import over HTTP", "[searches]") {
  ApiFixture fx;
  REQUIRE(fx.post("/api/v1/searches", {{"name", "boats"}, {"query", "boat"}}).status == 201);
  auto exported = fx.get("/api/v1/metadata/export");
  REQUIRE(exported.status == 200);
  REQUIRE(exported.json["searches"].size() == 1);
  CHECK(exported.json["searches"][0]["query"] == "boat");
  REQUIRE(fx.del("/api/v1/searches/boats").status == 204);
  auto imported = fx.request("POST", "/api/v1/metadata/import", exported.body, "application/json");
  REQUIRE(imported.status == 200);
  CHECK(imported.json["searches_created"] == 1);
  auto back = fx.get("/api/v1/searches/boats");
  REQUIRE(back.status == 200);
  CHECK(back.json["created"] == exported.json["searches"][0]["created"]);
}
