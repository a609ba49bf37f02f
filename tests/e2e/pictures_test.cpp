// Pictures as a user meets them: the real daemon, with its defaults (the
// watcher, the API, the mount), makes pictures of a library's images and
// models in the background and serves them; broken files are problems,
// tried once; a restart or a rename redoes nothing.
#include <catch2/catch.hpp>

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "e2e/daemon_fixture.h"
#include "support/test_files.h"

using namespace lima::e2e;
using nlohmann::json;

namespace {

struct PictureLibrary {
  Setup s;
  PictureLibrary() {
    stdfs::remove_all(s.lib);
    write_file(s.lib / "Boat/hull.stl", lima::test::binary_stl_box(40, 20, 10, "solid hull (binary)"));
    write_file(s.lib / "Boat/photo.png",
               lima::test::png_bytes(300, 200, [](int x, int y) { return ((x / 20 + y / 20) % 2) ? 0x3366cc : 0xffcc00; }));
    // A tracking pixel named like a cover: never the project's picture.
    write_file(s.lib / "Boat/cover.png", lima::test::png_bytes(1, 1, [](int, int) { return 0xffffff; }));
    write_file(s.lib / "Boat/notes.md", "print at 0.2 mm\n");
    write_file(s.lib / "Bin/bin.stl", lima::test::binary_stl_box(42, 42, 21));
    write_file(s.lib / "Broken/broken.stl", "solid broken\n  facet normal 0 0 1\n    outer loop\n      vertex 1 2\n");
    write_file(s.lib / "Broken/photo.png", "this is not a picture\n");
  }
};

httplib::Result get(const std::string& url, const std::string& path, httplib::Headers h = {}) {
  httplib::Client c(url);
  c.set_read_timeout(30, 0);
  return c.Get(path, h);
}

json get_json(const std::string& url, const std::string& path) {
  auto r = get(url, path);
  REQUIRE(r);
  INFO(path << ": " << r->body);
  REQUIRE(r->status == 200);
  return json::parse(r->body);
}

std::uint64_t project_id(const std::string& url, const std::string& name) {
  const auto projects = get_json(url, "/api/v1/projects?limit=100");
  for (const auto& p : projects["items"])
    if (p["name"] == name) return p["id"].get<std::uint64_t>();
  FAIL("no project " << name << " in " << projects.dump());
  return 0;
}

std::uint64_t id_of(const std::string& url, const std::string& project, const std::string& path) {
  const auto assets = get_json(url, "/api/v1/projects/" + std::to_string(project_id(url, project)) + "/assets");
  for (const auto& a : assets["items"])
    if (a["path"] == path) return a["id"].get<std::uint64_t>();
  FAIL("no asset " << project << "/" << path << " in " << assets.dump());
  return 0;
}

// Asks until the answer is no longer 202 (the picture is being made).
httplib::Result settled(const std::string& url, const std::string& path, httplib::Headers h = {}) {
  const auto deadline = Clock::now() + 60s;
  for (;;) {
    auto r = get(url, path, h);
    if ((r && r->status != 202) || Clock::now() > deadline) return r;
    std::this_thread::sleep_for(kPoll);
  }
}

bool is_webp(const std::string& b) { return b.size() > 12 && b.compare(0, 4, "RIFF") == 0 && b.compare(8, 4, "WEBP") == 0; }

}  // namespace

