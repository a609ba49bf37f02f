// GET /api/v1/problems: the library's problem report as a client reads it,
// with every kind found in a real library after a real sync, filtered by
// kind, counted and paged.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "http/api_fixture.h"

using lima::test::ApiFixture;
using lima::test::standard_files;
using lima::test::write_file;
using nlohmann::json;
namespace stdfs = std::filesystem;

namespace {

using Row = std::pair<std::string, std::string>;  // path, kind

std::vector<Row> rows(const json& items) {
  std::vector<Row> out;
  for (const auto& i : items) out.emplace_back(i["path"].get<std::string>(), i["kind"].get<std::string>());
  return out;
}

// Every item of the list for `query`, `limit` at a time.
std::vector<Row> all_pages(ApiFixture& fx, const std::string& query, std::size_t limit) {
  std::vector<Row> out;
  std::string cursor;
  for (int guard = 0; guard < 100; ++guard) {
    auto r = fx.get("/api/v1/problems?limit=" + std::to_string(limit) + query +
                    (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(r.status == 200);
    REQUIRE(r.json["items"].size() <= limit);
    for (const auto& row : rows(r.json["items"])) out.push_back(row);
    if (r.json["next_cursor"].is_null()) return out;
    cursor = r.json["next_cursor"].get<std::string>();
  }
  FAIL("the pages never end");
  return out;
}

}  // namespace

TEST_CASE("the problem report lists what looks wrong, with a reason and a path, and fixes nothing") {
  ApiFixture fx;
  auto before = fx.get("/api/v1/problems");
  REQUIRE(before.status == 200);
  CHECK(rows(before.json["items"]) ==
        std::vector<Row>{{"Benchy/escape", "symlink"}, {"Cube", "no_images"}, {"Vase", "no_images"}});
  CHECK(before.json["items"][1]["detail"] == "none of its 2 files is an image");
  CHECK(before.json["items"][1]["error"] == false);
  const auto& counts = before.json["counts"];
  CHECK(counts.size() == 16);  // every kind, 0 when none
  CHECK(counts["symlink"] == 1);
  CHECK(counts["no_images"] == 2);
  CHECK(counts["loose_file"] == 0);
  CHECK(counts["removed"] == 0);

  // A loose copy of the cube, an empty folder, a render and a project gone.
  write_file(fx.root() / "cube copy.stl", standard_files().at("Cube/cube.stl"));
  stdfs::create_directories(fx.root() / "Empty");
  stdfs::remove(fx.root() / "Dragon/render.png");
  stdfs::remove_all(fx.root() / "Vase");
  fx.sync_and_wait();
  const auto snapshot = fx.snapshot();

  auto after = fx.get("/api/v1/problems");
  REQUIRE(after.status == 200);
  CHECK(rows(after.json["items"]) == std::vector<Row>{
                                         {"Benchy/escape", "symlink"},
                                         {"Cube", "no_images"},
                                         {"Cube/cube.stl", "duplicate_content"},
                                         {"Dragon", "no_images"},
                                         {"Dragon/render.png", "removed"},
                                         {"Empty", "empty_project"},
                                         {"Vase", "removed"},
                                         {"cube copy.stl", "duplicate_content"},
                                         {"cube copy.stl", "loose_file"},
                                     });
  for (const auto& item : after.json["items"]) CHECK(item["error"] == false);
  CHECK(after.json["items"][2]["detail"] == "same content as cube copy.stl");
  CHECK(after.json["items"][6]["detail"] ==
        "the folder is gone; its 2 files and their tags, notes and collections are kept in case it comes back");
  CHECK(after.json["counts"]["duplicate_content"] == 2);
  CHECK(after.json["counts"]["removed"] == 2);
  CHECK(after.json["counts"]["no_images"] == 2);

  SECTION("filtered by kind, counted in full") {
    auto some = fx.get("/api/v1/problems?kind=loose_file,duplicate_content");
    REQUIRE(some.status == 200);
    CHECK(rows(some.json["items"]) == std::vector<Row>{{"Cube/cube.stl", "duplicate_content"},
                                                       {"cube copy.stl", "duplicate_content"},
                                                       {"cube copy.stl", "loose_file"}});
    CHECK(some.json["counts"] == after.json["counts"]);
    CHECK(rows(fx.get("/api/v1/problems?kind=too_deep").json["items"]).empty());
  }

  SECTION("an unknown kind is refused, naming it") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"nope", "'nope'"}, {"loose_file,Nope", "'Nope'"}, {"loose_file,", "''"}, {"", "''"}};
    for (const auto& [query, named] : cases) {
      auto r = fx.get("/api/v1/problems?kind=" + lima::test::url_encode(query));
      INFO("kind=" << query << ": " << r.body);
      CHECK(r.status == 400);
      CHECK(r.error_code() == "invalid_argument");
      CHECK(r.error_message().find("no problem kind " + named) != std::string::npos);
    }
  }

  SECTION("paged, with or without a filter") {
    CHECK(all_pages(fx, "", 2) == rows(after.json["items"]));
    CHECK(all_pages(fx, "", 1) == rows(after.json["items"]));
    CHECK(all_pages(fx, "&kind=removed,no_images", 1) ==
          std::vector<Row>{{"Cube", "no_images"}, {"Dragon", "no_images"}, {"Dragon/render.png", "removed"},
                           {"Vase", "removed"}});
    const auto projects_cursor = fx.get("/api/v1/projects?limit=1").json["next_cursor"].get<std::string>();
    CHECK(fx.get("/api/v1/problems?cursor=" + projects_cursor).status == 400);
  }

  // Reading the report changed nothing, on disk or in the index.
  CHECK(fx.snapshot() == snapshot);
}
