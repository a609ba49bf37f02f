// What a client of the control API does every day: reads status and
// metrics, lists and pages through projects, edits notes, main images, tags
// and collections, searches, streams files, and carries its metadata over
// to a fresh index.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "http/api_fixture.h"
#include "index/hasher.h"
#include "index/key_codec.h"
#include "index/metadata.h"
#include "index/names.h"
#include "index/schema.h"
#include "index/sync.h"

using lima::test::ApiFixture;
using lima::test::FixtureOptions;
using lima::test::Reply;
using lima::test::url_encode;
using nlohmann::json;
namespace stdfs = std::filesystem;

namespace {

std::vector<std::string> names_of(const json& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i["name"].get<std::string>());
  return out;
}

// Every item of a list, page by page; checks the pages are well-formed.
std::vector<json> walk_pages(ApiFixture& fx, const std::string& target, std::size_t limit) {
  std::vector<json> all;
  std::string cursor;
  for (int guard = 0; guard < 100; ++guard) {
    const auto sep = target.find('?') == std::string::npos ? "?" : "&";
    auto r = fx.get(target + sep + "limit=" + std::to_string(limit) + (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(r.status == 200);
    REQUIRE(r.json["items"].is_array());
    CHECK(r.json["items"].size() <= limit);
    for (const auto& i : r.json["items"]) all.push_back(i);
    if (r.json["next_cursor"].is_null()) return all;
    CHECK(r.json["items"].size() == limit);  // only a full page has a next one
    cursor = r.json["next_cursor"].get<std::string>();
  }
  FAIL("the pages never end");
  return all;
}

}  // namespace

TEST_CASE("status, healthz and metrics describe the daemon") {
  ApiFixture fx;
  auto status = fx.get("/api/v1/status");
  REQUIRE(status.status == 200);
  CHECK(status.json["library"]["path"] == fx.root().string());
  CHECK(status.json["library"]["online"] == true);
  CHECK(status.json["counts"]["projects"] == 4);
  CHECK(status.json["counts"]["assets"] == 11);
  CHECK(status.json["counts"]["tags"] == 4);
  CHECK(status.json["counts"]["collections"] == 1);
  CHECK(status.json["last_run"]["status"] == "ok");
  CHECK(status.json["running_run"].is_null());
  CHECK(status.json["daemon"]["version"] == "test");

  auto health = fx.get("/api/v1/healthz");
  REQUIRE(health.status == 200);
  CHECK(health.json["status"] == "ok");
  CHECK(health.json["library_online"] == true);

  auto metrics = fx.get("/api/v1/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(metrics.header("Content-Type").starts_with("text/plain"));
  const auto& m = metrics.body;
  CHECK(m.find("\nlimafs_index_projects 4\n") != std::string::npos);
  CHECK(m.find("\nlimafs_index_assets 11\n") != std::string::npos);
  CHECK(m.find("# TYPE limafs_sync_runs_total counter") != std::string::npos);
  CHECK(m.find("limafs_sync_runs_total{status=\"ok\"} 1\n") != std::string::npos);
  CHECK(m.find("limafs_http_requests_total{route=\"GET /api/v1/status\",status=\"200\"} 1\n") != std::string::npos);
  CHECK(m.find("limafs_http_requests_total{route=\"GET /api/v1/healthz\",status=\"200\"} 1\n") != std::string::npos);

  // The symlink in Benchy is reported, not followed; Cube and Vase have no pictures.
  auto problems = fx.get("/api/v1/problems");
  REQUIRE(problems.status == 200);
  REQUIRE(problems.json["items"].size() == 3);
  CHECK(problems.json["items"][0]["path"] == "Benchy/escape");
  CHECK(problems.json["items"][0]["kind"] == "symlink");
  CHECK(problems.json["items"][1]["path"] == "Cube");
  CHECK(problems.json["items"][1]["kind"] == "no_images");
  CHECK(problems.json["items"][2]["path"] == "Vase");
  CHECK(problems.json["items"][2]["kind"] == "no_images");

  // Counters count.
  fx.get("/api/v1/status");
  fx.get("/api/v1/projects/99999");
  const auto again = fx.metrics();
  CHECK(again.find("limafs_http_requests_total{route=\"GET /api/v1/status\",status=\"200\"} 2\n") != std::string::npos);
  CHECK(again.find("limafs_http_requests_total{route=\"GET /api/v1/projects/{id}\",status=\"404\"} 1\n") !=
        std::string::npos);
}

TEST_CASE("projects are listed in name order and filtered by tag, collection, q and name") {
  ApiFixture fx;
  auto all = fx.get("/api/v1/projects");
  REQUIRE(all.status == 200);
  CHECK(names_of(all.json["items"]) == std::vector<std::string>{"Benchy", "Cube", "Dragon", "Vase"});
  CHECK(all.json["next_cursor"].is_null());
  const auto& benchy = all.json["items"][0];
  CHECK(benchy["id"] == fx.project_id("Benchy"));
  CHECK(benchy["tags"] == json({"boat", "pla"}));

  CHECK(names_of(fx.get("/api/v1/projects?tag=pla").json["items"]) == std::vector<std::string>{"Benchy", "Cube"});
  CHECK(names_of(fx.get("/api/v1/projects?tag=dragon").json["items"]) == std::vector<std::string>{"Dragon"});
  // A collection by name or id, in collection order.
  CHECK(names_of(fx.get("/api/v1/projects?collection=Favourites").json["items"]) ==
        std::vector<std::string>{"Benchy", "Dragon"});
  const auto fav = fx.get("/api/v1/collections").json["items"][0]["id"].get<std::uint64_t>();
  CHECK(names_of(fx.get("/api/v1/projects?collection=" + std::to_string(fav)).json["items"]) ==
        std::vector<std::string>{"Benchy", "Dragon"});
  CHECK(names_of(fx.get("/api/v1/projects?q=drag").json["items"]) == std::vector<std::string>{"Dragon"});
  CHECK(names_of(fx.get("/api/v1/projects?q=boat").json["items"]) == std::vector<std::string>{"Benchy"});
  CHECK(names_of(fx.get("/api/v1/projects?tag=pla&q=cube").json["items"]) == std::vector<std::string>{"Cube"});
  CHECK(names_of(fx.get("/api/v1/projects?name=Vase").json["items"]) == std::vector<std::string>{"Vase"});
  CHECK(fx.get("/api/v1/projects?name=vase").json["items"].empty());  // exact folder names
  CHECK(fx.get("/api/v1/projects?q=zebra").json["items"].empty());
  // A collection may be called by a number.
  REQUIRE(fx.post("/api/v1/collections", {{"name", "2026"}, {"projects", {fx.project_id("Vase")}}}).status == 201);
  CHECK(names_of(fx.get("/api/v1/projects?collection=2026").json["items"]) == std::vector<std::string>{"Vase"});
}

TEST_CASE("paging through projects gives each one exactly once, in name order") {
  ApiFixture fx;
  const std::vector<std::string> expected{"Benchy", "Cube", "Dragon", "Vase"};
  for (std::size_t limit : {1u, 2u, 3u, 4u, 5u}) {
    INFO("limit " << limit);
    CHECK(names_of(walk_pages(fx, "/api/v1/projects", limit)) == expected);
  }
  // Filtered lists page the same way.
  CHECK(names_of(walk_pages(fx, "/api/v1/projects?tag=pla", 1)) == std::vector<std::string>{"Benchy", "Cube"});
  CHECK(names_of(walk_pages(fx, "/api/v1/projects?collection=Favourites", 1)) ==
        std::vector<std::string>{"Benchy", "Dragon"});
  CHECK(names_of(walk_pages(fx, "/api/v1/tags", 1)) == std::vector<std::string>{"boat", "dragon", "hull", "pla"});
  std::vector<std::string> paths;
  for (const auto& a : walk_pages(fx, "/api/v1/projects/" + fx.pid("Dragon") + "/assets", 1))
    paths.push_back(a["path"]);
  CHECK(paths == std::vector<std::string>{"dragon.stl", "parts/wing.stl", "render.png"});
}

TEST_CASE("a project's note and main image are set and cleared") {
  ApiFixture fx;
  const auto B = fx.pid("Benchy");
  auto got = fx.get("/api/v1/projects/" + B);
  REQUIRE(got.status == 200);
  CHECK(got.json["name"] == "Benchy");
  CHECK(got.json["path"] == (fx.root() / "Benchy").string());
  CHECK(got.json["assets"] == 4);
  CHECK(got.json["note"] == "");
  CHECK(got.json["collections"].size() == 1);
  // Auto-picked: the image called cover.
  CHECK(got.json["main_image"]["path"] == "images/cover.png");
  CHECK(got.json["main_image"]["chosen"] == false);

  const auto side = fx.asset_id("Benchy", "images/side.jpg");
  auto set = fx.patch("/api/v1/projects/" + B, {{"note", "print at 0.2 mm"}, {"main_image", side}});
  REQUIRE(set.status == 200);
  CHECK(set.json["note"] == "print at 0.2 mm");
  CHECK(set.json["main_image"]["id"] == side);
  CHECK(set.json["main_image"]["chosen"] == true);
  auto again = fx.get("/api/v1/projects/" + B);
  CHECK(again.json["note"] == "print at 0.2 mm");
  CHECK(again.json["main_image"]["id"] == side);

  auto cleared = fx.patch("/api/v1/projects/" + B, {{"main_image", nullptr}, {"note", ""}});
  REQUIRE(cleared.status == 200);
  CHECK(cleared.json["note"] == "");
  CHECK(cleared.json["main_image"]["path"] == "images/cover.png");
  CHECK(cleared.json["main_image"]["chosen"] == false);

  // An empty patch changes nothing and answers the project.
  auto empty = fx.patch("/api/v1/projects/" + B, json::object());
  CHECK(empty.status == 200);
  CHECK(empty.json["name"] == "Benchy");
}

TEST_CASE("assets are listed, filtered by kind and path, read and annotated") {
  ApiFixture fx;
  const auto B = fx.pid("Benchy");
  auto list = fx.get("/api/v1/projects/" + B + "/assets");
  REQUIRE(list.status == 200);
  std::vector<std::string> paths;
  for (const auto& a : list.json["items"]) paths.push_back(a["path"]);
  CHECK(paths == std::vector<std::string>{"README.md", "images/cover.png", "images/side.jpg", "models/3DBenchy.stl"});

  auto images = fx.get("/api/v1/projects/" + B + "/assets?kind=image");
  REQUIRE(images.status == 200);
  REQUIRE(images.json["items"].size() == 2);
  for (const auto& a : images.json["items"]) CHECK(a["kind"] == "image");
  auto models = fx.get("/api/v1/projects/" + B + "/assets?kind=model");
  REQUIRE(models.json["items"].size() == 1);
  CHECK(models.json["items"][0]["path"] == "models/3DBenchy.stl");
  auto by_path = fx.get("/api/v1/projects/" + B + "/assets?path=" + url_encode("images/side.jpg"));
  REQUIRE(by_path.json["items"].size() == 1);
  CHECK(by_path.json["items"][0]["kind"] == "image");
  CHECK(fx.get("/api/v1/projects/" + B + "/assets?path=nope.stl").json["items"].empty());

  const auto id = fx.asset_id("Benchy", "models/3DBenchy.stl");
  auto one = fx.get("/api/v1/assets/" + std::to_string(id));
  REQUIRE(one.status == 200);
  CHECK(one.json["project_name"] == "Benchy");
  CHECK(one.json["size"] == 3000);
  CHECK(one.json["hash"] == lima::index::hash_path(fx.root() / "Benchy/models/3DBenchy.stl")->to_string());
  CHECK(one.json["library_path"] == "Benchy/models/3DBenchy.stl");
  CHECK(one.json["tags"] == json({"hull"}));

  auto noted = fx.patch("/api/v1/assets/" + std::to_string(id), {{"note", "needs supports"}});
  REQUIRE(noted.status == 200);
  CHECK(noted.json["note"] == "needs supports");
  CHECK(fx.get("/api/v1/assets/" + std::to_string(id)).json["note"] == "needs supports");
}

TEST_CASE("tag links: PUT and DELETE are idempotent") {
  ApiFixture fx;
  const auto V = fx.pid("Vase");
  auto first = fx.put("/api/v1/projects/" + V + "/tags/petg");
  auto second = fx.put("/api/v1/projects/" + V + "/tags/petg");
  REQUIRE(first.status == 200);
  CHECK(second.status == 200);
  CHECK(first.json == json({{"tags", {"petg"}}}));
  CHECK(second.json == first.json);
  const auto state_after_put = fx.snapshot();
  fx.put("/api/v1/projects/" + V + "/tags/petg");
  CHECK(fx.snapshot() == state_after_put);

  // '+' inside a name is a plus, however it is written.
  CHECK(fx.put("/api/v1/projects/" + V + "/tags/c++").json["tags"] == json({"c++", "petg"}));
  CHECK(fx.put("/api/v1/projects/" + V + "/tags/c%2B%2B").json["tags"] == json({"c++", "petg"}));
  CHECK(fx.get("/api/v1/projects?tag=c%2B%2B").json["items"].size() == 1);
  REQUIRE(fx.del("/api/v1/projects/" + V + "/tags/c++").status == 200);

  // Unicode and spaces are fine in tag names.
  auto fancy = fx.put("/api/v1/projects/" + V + "/tags/" + url_encode("große Vase"));
  REQUIRE(fancy.status == 200);
  CHECK(fancy.json["tags"] == json({"große Vase", "petg"}));

  auto del1 = fx.del("/api/v1/projects/" + V + "/tags/petg");
  auto del2 = fx.del("/api/v1/projects/" + V + "/tags/petg");
  REQUIRE(del1.status == 200);
  CHECK(del2.status == 200);
  CHECK(del1.json == json({{"tags", {"große Vase"}}}));
  CHECK(del2.json == del1.json);
  // Untagging something never tagged with an unknown tag is fine too.
  CHECK(fx.del("/api/v1/projects/" + V + "/tags/never-was").status == 200);

  const auto A = fx.aid("Vase", "vase.3mf");
  auto at1 = fx.put("/api/v1/assets/" + A + "/tags/spiral");
  auto at2 = fx.put("/api/v1/assets/" + A + "/tags/spiral");
  CHECK(at1.status == 200);
  CHECK(at2.json == at1.json);
  CHECK(at1.json["tags"] == json({"spiral"}));
  auto ad1 = fx.del("/api/v1/assets/" + A + "/tags/spiral");
  auto ad2 = fx.del("/api/v1/assets/" + A + "/tags/spiral");
  CHECK(ad1.status == 200);
  CHECK(ad2.json == ad1.json);
  CHECK(ad1.json["tags"].empty());
}

TEST_CASE("tags are listed with counts, renamed, merged and deleted") {
  ApiFixture fx;
  auto list = fx.get("/api/v1/tags");
  REQUIRE(list.status == 200);
  std::map<std::string, std::pair<int, int>> counts;
  for (const auto& t : list.json["items"]) counts[t["name"]] = {t["projects"].get<int>(), t["assets"].get<int>()};
  CHECK(counts == std::map<std::string, std::pair<int, int>>{
                      {"boat", {1, 0}}, {"dragon", {1, 0}}, {"hull", {0, 1}}, {"pla", {2, 0}}});

  auto renamed = fx.patch("/api/v1/tags/boat", {{"name", "ship"}});
  REQUIRE(renamed.status == 200);
  CHECK(renamed.json["name"] == "ship");
  CHECK(renamed.json["projects"] == 1);
  CHECK(fx.get("/api/v1/projects/" + fx.pid("Benchy")).json["tags"] == json({"pla", "ship"}));
  auto taken = fx.patch("/api/v1/tags/ship", {{"name", "pla"}});
  CHECK(taken.status == 409);
  CHECK(taken.error_code() == "conflict");

  auto merged = fx.post("/api/v1/tags/dragon/merge", {{"into", "pla"}});
  REQUIRE(merged.status == 200);
  CHECK(merged.json["name"] == "pla");
  CHECK(merged.json["projects"] == 3);
  CHECK(names_of(fx.get("/api/v1/projects?tag=pla").json["items"]) ==
        std::vector<std::string>{"Benchy", "Cube", "Dragon"});
  CHECK(fx.get("/api/v1/projects?tag=dragon").status == 404);
  // Merging into a new name creates it.
  auto fresh = fx.post("/api/v1/tags/hull/merge", {{"into", "parts"}});
  CHECK(fresh.status == 200);
  CHECK(fresh.json["assets"] == 1);

  auto deleted = fx.del("/api/v1/tags/pla");
  CHECK(deleted.status == 204);
  CHECK(deleted.body.empty());
  CHECK(fx.get("/api/v1/projects/" + fx.pid("Cube")).json["tags"].empty());
  CHECK(names_of(fx.get("/api/v1/tags").json["items"]) == std::vector<std::string>{"parts", "ship"});
  CHECK(fx.del("/api/v1/tags/pla").status == 404);
}

TEST_CASE("collections are created, filled, reordered, renamed and deleted") {
  ApiFixture fx;
  const auto b = fx.project_id("Benchy"), c = fx.project_id("Cube"), d = fx.project_id("Dragon"),
             v = fx.project_id("Vase");
  auto created = fx.post("/api/v1/collections", {{"name", "Weekend"}, {"projects", {v, b}}});
  REQUIRE(created.status == 201);
  const auto id = std::to_string(created.json["id"].get<std::uint64_t>());
  CHECK(created.header("Location") == "/api/v1/collections/" + id);
  CHECK(names_of(created.json["projects"]) == std::vector<std::string>{"Vase", "Benchy"});

  auto got = fx.get("/api/v1/collections/" + id);
  REQUIRE(got.status == 200);
  CHECK(got.json["name"] == "Weekend");
  CHECK(got.json["size"] == 2);

  auto added = fx.put("/api/v1/collections/" + id + "/projects/" + std::to_string(c) + "?position=0");
  REQUIRE(added.status == 200);
  CHECK(names_of(added.json["projects"]) == std::vector<std::string>{"Cube", "Vase", "Benchy"});
  auto at_end = fx.put("/api/v1/collections/" + id + "/projects/" + std::to_string(d));
  CHECK(names_of(at_end.json["projects"]) == std::vector<std::string>{"Cube", "Vase", "Benchy", "Dragon"});
  // Adding a member again without a position changes nothing.
  auto again = fx.put("/api/v1/collections/" + id + "/projects/" + std::to_string(d));
  CHECK(again.json == at_end.json);

  auto removed = fx.del("/api/v1/collections/" + id + "/projects/" + std::to_string(v));
  REQUIRE(removed.status == 200);
  CHECK(names_of(removed.json["projects"]) == std::vector<std::string>{"Cube", "Benchy", "Dragon"});

  auto reordered = fx.put("/api/v1/collections/" + id + "/order", {{"projects", {d, c, b}}});
  REQUIRE(reordered.status == 200);
  CHECK(names_of(reordered.json["projects"]) == std::vector<std::string>{"Dragon", "Cube", "Benchy"});
  auto not_perm = fx.put("/api/v1/collections/" + id + "/order", {{"projects", {d, c, v}}});
  CHECK(not_perm.status == 400);
  CHECK(not_perm.error_code() == "invalid_argument");
  CHECK(names_of(fx.get("/api/v1/collections/" + id).json["projects"]) ==
        std::vector<std::string>{"Dragon", "Cube", "Benchy"});

  auto renamed = fx.patch("/api/v1/collections/" + id, {{"name", "Someday"}});
  REQUIRE(renamed.status == 200);
  CHECK(renamed.json["name"] == "Someday");
  CHECK(fx.patch("/api/v1/collections/" + id, {{"name", "Favourites"}}).status == 409);
  CHECK(names_of(fx.get("/api/v1/collections").json["items"]) == std::vector<std::string>{"Favourites", "Someday"});
  CHECK(fx.get("/api/v1/projects/" + std::to_string(d)).json["collections"].size() == 2);

  auto deleted = fx.del("/api/v1/collections/" + id);
  CHECK(deleted.status == 204);
  CHECK(fx.get("/api/v1/collections/" + id).status == 404);
  CHECK(fx.del("/api/v1/collections/" + id).status == 404);
  CHECK(names_of(fx.get("/api/v1/collections").json["items"]) == std::vector<std::string>{"Favourites"});
}

TEST_CASE("search finds projects and assets by name and tag") {
  ApiFixture fx;
  auto r = fx.get("/api/v1/search?q=benchy");
  REQUIRE(r.status == 200);
  CHECK(r.json["query"] == "benchy");
  CHECK(r.json["total"] == 2);
  std::set<std::pair<std::string, std::string>> hits;
  for (const auto& i : r.json["items"])
    hits.insert({i["type"], i["type"] == "project" ? i["name"].get<std::string>() : i["path"].get<std::string>()});
  CHECK(hits.count({"project", "Benchy"}) == 1);
  CHECK(hits.count({"asset", "models/3DBenchy.stl"}) == 1);
  // Both hold the word "benchy" in their name: the shorter name first.
  CHECK(r.json["items"][0]["type"] == "project");
  CHECK(r.json["items"][0]["matched"] == json({"name"}));

  auto by_tag = fx.get("/api/v1/search?q=hull");
  REQUIRE(by_tag.status == 200);
  REQUIRE(by_tag.json["items"].size() == 1);
  CHECK(by_tag.json["items"][0]["path"] == "models/3DBenchy.stl");
  CHECK(by_tag.json["items"][0]["matched"] == json({"tag"}));

  auto both = fx.get("/api/v1/search?q=" + url_encode("wing stl"));
  REQUIRE(both.json["items"].size() == 1);
  CHECK(both.json["items"][0]["path"] == "parts/wing.stl");
  CHECK(fx.get("/api/v1/search?q=zebra").json["items"].empty());

  // Paged across projects and assets.
  std::vector<std::string> mixed;
  for (const auto& i : walk_pages(fx, "/api/v1/search?q=benchy", 1))
    mixed.push_back(i["type"].get<std::string>() + ":" + i.value("name", i.value("path", "")));
  CHECK(mixed.size() == 2);
  CHECK(mixed == std::vector<std::string>{"project:Benchy", "asset:models/3DBenchy.stl"});

  // Paged: every hit once.
  std::vector<std::string> paged;
  for (const auto& i : walk_pages(fx, "/api/v1/search?q=stl", 1)) paged.push_back(i["path"]);
  CHECK(paged.size() == 4);  // 3DBenchy, cube, dragon and wing, no duplicates
  CHECK(std::set<std::string>(paged.begin(), paged.end()).size() == paged.size());
}

TEST_CASE("an asset's content is streamed whole or by byte range") {
  ApiFixture fx;
  const auto path = fx.root() / "Benchy/models/3DBenchy.stl";
  const auto disk = lima::test::read_file(path);
  const auto target = "/api/v1/assets/" + fx.aid("Benchy", "models/3DBenchy.stl") + "/content";

  auto whole = fx.get(target);
  REQUIRE(whole.status == 200);
  CHECK(whole.body == disk);
  CHECK(whole.header("Accept-Ranges") == "bytes");
  CHECK(whole.header("Content-Type") == "model/stl");
  CHECK(whole.header("Content-Disposition").find("3DBenchy.stl") != std::string::npos);

  auto part = fx.get(target, {{"Range", "bytes=2-5"}});
  REQUIRE(part.status == 206);
  CHECK(part.header("Content-Range") == "bytes 2-5/3000");
  CHECK(part.body == disk.substr(2, 4));

  auto suffix = fx.get(target, {{"Range", "bytes=-3"}});
  REQUIRE(suffix.status == 206);
  CHECK(suffix.header("Content-Range") == "bytes 2997-2999/3000");
  CHECK(suffix.body == disk.substr(2997));

  auto open_end = fx.get(target, {{"Range", "bytes=2990-"}});
  REQUIRE(open_end.status == 206);
  CHECK(open_end.body == disk.substr(2990));
  auto past_end = fx.get(target, {{"Range", "bytes=2990-999999"}});
  REQUIRE(past_end.status == 206);
  CHECK(past_end.header("Content-Range") == "bytes 2990-2999/3000");
  CHECK(past_end.body == disk.substr(2990));

  // A text file comes whole and unchanged too.
  auto readme = fx.get("/api/v1/assets/" + fx.aid("Benchy", "README.md") + "/content");
  REQUIRE(readme.status == 200);
  CHECK(readme.body == lima::test::read_file(fx.root() / "Benchy/README.md"));
}

TEST_CASE("new tag, collection and project names with control characters or only white space are refused") {
  ApiFixture fx;
  const auto B = fx.pid("Benchy");
  const auto model = fx.aid("Benchy", "models/3DBenchy.stl");
  const auto fav = std::to_string(fx.get("/api/v1/collections").json["items"][0]["id"].get<std::uint64_t>());
  const auto before = fx.snapshot();
  struct Case {
    std::string what;
    Reply reply;
    std::string fault;  ///< what the message says is wrong
  };
  const std::vector<Case> cases = {
      {"tag renamed to two lines", fx.patch("/api/v1/tags/pla", {{"name", "line1\nline2"}}),
       "tag name 'line1\\nline2' contains a control character (\\n)"},
      {"tag renamed to spaces", fx.patch("/api/v1/tags/pla", {{"name", "   "}}), "tag name '   ' is only white space"},
      {"project tagged with %0A", fx.put("/api/v1/projects/" + B + "/tags/line1%0Aline2"),
       "tag name 'line1\\nline2' contains a control character (\\n)"},
      {"asset tagged with a tab", fx.put("/api/v1/assets/" + model + "/tags/a%09b"),
       "tag name 'a\\tb' contains a control character (\\t)"},
      {"project tagged with a C1 control", fx.put("/api/v1/projects/" + B + "/tags/x%C2%85"),
       "tag name 'x\\u0085' contains a control character (\\u0085)"},
      {"project tagged with spaces", fx.put("/api/v1/projects/" + B + "/tags/%20%20"), "tag name '  ' is only white space"},
      {"merge into a name with ESC", fx.post("/api/v1/tags/pla/merge", {{"into", "x\x1b[31m"}}),
       "tag name 'x\\x1b[31m' contains a control character (\\x1b)"},
      {"collection named with a newline", fx.post("/api/v1/collections", {{"name", "a\nb"}}),
       "collection name 'a\\nb' contains a control character (\\n)"},
      {"collection renamed to an ideographic space", fx.patch("/api/v1/collections/" + fav, {{"name", "\u3000"}}),
       "collection name '\u3000' is only white space"},
  };
  for (const auto& c : cases) {
    INFO(c.what << ": " << c.reply.status << " " << c.reply.body);
    CHECK(c.reply.status == 400);
    CHECK(c.reply.error_code() == "invalid_argument");
    // What is wrong, then the rule.
    CHECK(c.reply.error_message() == c.fault + "; " + std::string(lima::index::kNameRule));
  }
  const std::vector<std::pair<std::string, std::string>> folders = {
      {"\n", "contains a control character (\\n)"},
      {" ", "is only white space"},
      {" Leading", "starts with white space"},
      {"Trailing ", "ends with white space"},
      {"Tab\there", "contains a control character (\\t)"},
  };
  for (const auto& [name, fault] : folders) {
    auto r = fx.post("/api/v1/projects", {{"name", name}});
    INFO("folder '" << name << "': " << r.status << " " << r.body);
    CHECK(r.status == 400);
    CHECK(r.error_code() == "invalid_argument");
    CHECK(r.error_message().find(fault + "; " + std::string(lima::index::kFolderNameRule)) != std::string::npos);
  }
  const auto after = fx.snapshot();
  INFO(lima::test::describe_difference(before, after));
  CHECK(after == before);
}

TEST_CASE("a tag named under an older rule stays reachable: listed, used, renamed, merged and deleted") {
  ApiFixture fx;
  // Older versions took any name without '/' or NUL: an index may hold
  // tags named with a newline or only spaces. Written here as they were.
  const std::string two_lines = "line1\nline2", blank = "   ";
  const auto benchy = fx.project_id("Benchy"), cube = fx.project_id("Cube");
  fx.catalog().write([&](lima::index::WriteTxn& t) {
    namespace ix = lima::index;
    const auto& db = fx.catalog().db();
    auto legacy = [&](const std::string& name, ix::ProjectId p) {
      const auto id = fx.catalog().next_id(t, ix::schema::kTags);
      t.put(db.tags, ix::key_u64(id), name);
      t.put(db.tag_names, name, ix::key_u64(id));
      t.put(db.project_tags, ix::key_u64_u64(p, id), {});
      t.put(db.tag_projects, ix::key_u64_u64(id, p), {});
    };
    legacy(two_lines, benchy);
    legacy(blank, cube);
  });
  const std::string in_path = url_encode(two_lines);  // line1%0Aline2
  const auto dragon = fx.pid("Dragon");
  auto tag_names = [&] {
    std::set<std::string> names;
    const auto list = fx.get("/api/v1/tags");
    for (const auto& t : list.json["items"]) names.insert(t["name"].get<std::string>());
    return names;
  };
  REQUIRE(tag_names().count(two_lines));
  CHECK(names_of(fx.get("/api/v1/projects?tag=" + in_path).json["items"]) == std::vector<std::string>{"Benchy"});

  SECTION("used on another project, and taken off again") {
    auto tagged = fx.put("/api/v1/projects/" + dragon + "/tags/" + in_path);
    INFO(tagged.body);
    CHECK(tagged.status == 200);
    CHECK(tagged.json["tags"] == json({"dragon", two_lines}));
    auto untagged = fx.del("/api/v1/projects/" + dragon + "/tags/" + in_path);
    CHECK(untagged.status == 200);
    CHECK(untagged.json["tags"] == json({"dragon"}));
  }
  SECTION("renamed") {
    auto renamed = fx.patch("/api/v1/tags/" + in_path, {{"name", "line1 line2"}});
    INFO(renamed.body);
    REQUIRE(renamed.status == 200);
    CHECK(renamed.json["name"] == "line1 line2");
    CHECK(renamed.json["projects"] == 1);
    CHECK_FALSE(tag_names().count(two_lines));
    CHECK(fx.get("/api/v1/projects/" + fx.pid("Benchy")).json["tags"] == json({"boat", "line1 line2", "pla"}));
  }
  SECTION("merged into another tag") {
    auto merged = fx.post("/api/v1/tags/%20%20%20/merge", {{"into", "pla"}});
    INFO(merged.body);
    REQUIRE(merged.status == 200);
    CHECK_FALSE(tag_names().count(blank));
    CHECK(fx.get("/api/v1/projects/" + fx.pid("Cube")).json["tags"] == json({"pla"}));
  }
  SECTION("deleted") {
    auto deleted = fx.del("/api/v1/tags/" + in_path);
    INFO(deleted.body);
    CHECK(deleted.status == 204);
    CHECK_FALSE(tag_names().count(two_lines));
    CHECK(fx.get("/api/v1/projects/" + fx.pid("Benchy")).json["tags"] == json({"boat", "pla"}));
    CHECK(fx.del("/api/v1/tags/%20%20%20").status == 204);
    CHECK_FALSE(tag_names().count(blank));
  }
  SECTION("but nothing can be renamed to such a name") {
    auto refused = fx.patch("/api/v1/tags/pla", {{"name", two_lines}});
    CHECK(refused.status == 400);
    CHECK(refused.error_code() == "invalid_argument");
  }
}

TEST_CASE("metadata exported over HTTP imports into a fresh index of a copy of the library") {
  ApiFixture fx;
  // Some more metadata, made through the API.
  const auto side = fx.asset_id("Benchy", "images/side.jpg");
  REQUIRE(fx.patch("/api/v1/projects/" + fx.pid("Benchy"), {{"main_image", side}, {"note", "classic"}}).status == 200);
  REQUIRE(fx.put("/api/v1/assets/" + fx.aid("Dragon", "parts/wing.stl") + "/tags/" + url_encode("left wing")).status ==
          200);
  REQUIRE(fx.post("/api/v1/collections", {{"name", "Queue"}, {"projects", {fx.project_id("Vase"), fx.project_id("Cube")}}})
              .status == 201);

  auto exported = fx.get("/api/v1/metadata/export");
  REQUIRE(exported.status == 200);
  CHECK(exported.header("Content-Disposition").find("attachment") != std::string::npos);
  REQUIRE(exported.json["format"] == "limafs-metadata");

  FixtureOptions o;
  o.seed_metadata = false;
  o.copy_library_from = fx.root();
  ApiFixture fresh(o);
  CHECK(fresh.get("/api/v1/tags").json["items"].empty());
  auto imported = fresh.request("POST", "/api/v1/metadata/import", exported.body, "application/json");
  REQUIRE(imported.status == 200);
  CHECK(imported.json["projects_unmatched"] == 0);
  CHECK(imported.json["assets_unmatched"] == 0);

  auto strip = [](json j) {
    j.erase("exported_at");
    j.erase("library");
    return j;
  };
  auto again = fresh.get("/api/v1/metadata/export");
  REQUIRE(again.status == 200);
  CHECK(strip(again.json) == strip(exported.json));
  // And the API shows it.
  CHECK(fresh.get("/api/v1/projects/" + fresh.pid("Benchy")).json["tags"] == json({"boat", "pla"}));
  CHECK(fresh.get("/api/v1/projects/" + fresh.pid("Benchy")).json["main_image"]["path"] == "images/side.jpg");
  CHECK(names_of(fresh.get("/api/v1/projects?collection=Queue").json["items"]) ==
        std::vector<std::string>{"Vase", "Cube"});
  CHECK(fresh.get("/api/v1/assets/" + fresh.aid("Dragon", "parts/wing.stl")).json["tags"] == json({"left wing"}));

  // Importing the same document twice adds nothing.
  auto twice = fresh.request("POST", "/api/v1/metadata/import", exported.body, "application/json");
  REQUIRE(twice.status == 200);
  CHECK(twice.json["tags_added"] == 0);
  CHECK(twice.json["collections_created"] == 0);
  CHECK(twice.json["members_added"] == 0);
}

TEST_CASE("a cursor only works on the list it was made for", "[http]") {
  // Cursors are opaque: one from another list (another order, another
  // project) must be refused, not silently restart or skip items.
  ApiFixture fx;
  auto expect_refused = [](const Reply& r) {
    INFO(r.body.substr(0, 300));
    CHECK(r.status == 400);
    CHECK(r.error_code() == "invalid_argument");
  };
  SECTION("a collection-order cursor on the name-ordered list") {
    auto page = fx.get("/api/v1/projects?collection=Favourites&limit=1");
    REQUIRE(page.json["next_cursor"].is_string());
    expect_refused(fx.get("/api/v1/projects?limit=1&cursor=" + page.json["next_cursor"].get<std::string>()));
  }
  SECTION("a name-order cursor on a collection's list") {
    auto page = fx.get("/api/v1/projects?limit=1");
    REQUIRE(page.json["next_cursor"].is_string());
    expect_refused(fx.get("/api/v1/projects?collection=Favourites&cursor=" + page.json["next_cursor"].get<std::string>()));
  }
  SECTION("one project's asset cursor on another project's assets") {
    auto page = fx.get("/api/v1/projects/" + fx.pid("Benchy") + "/assets?limit=2");
    REQUIRE(page.json["next_cursor"].is_string());
    auto other = fx.get("/api/v1/projects/" + fx.pid("Dragon") + "/assets?cursor=" + page.json["next_cursor"].get<std::string>());
    expect_refused(other);
    // What it must never do: answer a page that silently lacks dragon.stl.
    if (other.status == 200)
      CHECK(other.json["items"].size() == 3);
  }
}

TEST_CASE("projects filtered by several tags carry every one of them") {
  ApiFixture fx;
  CHECK(names_of(fx.get("/api/v1/projects?tag=pla&tag=boat").json["items"]) == std::vector<std::string>{"Benchy"});
  CHECK(names_of(fx.get("/api/v1/projects?tag=boat&tag=pla").json["items"]) == std::vector<std::string>{"Benchy"});
  CHECK(fx.get("/api/v1/projects?tag=pla&tag=dragon").json["items"].empty());
  CHECK(names_of(fx.get("/api/v1/projects?tag=pla&tag=pla").json["items"]) ==
        std::vector<std::string>{"Benchy", "Cube"});
  // With the other filters too.
  CHECK(names_of(fx.get("/api/v1/projects?tag=pla&tag=boat&q=bench").json["items"]) ==
        std::vector<std::string>{"Benchy"});
  CHECK(fx.get("/api/v1/projects?tag=pla&tag=boat&q=cube").json["items"].empty());
  CHECK(names_of(fx.get("/api/v1/projects?collection=Favourites&tag=pla&tag=boat").json["items"]) ==
        std::vector<std::string>{"Benchy"});
  CHECK(fx.get("/api/v1/projects?collection=Favourites&tag=pla&tag=dragon").json["items"].empty());
  CHECK(names_of(fx.get("/api/v1/projects?name=Benchy&tag=pla&tag=boat").json["items"]) ==
        std::vector<std::string>{"Benchy"});
  CHECK(fx.get("/api/v1/projects?name=Cube&tag=pla&tag=boat").json["items"].empty());
  // Each tag must exist.
  auto unknown = fx.get("/api/v1/projects?tag=pla&tag=nosuch");
  CHECK(unknown.status == 404);
  CHECK(unknown.error_message().find("nosuch") != std::string::npos);
  // Paged, each project once.
  REQUIRE(fx.put("/api/v1/projects/" + fx.pid("Cube") + "/tags/boat").status == 200);
  CHECK(names_of(walk_pages(fx, "/api/v1/projects?tag=pla&tag=boat", 1)) == std::vector<std::string>{"Benchy", "Cube"});
}

TEST_CASE("a parameter that takes one value is refused when given twice, naming it") {
  ApiFixture fx;
  const auto B = fx.pid("Benchy");
  const std::pair<std::string, std::string> cases[] = {
      {"/api/v1/projects?collection=Favourites&collection=2026", "collection"},
      {"/api/v1/projects?q=bench&q=boat", "q"},
      {"/api/v1/projects?name=Benchy&name=Cube", "name"},
      {"/api/v1/projects?limit=1&limit=2", "limit"},
      {"/api/v1/projects?cursor=a&cursor=b", "cursor"},
      {"/api/v1/projects/" + B + "/assets?kind=image&kind=model", "kind"},
      {"/api/v1/projects/" + B + "/assets?path=README.md&path=x", "path"},
      {"/api/v1/assets?kind=image&kind=model", "kind"},
      {"/api/v1/assets?ext=stl&ext=3mf", "ext"},
      {"/api/v1/assets?project=1&project=2", "project"},
      {"/api/v1/assets?hash=a&hash=b", "hash"},
      {"/api/v1/assets?limit=5&limit=6", "limit"},
  };
  const auto before = fx.snapshot();
  for (const auto& [target, param] : cases) {
    INFO(target);
    auto r = fx.get(target);
    CHECK(r.status == 400);
    CHECK(r.error_code() == "invalid_argument");
    CHECK(r.error_message().find("parameter '" + param + "'") != std::string::npos);
  }
  CHECK(fx.snapshot() == before);
}

TEST_CASE("GET /assets lists the library's files, filtered by kind, extension, tags, project and content hash") {
  ApiFixture fx;
  auto paths_of = [](const json& items) {
    std::vector<std::string> out;
    for (const auto& a : items) out.push_back(a["project_name"].get<std::string>() + "/" + a["path"].get<std::string>());
    std::sort(out.begin(), out.end());
    return out;
  };
  auto listed = [&](const std::string& query) {
    auto r = fx.get("/api/v1/assets" + query);
    INFO(query << ": " << r.body.substr(0, 300));
    REQUIRE(r.status == 200);
    return paths_of(r.json["items"]);
  };
  auto all = fx.get("/api/v1/assets");
  REQUIRE(all.status == 200);
  REQUIRE(all.json["items"].size() == 11);
  CHECK(all.json["next_cursor"].is_null());
  std::vector<std::uint64_t> ids;
  for (const auto& a : all.json["items"]) ids.push_back(a["id"].get<std::uint64_t>());
  CHECK(std::is_sorted(ids.begin(), ids.end()));
  const auto& first = all.json["items"][0];
  for (const char* key : {"id", "project", "project_name", "path", "kind", "size", "hash", "tags", "state"})
    CHECK(first.contains(key));

  using V = std::vector<std::string>;
  CHECK(listed("?kind=image") == V{"Benchy/images/cover.png", "Benchy/images/side.jpg", "Dragon/render.png"});
  CHECK(listed("?ext=stl") ==
        V{"Benchy/models/3DBenchy.stl", "Cube/cube.stl", "Dragon/dragon.stl", "Dragon/parts/wing.stl"});
  CHECK(listed("?ext=.STL") == listed("?ext=stl"));
  CHECK(listed("?ext=3mf&kind=model") == V{"Cube/cube.3mf", "Vase/vase.3mf"});
  CHECK(listed("?ext=3mf&kind=image").empty());
  CHECK(listed("?tag=hull") == V{"Benchy/models/3DBenchy.stl"});
  CHECK(listed("?tag=hull&kind=image").empty());
  CHECK(listed("?project=" + fx.pid("Dragon")) == V{"Dragon/dragon.stl", "Dragon/parts/wing.stl", "Dragon/render.png"});
  CHECK(listed("?project=" + fx.pid("Dragon") + "&ext=png") == V{"Dragon/render.png"});
  // Several tags: all of them.
  REQUIRE(fx.put("/api/v1/assets/" + fx.aid("Cube", "cube.stl") + "/tags/hull").status == 200);
  REQUIRE(fx.put("/api/v1/assets/" + fx.aid("Cube", "cube.stl") + "/tags/small").status == 200);
  CHECK(listed("?tag=hull") == V{"Benchy/models/3DBenchy.stl", "Cube/cube.stl"});
  CHECK(listed("?tag=hull&tag=small") == V{"Cube/cube.stl"});

  // By content: every copy, whatever its name or folder ("do I have this?").
  lima::test::write_file(fx.root() / "Vase/spare/cube copy.stl", lima::test::standard_files().at("Cube/cube.stl"));
  REQUIRE(lima::index::run_sync(fx.catalog(), {.library = fx.root()}));
  const auto hash = lima::index::hash_path(fx.root() / "Cube/cube.stl")->to_string();
  CHECK(listed("?hash=" + hash) == V{"Cube/cube.stl", "Vase/spare/cube copy.stl"});
  CHECK(listed("?hash=" + hash.substr(5)) == listed("?hash=" + hash));  // the bare hex digits too
  CHECK(listed("?hash=" + hash + "&project=" + fx.pid("Vase")) == V{"Vase/spare/cube copy.stl"});
  CHECK(listed("?hash=xxh3:00000000000000000000000000000000").empty());

  // Files gone from the library are not listed, though they keep their tags.
  std::filesystem::remove(fx.root() / "Cube/cube.stl");
  REQUIRE(lima::index::run_sync(fx.catalog(), {.library = fx.root()}));
  CHECK(listed("?hash=" + hash) == V{"Vase/spare/cube copy.stl"});
  CHECK(listed("?tag=small").empty());
  CHECK(listed("?kind=model").size() == 6);  // 6 before, one gone, one new

  // Errors: each says what is wrong, nothing changes.
  struct Bad {
    std::string query;
    int status;
    std::string says;
  } bad[] = {
      {"?kind=weird", 400, "parameter 'kind'"},
      {"?ext=", 400, "parameter 'ext'"},
      {"?ext=tar.gz", 400, "parameter 'ext'"},
      {"?ext=a/b", 400, "parameter 'ext'"},
      {"?hash=xxh3:123", 400, "parameter 'hash'"},
      {"?hash=zz" + hash.substr(7), 400, "parameter 'hash'"},
      {"?project=abc", 400, "parameter 'project'"},
      {"?project=0", 400, "parameter 'project'"},
      {"?project=999999", 404, "no project with id 999999"},
      {"?tag=nosuch", 404, "nosuch"},
      {"?tag=", 400, "parameter 'tag'"},
      {"?limit=0", 400, "parameter 'limit'"},
  };
  const auto before = fx.snapshot();
  for (const auto& b : bad) {
    INFO(b.query);
    auto r = fx.get("/api/v1/assets" + b.query);
    CHECK(r.status == b.status);
    CHECK(r.error_message().find(b.says) != std::string::npos);
  }
  CHECK(fx.snapshot() == before);
}

TEST_CASE("paging through GET /assets gives each file once, and a cursor only fits its own filters") {
  ApiFixture fx;
  const auto whole = fx.get("/api/v1/assets").json["items"];
  for (std::size_t limit : {1u, 2u, 3u, 11u, 12u}) {
    INFO("limit " << limit);
    CHECK(walk_pages(fx, "/api/v1/assets", limit) == std::vector<json>(whole.begin(), whole.end()));
  }
  const auto models = fx.get("/api/v1/assets?kind=model").json["items"];
  CHECK(walk_pages(fx, "/api/v1/assets?kind=model", 4) == std::vector<json>(models.begin(), models.end()));

  auto page = fx.get("/api/v1/assets?kind=model&limit=2");
  REQUIRE(page.json["next_cursor"].is_string());
  const auto cursor = page.json["next_cursor"].get<std::string>();
  CHECK(fx.get("/api/v1/assets?kind=model&limit=2&cursor=" + cursor).status == 200);
  for (const std::string& other : std::vector<std::string>{"/api/v1/assets?kind=image", "/api/v1/assets",
                                                          "/api/v1/assets?kind=model&ext=stl", "/api/v1/projects",
                                                          "/api/v1/projects/" + fx.pid("Benchy") + "/assets"}) {
    INFO(other);
    auto r = fx.get(other + (other.find('?') == std::string::npos ? "?" : "&") + "cursor=" + cursor);
    CHECK(r.status == 400);
    CHECK(r.error_code() == "invalid_argument");
  }
}

TEST_CASE("a project's assets are filtered by extension and by tags too") {
  ApiFixture fx;
  const auto B = fx.pid("Benchy");
  REQUIRE(fx.put("/api/v1/assets/" + fx.aid("Benchy", "images/side.jpg") + "/tags/hull").status == 200);
  REQUIRE(fx.put("/api/v1/assets/" + fx.aid("Benchy", "images/side.jpg") + "/tags/photo").status == 200);
  auto paths = [&](const std::string& q) {
    std::vector<std::string> out;
    auto r = fx.get("/api/v1/projects/" + B + "/assets" + q);
    REQUIRE(r.status == 200);
    for (const auto& a : r.json["items"]) out.push_back(a["path"]);
    return out;
  };
  using V = std::vector<std::string>;
  CHECK(paths("?ext=jpg") == V{"images/side.jpg"});
  CHECK(paths("?ext=png") == V{"images/cover.png"});
  CHECK(paths("?tag=hull") == V{"images/side.jpg", "models/3DBenchy.stl"});
  CHECK(paths("?tag=hull&tag=photo") == V{"images/side.jpg"});
  CHECK(paths("?tag=hull&kind=model") == V{"models/3DBenchy.stl"});
  CHECK(fx.get("/api/v1/projects/" + B + "/assets?tag=nosuch").status == 404);
}