TEST_CASE("the daemon makes pictures of images and models and serves them with caching headers", "[pictures]") {
  RETURN_WITHOUT_FUSE();
  PictureLibrary l;
  auto d = l.s.start({"--listen", "127.0.0.1:0"});
  REQUIRE(d->serving());
  const auto url = d->api_url();

  // Everything gets made in the background, without anyone asking.
  json pictures;
  REQUIRE(wait_until(
      [&] {
        pictures = get_json(url, "/api/v1/status")["pictures"];
        return pictures["made"].get<int>() + pictures["failed"].get<int>() >= 6 && pictures["queued"] == 0 &&
               pictures["running"] == 0;
      },
      60s));
  INFO(pictures.dump());
  CHECK(pictures["made"] == 4);    // hull.stl, photo.png, cover.png, bin.stl
  CHECK(pictures["failed"] == 2);  // broken.stl, Broken/photo.png
  CHECK(pictures["workers"] == 2);

  const auto photo = id_of(url, "Boat", "photo.png");
  auto r = get(url, "/api/v1/assets/" + std::to_string(photo) + "/thumbnail");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "image/webp");
  CHECK(is_webp(r->body));
  const auto etag = r->get_header_value("ETag");
  CHECK(etag.starts_with("\"xxh3:"));
  CHECK(r->get_header_value("Cache-Control").find("max-age=") != std::string::npos);

  // The browser's revalidation costs nothing.
  auto again = get(url, "/api/v1/assets/" + std::to_string(photo) + "/thumbnail", {{"If-None-Match", etag}});
  REQUIRE(again);
  CHECK(again->status == 304);
  CHECK(again->body.empty());

  // 512 is made on request: first 202 with Retry-After, then the picture.
  auto big = get(url, "/api/v1/assets/" + std::to_string(photo) + "/thumbnail?size=512");
  REQUIRE(big);
  if (big->status == 202) {
    CHECK(big->get_header_value("Retry-After") == "1");
    CHECK(json::parse(big->body)["status"] == "pending");
  }
  big = settled(url, "/api/v1/assets/" + std::to_string(photo) + "/thumbnail?size=512");
  REQUIRE(big);
  CHECK(big->status == 200);
  CHECK(is_webp(big->body));
  CHECK(big->get_header_value("ETag") != etag);

  // The models' pictures are rendered.
  auto hull = get(url, "/api/v1/assets/" + std::to_string(id_of(url, "Boat", "hull.stl")) + "/thumbnail");
  REQUIRE(hull);
  CHECK(hull->status == 200);
  CHECK(is_webp(hull->body));

  SECTION("bad requests and files without pictures get clear answers") {
    auto notes = get(url, "/api/v1/assets/" + std::to_string(id_of(url, "Boat", "notes.md")) + "/thumbnail");
    REQUIRE(notes);
    CHECK(notes->status == 404);
    CHECK(json::parse(notes->body)["error"]["code"] == "no_picture");

    auto size = get(url, "/api/v1/assets/" + std::to_string(photo) + "/thumbnail?size=100");
    REQUIRE(size);
    CHECK(size->status == 400);
    CHECK(json::parse(size->body)["error"]["message"].get<std::string>().find("256 or 512") != std::string::npos);

    auto broken = get(url, "/api/v1/assets/" + std::to_string(id_of(url, "Broken", "broken.stl")) + "/thumbnail");
    REQUIRE(broken);
    CHECK(broken->status == 422);
    const auto err = json::parse(broken->body)["error"];
    CHECK(err["code"] == "unparsable_model");
    CHECK(err["message"].get<std::string>().find("broken.stl") != std::string::npos);

    auto not_png = get(url, "/api/v1/assets/" + std::to_string(id_of(url, "Broken", "photo.png")) + "/thumbnail");
    REQUIRE(not_png);
    CHECK(not_png->status == 422);
    CHECK(json::parse(not_png->body)["error"]["code"] == "undecodable_image");

    auto missing = get(url, "/api/v1/assets/999999/thumbnail");
    REQUIRE(missing);
    CHECK(missing->status == 404);
    CHECK(json::parse(missing->body)["error"]["code"] == "not_found");
  }

  SECTION("a project's cover is its main image, else its model's picture") {
    auto boat = get(url, "/api/v1/projects/" + std::to_string(project_id(url, "Boat")) + "/cover");
    REQUIRE(boat);
    CHECK(boat->status == 200);
    CHECK(boat->body == r->body);  // photo.png, never the 1x1 pixel
    auto bin = get(url, "/api/v1/projects/" + std::to_string(project_id(url, "Bin")) + "/cover");
    REQUIRE(bin);
    CHECK(bin->status == 200);
    CHECK(bin->get_header_value("Content-Location").find("/api/v1/assets/" +
                                                        std::to_string(id_of(url, "Bin", "bin.stl"))) == 0);
  }

  SECTION("progress shows in /metrics and in the mount's status file") {
    auto m = get(url, "/api/v1/metrics");
    REQUIRE(m);
    const auto made = get_json(url, "/api/v1/status")["pictures"]["made"].get<int>();
    CHECK(made == 5);  // and the 512 picture
    CHECK(m->body.find("limafs_pictures_made_total " + std::to_string(made) + "\n") != std::string::npos);
    CHECK(m->body.find("limafs_pictures_queued 0") != std::string::npos);
    const auto status = read_file(l.s.mnt / ".limafs/status");
    CHECK(status.find("pictures: 0 queued") != std::string::npos);
  }

  SECTION("pictures are kept in the state directory, never in the library") {
    auto listing = sh("find " + quoted(l.s.lib) + " -type f | sort");
    CHECK(count_of(listing.output, "\n") == 7);
    auto kept = sh("find " + quoted(l.s.state / "pictures") + " -name '*.webp' | wc -l");
    CHECK(std::stoi(kept.output) == 5);  // four at 256, one at 512
  }
}

