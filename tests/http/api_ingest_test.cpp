// Ingestion, the only writes into the library (DESIGN §2.1): a new project
// folder and uploaded files are on disk, and in the index, when the call
// returns; nothing is overwritten unless asked.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "http/api_fixture.h"
#include "index/hasher.h"

using lima::test::ApiFixture;
using lima::test::url_encode;
using nlohmann::json;
namespace stdfs = std::filesystem;

namespace {

// Everything in a folder whose name marks an upload's temp file.
std::vector<std::string> temp_files(const stdfs::path& root) {
  std::vector<std::string> out;
  for (const auto& e : stdfs::recursive_directory_iterator(root))
    if (e.path().filename().string().starts_with(".limafs-upload")) out.push_back(e.path().string());
  return out;
}

}  // namespace

TEST_CASE("POST /projects creates the folder, and the project is indexed when the call returns") {
  ApiFixture fx;
  auto r = fx.post("/api/v1/projects", {{"name", "New Thing"}});
  REQUIRE(r.status == 201);
  CHECK(stdfs::is_directory(fx.root() / "New Thing"));
  const auto id = fx.project_id("New Thing");  // in the index already
  CHECK(r.json["id"] == id);
  CHECK(r.json["name"] == "New Thing");
  CHECK(r.json["assets"] == 0);
  CHECK(r.header("Location") == "/api/v1/projects/" + std::to_string(id));
  CHECK(fx.get(r.header("Location")).status == 200);
  CHECK(fx.get("/api/v1/projects?name=" + url_encode("New Thing")).json["items"].size() == 1);

  const auto before = fx.snapshot();
  auto again = fx.post("/api/v1/projects", {{"name", "New Thing"}});
  CHECK(again.status == 409);
  CHECK(again.error_code() == "conflict");
  CHECK(fx.snapshot() == before);
}

TEST_CASE("an upload writes exactly the bytes sent, and the asset is indexed when the call returns") {
  ApiFixture fx;
  const auto B = fx.pid("Benchy");
  const std::string bytes = lima::test::random_bytes(200'000, 42);
  auto r = fx.upload("/api/v1/projects/" + B + "/assets?path=" + url_encode("sub/new.stl"), bytes);
  REQUIRE(r.status == 201);
  const auto file = fx.root() / "Benchy/sub/new.stl";
  CHECK(stdfs::is_directory(fx.root() / "Benchy/sub"));
  CHECK(lima::test::read_file(file) == bytes);
  const auto hash = lima::index::hash_path(file)->to_string();
  CHECK(r.json["hash"] == hash);
  CHECK(r.json["size"] == bytes.size());
  CHECK(r.json["path"] == "sub/new.stl");
  CHECK(r.json["kind"] == "model");
  const auto id = fx.asset_id("Benchy", "sub/new.stl");  // in the index already
  CHECK(r.json["id"] == id);
  CHECK(r.header("Location") == "/api/v1/assets/" + std::to_string(id));
  CHECK(fx.get("/api/v1/assets/" + std::to_string(id)).json["hash"] == hash);
  CHECK(fx.get("/api/v1/assets/" + std::to_string(id) + "/content").body == bytes);
  CHECK(temp_files(fx.root()).empty());
  // The rest of the project is as it was.
  for (const auto& [rel, content] : lima::test::standard_files())
    CHECK(lima::test::read_file(fx.root() / rel) == content);

  SECTION("uploading there again without overwrite is refused") {
    const auto before = fx.snapshot();
    auto refused = fx.upload("/api/v1/projects/" + B + "/assets?path=" + url_encode("sub/new.stl"), "other bytes");
    CHECK(refused.status == 409);
    CHECK(refused.error_code() == "conflict");
    CHECK(fx.snapshot() == before);
  }

  SECTION("overwrite=true replaces the file, keeping its asset") {
    const std::string other = lima::test::random_bytes(5000, 43);
    auto replaced =
        fx.upload("/api/v1/projects/" + B + "/assets?path=" + url_encode("sub/new.stl") + "&overwrite=true", other);
    REQUIRE(replaced.status == 201);
    CHECK(lima::test::read_file(file) == other);
    CHECK(replaced.json["hash"] == lima::index::hash_path(file)->to_string());
    CHECK(replaced.json["hash"] != hash);
    CHECK(replaced.json["size"] == other.size());
    CHECK(replaced.json["id"] == id);
    CHECK(fx.get("/api/v1/assets/" + std::to_string(id)).json["size"] == other.size());
    CHECK(temp_files(fx.root()).empty());
  }

  SECTION("the body is the file whatever type names it") {
    const std::string settings = R"({"layer_height": 0.2})";
    auto as_json = fx.request("POST", "/api/v1/projects/" + B + "/assets?path=settings.json", settings,
                              "application/json");
    REQUIRE(as_json.status == 201);
    CHECK(lima::test::read_file(fx.root() / "Benchy/settings.json") == settings);
    auto as_form = fx.request("POST", "/api/v1/projects/" + B + "/assets?path=form.stl", "solid f\n",
                              "application/x-www-form-urlencoded");  // what curl --data-binary says
    REQUIRE(as_form.status == 201);
    CHECK(lima::test::read_file(fx.root() / "Benchy/form.stl") == "solid f\n");
  }

  SECTION("an empty file is a file too") {
    auto empty = fx.upload("/api/v1/projects/" + B + "/assets?path=empty.txt", "");
    REQUIRE(empty.status == 201);
    CHECK(stdfs::file_size(fx.root() / "Benchy/empty.txt") == 0);
    CHECK(empty.json["kind"] == "document");
  }
}

TEST_CASE("an upload into a new project works end to end") {
  ApiFixture fx;
  auto created = fx.post("/api/v1/projects", {{"name", "Rocket"}});
  REQUIRE(created.status == 201);
  const auto P = std::to_string(created.json["id"].get<std::uint64_t>());
  const std::string png = lima::test::png_start(800, 600, 3000, 7);
  auto up = fx.upload("/api/v1/projects/" + P + "/assets?path=" + url_encode("images/rocket.png"), png);
  REQUIRE(up.status == 201);
  CHECK(up.json["kind"] == "image");
  auto project = fx.get("/api/v1/projects/" + P);
  CHECK(project.json["assets"] == 1);
  CHECK(project.json["main_image"]["path"] == "images/rocket.png");
  CHECK(fx.get("/api/v1/search?q=rocket").json["items"].size() == 2);
}
