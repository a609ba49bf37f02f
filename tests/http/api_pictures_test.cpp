// What the API shows of pictures: each image asset's width and height
// (read from its header by the sync), and the files no picture could be
// made of in the problem report.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "http/api_fixture.h"
#include "index/hasher.h"
#include "index/picture_failures.h"

using lima::test::ApiFixture;
using lima::test::write_file;
using nlohmann::json;

namespace {

json asset_at(const json& items, const std::string& path) {
  for (const auto& a : items)
    if (a["path"] == path) return a;
  FAIL("no asset " << path);
  return {};
}

}  // namespace

TEST_CASE("assets show an image's width and height, null when unknown or not an image") {
  ApiFixture fx;
  write_file(fx.root() / "Benchy/images/wide.png", lima::test::png_start(1920, 1080, 500, 1));
  fx.sync_and_wait();
  const std::string benchy = fx.pid("Benchy");

  auto list = fx.get("/api/v1/projects/" + benchy + "/assets");
  REQUIRE(list.status == 200);
  const auto wide = asset_at(list.json["items"], "images/wide.png");
  CHECK(wide["width"] == 1920);
  CHECK(wide["height"] == 1080);
  const auto cover = asset_at(list.json["items"], "images/cover.png");
  CHECK(cover["width"] == 640);
  CHECK(cover["height"] == 480);
  const auto side = asset_at(list.json["items"], "images/side.jpg");  // random bytes: no image
  CHECK(side["width"].is_null());
  CHECK(side["height"].is_null());
  const auto model = asset_at(list.json["items"], "models/3DBenchy.stl");
  CHECK(model.contains("width"));
  CHECK(model["width"].is_null());

  auto library = fx.get("/api/v1/assets?kind=image");
  REQUIRE(library.status == 200);
  CHECK(asset_at(library.json["items"], "images/wide.png")["width"] == 1920);
  auto one = fx.get("/api/v1/assets/" + fx.aid("Benchy", "images/wide.png"));
  REQUIRE(one.status == 200);
  CHECK(one.json["width"] == 1920);
  CHECK(one.json["height"] == 1080);

  // The main image is the cover, until the cover is no image any more.
  CHECK(fx.get("/api/v1/projects/" + benchy).json["main_image"]["path"] == "images/cover.png");
  write_file(fx.root() / "Benchy/images/cover.png", "broken");
  fx.sync_and_wait();
  auto project = fx.get("/api/v1/projects/" + benchy);
  REQUIRE(project.status == 200);
  CHECK(project.json["main_image"]["path"] == "images/wide.png");
  CHECK(asset_at(fx.get("/api/v1/projects/" + benchy + "/assets").json["items"], "images/cover.png")["width"].is_null());
}

TEST_CASE("files no picture could be made of are problems of their own kinds, filtered like any") {
  ApiFixture fx;
  auto record = [&](const std::string& rel, lima::index::PictureFailureKind kind, const std::string& reason) {
    const auto hash = *lima::index::hash_path(fx.root() / rel);
    fx.catalog().write(
        [&](lima::index::WriteTxn& t) { record_picture_failure(fx.catalog(), t, {hash, 1, kind, reason}); });
  };
  record("Benchy/images/side.jpg", lima::index::PictureFailureKind::undecodable_image, "not a JPEG file");
  record("Dragon/dragon.stl", lima::index::PictureFailureKind::unparsable_model, "STL: truncated facet");
  record("Vase/vase.3mf", lima::index::PictureFailureKind::over_cap, "over the cap of 50000000 triangles");

  auto all = fx.get("/api/v1/problems");
  REQUIRE(all.status == 200);
  CHECK(all.json["counts"].size() == 16);
  CHECK(all.json["counts"]["undecodable_image"] == 1);
  CHECK(all.json["counts"]["unparsable_model"] == 1);
  CHECK(all.json["counts"]["picture_over_cap"] == 1);

  auto some = fx.get("/api/v1/problems?kind=undecodable_image,unparsable_model,picture_over_cap");
  REQUIRE(some.status == 200);
  REQUIRE(some.json["items"].size() == 3);
  CHECK(some.json["items"][0] == json{{"path", "Benchy/images/side.jpg"},
                                      {"kind", "undecodable_image"},
                                      {"detail", "not a JPEG file"},
                                      {"error", false}});
  CHECK(some.json["items"][1]["path"] == "Dragon/dragon.stl");
  CHECK(some.json["items"][1]["kind"] == "unparsable_model");
  CHECK(some.json["items"][2]["path"] == "Vase/vase.3mf");
  CHECK(some.json["items"][2]["kind"] == "picture_over_cap");
  CHECK(some.json["items"][2]["detail"] == "over the cap of 50000000 triangles");
}