TEST_CASE("a restart or a renamed file redoes no picture; a changed file gets a new one", "[pictures]") {
  RETURN_WITHOUT_FUSE();
  PictureLibrary l;
  {
    auto d = l.s.start({"--listen", "127.0.0.1:0"});
    REQUIRE(d->serving());
    const auto url = d->api_url();
    REQUIRE(wait_until(
        [&] {
          auto p = get_json(url, "/api/v1/status")["pictures"];
          return p["made"].get<int>() + p["failed"].get<int>() >= 6 && p["queued"] == 0 && p["running"] == 0;
        },
        60s));
    CHECK(d->stop() == 0);
  }
  auto d = l.s.start({"--listen", "127.0.0.1:0"});
  REQUIRE(d->serving());
  const auto url = d->api_url();
  // Nothing is made again, nothing broken is tried again.
  auto r = get(url, "/api/v1/assets/" + std::to_string(id_of(url, "Boat", "hull.stl")) + "/thumbnail");
  REQUIRE(r);
  CHECK(r->status == 200);
  auto broken = get(url, "/api/v1/assets/" + std::to_string(id_of(url, "Broken", "broken.stl")) + "/thumbnail");
  REQUIRE(broken);
  CHECK(broken->status == 422);

  // A renamed file keeps its picture (named by content).
  stdfs::rename(l.s.lib / "Boat/hull.stl", l.s.lib / "Boat/hull-v2.stl");
  std::uint64_t renamed = 0;
  REQUIRE(wait_until(
      [&] {
        const auto assets = get_json(url, "/api/v1/projects/" + std::to_string(project_id(url, "Boat")) + "/assets");
        for (const auto& a : assets["items"])
          if (a["path"] == "hull-v2.stl") renamed = a["id"].get<std::uint64_t>();
        return renamed != 0;
      },
      30s));
  auto moved = get(url, "/api/v1/assets/" + std::to_string(renamed) + "/thumbnail");
  REQUIRE(moved);
  CHECK(moved->status == 200);
  CHECK(moved->body == r->body);

  // A fixed file gets its picture (its content is new).
  write_file(l.s.lib / "Broken/broken.stl", lima::test::binary_stl_box(10, 10, 30));
  std::optional<int> fixed;
  REQUIRE(wait_until(
      [&] {
        auto f = get(url, "/api/v1/assets/" + std::to_string(id_of(url, "Broken", "broken.stl")) + "/thumbnail");
        if (f && f->status == 200) fixed = f->status;
        return fixed.has_value();
      },
      30s));
  const auto p = get_json(url, "/api/v1/status")["pictures"];
  CHECK(p["made"] == 1);  // only the fixed file, nothing of the restart or the rename
  CHECK(p["failed"] == 0);

  // A picture no live file needs any more is removed.
  const auto bin = get_json(url, "/api/v1/assets/" + std::to_string(id_of(url, "Bin", "bin.stl")));
  const auto hash = bin["hash"].get<std::string>().substr(5);
  const auto picture = l.s.state / "pictures/v1" / hash.substr(0, 2) / (hash + "-256.webp");
  REQUIRE(stdfs::exists(picture));
  stdfs::remove(l.s.lib / "Bin/bin.stl");
  CHECK(wait_until([&] { return !stdfs::exists(picture); }, 30s));
  CHECK(stdfs::exists(l.s.state / "pictures/v1"));
}
