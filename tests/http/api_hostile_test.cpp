// Nothing a client sends can crash the daemon, escape the library or change
// anything (DESIGN §2.5): malformed and hostile requests each get the right
// status and error envelope, and leave the library on disk, the folder
// beside it and the index exactly as they were.
#include <catch2/catch.hpp>

#include <chrono>

#include "http/api_fixture.h"
#include "index/names.h"

using lima::test::ApiFixture;
using lima::test::body_of;
using lima::test::FixtureOptions;
using lima::test::header_of;
using lima::test::RawConnection;
using lima::test::Reply;
using lima::test::status_of;
using lima::test::url_encode;
using nlohmann::json;
namespace stdfs = std::filesystem;

namespace {

struct Row {
  std::string what;
  std::string method;
  std::string target;
  std::string body;
  std::string content_type;
  httplib::Headers headers;
  int status;
  std::string code;
  std::string header = {};        ///< a header the answer must carry
  std::string header_value = {};  ///< ... with this value, when given
};

// Checks one row's answer: status, envelope, and the extra header.
void check_refusal(const Row& row, const Reply& r) {
  CHECK(r.status == row.status);
  CHECK(r.error_code() == row.code);
  CHECK_FALSE(r.error_message().empty());
  CHECK(r.header("Content-Type").starts_with("application/json"));
  if (!row.header.empty()) CHECK(r.has_header(row.header));
  if (!row.header_value.empty()) CHECK(r.header(row.header) == row.header_value);
}

std::string json_body(const json& j) { return j.dump(); }

}  // namespace

TEST_CASE("malformed and hostile requests are refused with the right status and change nothing") {
  ApiFixture fx;
  const auto B = fx.pid("Benchy");
  const auto model = fx.aid("Benchy", "models/3DBenchy.stl");
  const auto model_id = fx.asset_id("Benchy", "models/3DBenchy.stl");
  const auto dragon_image_id = fx.asset_id("Dragon", "render.png");
  std::string fav;
  {
    auto cols = fx.get("/api/v1/collections");
    REQUIRE(cols.status == 200);
    REQUIRE(cols.json["items"].size() == 1);
    fav = std::to_string(cols.json["items"][0]["id"].get<std::uint64_t>());
  }
  std::string tags_cursor, projects_cursor;
  {
    auto tags = fx.get("/api/v1/tags?limit=1");
    REQUIRE(tags.status == 200);
    REQUIRE(tags.json["next_cursor"].is_string());
    tags_cursor = tags.json["next_cursor"];
    auto projects = fx.get("/api/v1/projects?limit=1");
    REQUIRE(projects.status == 200);
    REQUIRE(projects.json["next_cursor"].is_string());
    projects_cursor = projects.json["next_cursor"];
  }
  const std::string J = "application/json", BIN = "application/octet-stream";
  const std::string content = "/api/v1/assets/" + model + "/content";
  const std::string up = "/api/v1/projects/" + B + "/assets?path=";
  const std::string stl = "solid x\nendsolid x\n";
  const std::string long_tag(256, 't');
  std::string import_with_bad_tag;
  {
    auto exported = fx.get("/api/v1/metadata/export");
    REQUIRE(exported.status == 200);
    REQUIRE(exported.json["projects"].is_array());
    REQUIRE_FALSE(exported.json["projects"].empty());
    auto doc = exported.json;
    doc["projects"][0]["tags"].push_back("line1\nline2");
    import_with_bad_tag = doc.dump();
  }

  const std::vector<Row> rows = {
      // -- bodies that are not what the route reads --
      {"bad JSON", "POST", "/api/v1/collections", "{\"name\":", J, {}, 400, "invalid_argument"},
      {"JSON array, not an object", "POST", "/api/v1/collections", "[1,2]", J, {}, 400, "invalid_argument"},
      {"JSON string, not an object", "POST", "/api/v1/collections", "\"Favs\"", J, {}, 400, "invalid_argument"},
      {"JSON null", "PATCH", "/api/v1/projects/" + B, "null", J, {}, 400, "invalid_argument"},
      {"empty body where an object is required", "POST", "/api/v1/collections", "", J, {}, 400, "invalid_argument"},
      {"name: 5", "POST", "/api/v1/collections", json_body({{"name", 5}}), J, {}, 400, "invalid_argument"},
      {"projects: \"x\"", "POST", "/api/v1/collections", json_body({{"name", "New"}, {"projects", "x"}}), J, {}, 400,
       "invalid_argument"},
      {"projects: [0]", "POST", "/api/v1/collections", json_body({{"name", "New"}, {"projects", {0}}}), J, {}, 400,
       "invalid_argument"},
      {"projects: [-1]", "POST", "/api/v1/collections", json_body({{"name", "New"}, {"projects", {-1}}}), J, {}, 400,
       "invalid_argument"},
      {"projects: unknown id (the new collection is rolled back)", "POST", "/api/v1/collections",
       json_body({{"name", "New"}, {"projects", {99999}}}), J, {}, 404, "not_found"},
      {"unknown field", "POST", "/api/v1/collections", json_body({{"name", "New"}, {"color", "red"}}), J, {}, 400,
       "invalid_argument"},
      {"missing name", "POST", "/api/v1/collections", "{}", J, {}, 400, "invalid_argument"},
      {"empty collection name", "POST", "/api/v1/collections", json_body({{"name", ""}}), J, {}, 400,
       "invalid_argument"},
      {"collection name exists", "POST", "/api/v1/collections", json_body({{"name", "Favourites"}}), J, {}, 409,
       "conflict"},
      {"collection name with '/'", "PATCH", "/api/v1/collections/" + fav, json_body({{"name", "a/b"}}), J, {}, 400,
       "invalid_argument"},
      {"mode: true", "POST", "/api/v1/sync/runs", json_body({{"mode", true}}), J, {}, 400, "invalid_argument"},
      {"unknown mode", "POST", "/api/v1/sync/runs", json_body({{"mode", "fast"}}), J, {}, 400, "invalid_argument"},
      {"scope with ..", "POST", "/api/v1/sync/runs", json_body({{"scope", "Benchy/../.."}}), J, {}, 400,
       "invalid_argument"},
      {"absolute scope", "POST", "/api/v1/sync/runs", json_body({{"scope", "/etc"}}), J, {}, 400,
       "invalid_argument"},
      {"scope that is no folder", "POST", "/api/v1/sync/runs", json_body({{"scope", "Nope"}}), J, {}, 404,
       "not_found"},
      {"scope that is a file", "POST", "/api/v1/sync/runs", json_body({{"scope", "Benchy/README.md"}}), J, {}, 404,
       "not_found"},
      {"scope: 5", "POST", "/api/v1/sync/runs", json_body({{"scope", 5}}), J, {}, 400, "invalid_argument"},
      {"unknown sync field", "POST", "/api/v1/sync/runs", json_body({{"mode", "verify"}, {"force", true}}), J, {}, 400,
       "invalid_argument"},
      {"note: 5", "PATCH", "/api/v1/projects/" + B, json_body({{"note", 5}}), J, {}, 400, "invalid_argument"},
      {"main_image is a model", "PATCH", "/api/v1/projects/" + B, json_body({{"main_image", model_id}}), J, {}, 400,
       "invalid_argument"},
      {"main_image of another project", "PATCH", "/api/v1/projects/" + B,
       json_body({{"main_image", dragon_image_id}}), J, {}, 400, "invalid_argument"},
      {"main_image: \"x\"", "PATCH", "/api/v1/projects/" + B, json_body({{"main_image", "x"}}), J, {}, 400,
       "invalid_argument"},
      {"main_image unknown", "PATCH", "/api/v1/projects/" + B, json_body({{"main_image", 99999}}), J, {}, 404,
       "not_found"},
      {"note and a bad main_image together (nothing half-done)", "PATCH", "/api/v1/projects/" + B,
       json_body({{"note", "half"}, {"main_image", model_id}}), J, {}, 400, "invalid_argument"},
      {"unknown project field", "PATCH", "/api/v1/projects/" + B, json_body({{"tags", {"x"}}}), J, {}, 400,
       "invalid_argument"},
      {"note with NUL", "PATCH", "/api/v1/assets/" + model, json_body({{"note", std::string("a\0b", 3)}}), J, {}, 400,
       "invalid_argument"},
      {"note over 64 KiB", "PATCH", "/api/v1/assets/" + model, json_body({{"note", std::string(65537, 'n')}}), J, {},
       400, "invalid_argument"},
      {"tag rename without name", "PATCH", "/api/v1/tags/pla", "{}", J, {}, 400, "invalid_argument"},
      {"tag rename to empty name", "PATCH", "/api/v1/tags/pla", json_body({{"name", ""}}), J, {}, 400,
       "invalid_argument"},
      {"tag rename onto an existing tag", "PATCH", "/api/v1/tags/pla", json_body({{"name", "boat"}}), J, {}, 409,
       "conflict"},
      {"tag rename to '+x'", "PATCH", "/api/v1/tags/pla", json_body({{"name", "+x"}}), J, {}, 400,
       "invalid_argument"},
      {"rename of an unknown tag", "PATCH", "/api/v1/tags/nosuch", json_body({{"name", "y"}}), J, {}, 404,
       "not_found"},
      {"merge into an empty name", "POST", "/api/v1/tags/pla/merge", json_body({{"into", ""}}), J, {}, 400,
       "invalid_argument"},
      {"merge of an unknown tag", "POST", "/api/v1/tags/nosuch/merge", json_body({{"into", "pla"}}), J, {}, 404,
       "not_found"},
      {"project name with '/'", "POST", "/api/v1/projects", json_body({{"name", "a/b"}}), J, {}, 400,
       "invalid_argument"},
      {"project name ..", "POST", "/api/v1/projects", json_body({{"name", ".."}}), J, {}, 400, "invalid_argument"},
      {"project name .hidden", "POST", "/api/v1/projects", json_body({{"name", ".hidden"}}), J, {}, 400,
       "invalid_argument"},
      {"project name with NUL", "POST", "/api/v1/projects", json_body({{"name", std::string("a\0b", 3)}}), J, {}, 400,
       "invalid_argument"},
      {"project name: 5", "POST", "/api/v1/projects", json_body({{"name", 5}}), J, {}, 400, "invalid_argument"},
      {"project that exists", "POST", "/api/v1/projects", json_body({{"name", "Benchy"}}), J, {}, 409, "conflict"},
      {"reorder that is not a permutation", "PUT", "/api/v1/collections/" + fav + "/order",
       json_body({{"projects", {std::stoull(B)}}}), J, {}, 400, "invalid_argument"},
      {"reorder with a repeat", "PUT", "/api/v1/collections/" + fav + "/order",
       json_body({{"projects", {std::stoull(B), std::stoull(B)}}}), J, {}, 400, "invalid_argument"},
      {"reorder without projects", "PUT", "/api/v1/collections/" + fav + "/order", "{}", J, {}, 400,
       "invalid_argument"},
      {"import of something else", "POST", "/api/v1/metadata/import", json_body({{"format", "other"}}), J, {}, 400,
       "invalid_argument"},
      {"import of a newer version", "POST", "/api/v1/metadata/import",
       json_body({{"format", "limafs-metadata"}, {"version", 99}}), J, {}, 400, "invalid_argument"},
      {"import of bad JSON", "POST", "/api/v1/metadata/import", "{\"format\":", J, {}, 400, "invalid_argument"},
      {"a body where none is taken", "PUT", "/api/v1/projects/" + B + "/tags/newtag", "{}", J, {}, 400,
       "invalid_argument"},
      {"import with a tag named with a newline", "POST", "/api/v1/metadata/import", import_with_bad_tag, J, {}, 400,
       "invalid_argument"},

      // -- new names with control characters or only white space --
      {"tag rename to two lines", "PATCH", "/api/v1/tags/pla", json_body({{"name", "line1\nline2"}}), J, {}, 400,
       "invalid_argument"},
      {"tag rename to spaces", "PATCH", "/api/v1/tags/pla", json_body({{"name", "   "}}), J, {}, 400,
       "invalid_argument"},
      {"merge into a name with a tab", "POST", "/api/v1/tags/pla/merge", json_body({{"into", "a\tb"}}), J, {}, 400,
       "invalid_argument"},
      {"collection named with a newline", "POST", "/api/v1/collections", json_body({{"name", "a\nb"}}), J, {}, 400,
       "invalid_argument"},
      {"collection named with ESC", "POST", "/api/v1/collections", json_body({{"name", "red\x1b[31m"}}), J, {}, 400,
       "invalid_argument"},
      {"collection renamed to a no-break space", "PATCH", "/api/v1/collections/" + fav,
       json_body({{"name", "\xc2\xa0"}}), J, {}, 400, "invalid_argument"},
      {"project folder \"\\n\"", "POST", "/api/v1/projects", json_body({{"name", "\n"}}), J, {}, 400,
       "invalid_argument"},
      {"project folder \" \"", "POST", "/api/v1/projects", json_body({{"name", " "}}), J, {}, 400,
       "invalid_argument"},
      {"project folder with a leading space", "POST", "/api/v1/projects", json_body({{"name", " Boat"}}), J, {}, 400,
       "invalid_argument"},
      {"project folder with a trailing space", "POST", "/api/v1/projects", json_body({{"name", "Boat "}}), J, {}, 400,
       "invalid_argument"},

      // -- tag names in paths --
      {"tag with a newline (%0A)", "PUT", "/api/v1/projects/" + B + "/tags/line1%0Aline2", "", "", {}, 400,
       "invalid_argument"},
      {"asset tag with a C1 control", "PUT", "/api/v1/assets/" + model + "/tags/x%C2%85", "", "", {}, 400,
       "invalid_argument"},
      {"tag of spaces", "PUT", "/api/v1/projects/" + B + "/tags/%20%20", "", "", {}, 400, "invalid_argument"},
      {"tag with '/' (%2F)", "PUT", "/api/v1/projects/" + B + "/tags/a%2Fb", "", "", {}, 400, "invalid_argument"},
      {"tag with '/' on an asset", "PUT", "/api/v1/assets/" + model + "/tags/a%2Fb", "", "", {}, 400,
       "invalid_argument"},
      {"tag with NUL (%00)", "PUT", "/api/v1/projects/" + B + "/tags/a%00b", "", "", {}, 400, "invalid_argument"},
      {"tag starting with '+'", "PUT", "/api/v1/projects/" + B + "/tags/%2Bx", "", "", {}, 400, "invalid_argument"},
      {"tag ..", "PUT", "/api/v1/projects/" + B + "/tags/%2E%2E", "", "", {}, 400, "invalid_argument"},
      {"tag .", "PUT", "/api/v1/projects/" + B + "/tags/.", "", "", {}, 400, "invalid_argument"},
      {"tag of 256 bytes", "PUT", "/api/v1/projects/" + B + "/tags/" + long_tag, "", "", {}, 400,
       "invalid_argument"},
      {"tag that is not UTF-8", "PUT", "/api/v1/projects/" + B + "/tags/%FF%FE", "", "", {}, 400,
       "invalid_argument"},
      {"untag with '/'", "DELETE", "/api/v1/projects/" + B + "/tags/a%2Fb", "", "", {}, 400, "invalid_argument"},
      {"delete tag '+x'", "DELETE", "/api/v1/tags/%2Bx", "", "", {}, 400, "invalid_argument"},
      {"delete an unknown tag", "DELETE", "/api/v1/tags/nosuch", "", "", {}, 404, "not_found"},
      {"filter by an empty tag", "GET", "/api/v1/projects?tag=", "", "", {}, 400, "invalid_argument"},
      {"filter by an unknown tag", "GET", "/api/v1/projects?tag=nosuch", "", "", {}, 404, "not_found"},
      {"filter by an unknown collection", "GET", "/api/v1/projects?collection=nosuch", "", "", {}, 404,
       "not_found"},

      // -- ids --
      {"unknown project", "GET", "/api/v1/projects/99999", "", "", {}, 404, "not_found"},
      {"unknown asset", "GET", "/api/v1/assets/99999", "", "", {}, 404, "not_found"},
      {"unknown collection", "GET", "/api/v1/collections/99999", "", "", {}, 404, "not_found"},
      {"unknown run", "GET", "/api/v1/sync/runs/99999", "", "", {}, 404, "not_found"},
      {"unknown asset's content", "GET", "/api/v1/assets/99999/content", "", "", {}, 404, "not_found"},
      {"assets of an unknown project", "GET", "/api/v1/projects/99999/assets", "", "", {}, 404, "not_found"},
      {"tagging an unknown project (no tag is created)", "PUT", "/api/v1/projects/99999/tags/ghost", "", "", {}, 404,
       "not_found"},
      {"tagging an unknown asset", "PUT", "/api/v1/assets/99999/tags/ghost", "", "", {}, 404, "not_found"},
      {"note on an unknown project", "PATCH", "/api/v1/projects/99999", json_body({{"note", "x"}}), J, {}, 404,
       "not_found"},
      {"adding an unknown project to a collection", "PUT", "/api/v1/collections/" + fav + "/projects/99999", "", "",
       {}, 404, "not_found"},
      {"deleting an unknown collection", "DELETE", "/api/v1/collections/99999", "", "", {}, 404, "not_found"},
      {"project id abc", "GET", "/api/v1/projects/abc", "", "", {}, 400, "invalid_argument"},
      {"project id 0", "GET", "/api/v1/projects/0", "", "", {}, 400, "invalid_argument"},
      {"project id -1", "GET", "/api/v1/projects/-1", "", "", {}, 400, "invalid_argument"},
      {"project id over 64 bits", "GET", "/api/v1/projects/99999999999999999999999", "", "", {}, 400,
       "invalid_argument"},
      {"project id 1x", "GET", "/api/v1/projects/1x", "", "", {}, 400, "invalid_argument"},
      {"asset id abc", "GET", "/api/v1/assets/abc", "", "", {}, 400, "invalid_argument"},
      {"collection id 0", "GET", "/api/v1/collections/0", "", "", {}, 400, "invalid_argument"},
      {"run id -1", "GET", "/api/v1/sync/runs/-1", "", "", {}, 400, "invalid_argument"},
      {"content of asset abc", "GET", "/api/v1/assets/abc/content", "", "", {}, 400, "invalid_argument"},

      // -- pages --
      {"limit 0", "GET", "/api/v1/projects?limit=0", "", "", {}, 400, "invalid_argument"},
      {"limit 1001", "GET", "/api/v1/projects?limit=1001", "", "", {}, 400, "invalid_argument"},
      {"limit x", "GET", "/api/v1/projects?limit=x", "", "", {}, 400, "invalid_argument"},
      {"limit -1", "GET", "/api/v1/tags?limit=-1", "", "", {}, 400, "invalid_argument"},
      {"garbage cursor", "GET", "/api/v1/projects?cursor=%21%21garbage%21%21", "", "", {}, 400, "invalid_argument"},
      {"undecodable-looking cursor", "GET", "/api/v1/collections?cursor=AAAA", "", "", {}, 400, "invalid_argument"},
      {"a cursor of the tag list on projects", "GET", "/api/v1/projects?cursor=" + tags_cursor, "", "", {}, 400,
       "invalid_argument"},
      {"a cursor of the project list on runs", "GET", "/api/v1/sync/runs?cursor=" + projects_cursor, "", "", {}, 400,
       "invalid_argument"},
      {"unknown asset kind", "GET", "/api/v1/projects/" + B + "/assets?kind=weird", "", "", {}, 400,
       "invalid_argument"},

      // -- sizes and media types --
      {"Content-Length over 1 MiB", "POST", "/api/v1/collections", "{}", J, {{"Content-Length", "2000000"}}, 413,
       "payload_too_large"},
      {"text/plain on a JSON route", "POST", "/api/v1/collections", json_body({{"name", "New"}}), "text/plain", {},
       415, "unsupported_media_type"},
      {"multipart on a JSON route", "POST", "/api/v1/collections",
       "--xyz\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nNew\r\n--xyz--\r\n",
       "multipart/form-data; boundary=xyz", {}, 415, "unsupported_media_type"},
      {"text/plain on PATCH", "PATCH", "/api/v1/projects/" + B, json_body({{"note", "x"}}), "text/plain", {}, 415,
       "unsupported_media_type"},
      {"multipart on the upload route (the body would be a form, not the file)", "POST", up + "new.stl",
       "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"new.stl\"\r\n\r\nsolid\r\n--xyz--\r\n",
       "multipart/form-data; boundary=xyz", {}, 415, "unsupported_media_type"},

      // -- routes --
      {"request line over 8 KiB", "GET", "/api/v1/projects?q=" + std::string(9000, 'q'), "", "", {}, 414,
       "invalid_argument"},
      {"header over 8 KiB", "GET", "/api/v1/status", "", "", {{"X-Junk", std::string(9000, 'j')}}, 400,
       "invalid_argument"},
      {"unknown route", "GET", "/api/v1/nope", "", "", {}, 404, "not_found"},
      {"unknown API version", "GET", "/api/v2/status", "", "", {}, 404, "not_found"},
      {"POST to an unknown route", "POST", "/api/v1/nope", "{}", J, {}, 404, "not_found"},
      {"DELETE on status", "DELETE", "/api/v1/status", "", "", {}, 405, "method_not_allowed", "Allow", "GET"},
      {"POST on a project", "POST", "/api/v1/projects/" + B, "{}", J, {}, 405, "method_not_allowed", "Allow",
       "GET, PATCH"},
      {"PUT on search", "PUT", "/api/v1/search?q=x", "", "", {}, 405, "method_not_allowed", "Allow", "GET"},

      // -- ranges --
      {"range past the end", "GET", content, "", "", {{"Range", "bytes=999999999-"}}, 416, "range_not_satisfiable",
       "Content-Range", "bytes */3000"},
      {"range bytes=abc", "GET", content, "", "", {{"Range", "bytes=abc"}}, 416, "range_not_satisfiable"},
      {"range that ends before it starts", "GET", content, "", "", {{"Range", "bytes=5-2"}}, 416,
       "range_not_satisfiable"},
      {"empty suffix range", "GET", content, "", "", {{"Range", "bytes=-0"}}, 416, "range_not_satisfiable"},

      // -- search --
      {"search without q", "GET", "/api/v1/search", "", "", {}, 400, "invalid_argument"},
      {"search for punctuation only", "GET", "/api/v1/search?q=%21%3F%2A%20-%20%22", "", "", {}, 400,
       "invalid_query"},
      {"search for nothing", "GET", "/api/v1/search?q=", "", "", {}, 400, "invalid_query"},
      {"project filter q of punctuation", "GET", "/api/v1/projects?q=%2E%2E%2E", "", "", {}, 400,
       "invalid_query"},

      // -- uploads --
      {"upload path with ..", "POST", up + url_encode("../escape.stl"), stl, BIN, {}, 400, "invalid_argument"},
      {"upload path with .. inside", "POST", up + url_encode("models/../../x.stl"), stl, BIN, {}, 400,
       "invalid_argument"},
      {"absolute upload path", "POST", up + url_encode("/tmp/x.stl"), stl, BIN, {}, 400, "invalid_argument"},
      {"empty upload path", "POST", up, stl, BIN, {}, 400, "invalid_argument"},
      {"no upload path", "POST", "/api/v1/projects/" + B + "/assets", stl, BIN, {}, 400, "invalid_argument"},
      {"upload through a symlink leading outside", "POST", up + url_encode("escape/pwned.stl"), stl, BIN, {}, 400,
       "invalid_argument"},
      {"upload through a symlink into a new folder", "POST", up + url_encode("escape/new/pwned.stl"), stl, BIN, {},
       400, "invalid_argument"},
      {"upload onto the symlink itself", "POST", up + url_encode("escape") + "&overwrite=true", stl, BIN, {}, 400,
       "invalid_argument"},
      {"upload onto an existing file", "POST", up + url_encode("models/3DBenchy.stl"), stl, BIN, {}, 409, "conflict"},
      {"upload onto a folder", "POST", up + url_encode("models") + "&overwrite=true", stl, BIN, {}, 409, "conflict"},
      {"upload through a file", "POST", up + url_encode("README.md/x.stl"), stl, BIN, {}, 400, "invalid_argument"},
      {"upload to a dot-name", "POST", up + url_encode(".hidden"), stl, BIN, {}, 400, "invalid_argument"},
      {"upload into a dot-folder", "POST", up + url_encode("new/.git/x.stl"), stl, BIN, {}, 400, "invalid_argument"},
      {"upload as a partial download", "POST", up + url_encode("x.stl.part"), stl, BIN, {}, 400, "invalid_argument"},
      {"upload path with //", "POST", up + url_encode("new//x.stl"), stl, BIN, {}, 400, "invalid_argument"},
      {"upload path ending in /", "POST", up + url_encode("new/"), stl, BIN, {}, 400, "invalid_argument"},
      {"upload path with NUL", "POST", up + "a%00b.stl", stl, BIN, {}, 400, "invalid_argument"},
      {"upload name over 255 bytes", "POST", up + std::string(256, 'n') + ".stl", stl, BIN, {}, 400,
       "invalid_argument"},
      {"upload with overwrite=maybe", "POST", up + "new.stl&overwrite=maybe", stl, BIN, {}, 400, "invalid_argument"},
      {"upload to an unknown project", "POST", "/api/v1/projects/99999/assets?path=x.stl", stl, BIN, {}, 404,
       "not_found"},
      {"upload to project abc", "POST", "/api/v1/projects/abc/assets?path=x.stl", stl, BIN, {}, 400,
       "invalid_argument"},
  };
  REQUIRE(rows.size() >= 45);

  const auto before = fx.snapshot();
  for (const auto& row : rows) {
    INFO(row.what << ": " << row.method << " " << row.target.substr(0, 200));
    const auto r = fx.request(row.method, row.target, row.body, row.content_type, row.headers);
    INFO("answer: " << r.status << " " << r.body.substr(0, 300) << " (transport: " << httplib::to_string(r.error)
                    << ")");
    check_refusal(row, r);
    const auto after = fx.snapshot();
    INFO(lima::test::describe_difference(before, after));
    CHECK(after == before);
  }
  // The daemon is still there and well.
  CHECK(fx.get("/api/v1/healthz").status == 200);
}

TEST_CASE("uploads over the configured limit are refused and leave nothing on disk") {
  FixtureOptions o;
  o.api.upload_limit = 1000;
  ApiFixture fx(o);
  const auto B = fx.pid("Benchy");
  const auto target = [&](const std::string& path) {
    return "/api/v1/projects/" + B + "/assets?path=" + url_encode(path);
  };
  const auto before = fx.snapshot();

  SECTION("announced by Content-Length") {
    auto r = fx.upload(target("newdir/sub/big.stl"), std::string(1001, 'x'));
    CHECK(r.status == 413);
    CHECK(r.error_code() == "payload_too_large");
    const auto after = fx.snapshot();
    INFO(lima::test::describe_difference(before, after));
    CHECK(after == before);
  }

  SECTION("streamed in chunks without a length") {
    auto c = fx.new_client();
    const std::string chunk(700, 'y');
    int sent = 0;
    auto res = c->Post(
        target("newdir/sub/big.stl"), httplib::Headers{},
        [&](std::size_t, httplib::DataSink& sink) {
          if (sent++ < 8) return sink.write(chunk.data(), chunk.size());
          sink.done();
          return true;
        },
        "application/octet-stream");
    REQUIRE(res);
    CHECK(res->status == 413);
    CHECK(json::parse(res->body, nullptr, false)["error"]["code"] == "payload_too_large");
    // The server has answered: its cleanup is done. Folders and the temp
    // file it made are gone (a folder's mtime may tell they were there).
    const auto after = fx.snapshot();
    INFO(lima::test::describe_difference(before, after));
    CHECK(lima::test::without_dir_mtimes(after.library) == lima::test::without_dir_mtimes(before.library));
    CHECK(after.outside == before.outside);
    CHECK(after.index == before.index);
    CHECK_FALSE(stdfs::exists(fx.root() / "Benchy/newdir"));
  }

  SECTION("exactly at the limit is fine") {
    auto r = fx.upload(target("at-limit.stl"), std::string(1000, 'z'));
    CHECK(r.status == 201);
    CHECK(lima::test::read_file(fx.root() / "Benchy/at-limit.stl") == std::string(1000, 'z'));
  }
}

namespace {

// A request sent as raw bytes, and the answer it must get.
struct RawRow {
  std::string what;
  std::string request;
  int status;
  std::string code;
  std::string message_has;  ///< a piece of the message saying what is wrong
  bool stop_sending = false;  ///< shut the sending side after the request
  bool ends_connection = true;  ///< the rest cannot be read as a request: "Connection: close"
};

std::string head(const std::string& request_line, const std::string& headers = {}) {
  return request_line + "\r\nHost: 127.0.0.1\r\n" + headers + "\r\n";
}

}  // namespace

TEST_CASE("malformed HTTP is answered at once with the right status, and the connection then ends") {
  ApiFixture fx;
  const auto B = fx.pid("Benchy");
  const std::string J = "Content-Type: application/json\r\n";
  const std::string new_collection = "{\"name\":\"Sneaky\"}";  // 17 bytes
  const std::string chunked = J + "Transfer-Encoding: chunked\r\n";

  const std::vector<RawRow> rows = {
      // -- request lines --
      {"a garbage request line", "GARBAGE\r\n\r\n", 400, "invalid_argument", "METHOD TARGET HTTP/1.1"},
      {"HTTP/2.0", head("GET /api/v1/status HTTP/2.0"), 400, "invalid_argument",
       "only HTTP/1.0 and HTTP/1.1 are served, not 'HTTP/2.0'"},
      {"the HTTP/2 connection preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, "invalid_argument",
       "only HTTP/1.0 and HTTP/1.1 are served"},
      {"HTTP/0.9", "GET /api/v1/status\r\n\r\n", 400, "invalid_argument", "METHOD TARGET HTTP/1.1"},
      {"an unknown method", head("BREW /api/v1/status HTTP/1.1"), 400, "invalid_argument", "unknown method 'BREW'"},
      {"binary junk without a newline (a TLS hello)", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),
       400, "invalid_argument", "control byte 0x16"},
      {"binary junk with NUL bytes", std::string("GET /\0\0\0\xff\xfe", 10), 400, "invalid_argument",
       "control byte 0x00"},
      {"a CR inside the request line", "GET /api/v1/status\rHTTP/1.1\r\n\r\n", 400, "invalid_argument",
       "CR that is not followed by LF"},
      {"a request line over 8 KiB that never ends", "GET /" + std::string(9000, 'a'), 414, "invalid_argument",
       "too long"},
      {"a NUL in the path (%00)", head("GET /api/v1/status%00 HTTP/1.1"), 400, "invalid_argument", "NUL", false,
       false},
      {"a NUL in a tag (%00)", head("PUT /api/v1/projects/" + B + "/tags/a%00b HTTP/1.1"), 400, "invalid_argument",
       "NUL", false, false},
      {"headers over 64 KiB in all",
       [] {
         std::string h;
         for (int i = 0; i < 80; ++i) h += "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'f') + "\r\n";
         return head("GET /api/v1/status HTTP/1.1", h);
       }(),
       400, "invalid_argument", "headers are over 64 KiB"},

      // -- body framing --
      {"Content-Length: abc", head("POST /api/v1/collections HTTP/1.1", J + "Content-Length: abc\r\n") + new_collection,
       400, "invalid_argument", "Content-Length must be a number of bytes (digits only), not 'abc'"},
      {"Content-Length: 0x10", head("POST /api/v1/collections HTTP/1.1", J + "Content-Length: 0x10\r\n") + new_collection,
       400, "invalid_argument", "not '0x10'"},
      {"Content-Length: -1", head("POST /api/v1/collections HTTP/1.1", J + "Content-Length: -1\r\n") + new_collection,
       400, "invalid_argument", "not '-1'"},
      {"Content-Length: 17 with a sign", head("POST /api/v1/collections HTTP/1.1", J + "Content-Length: +17\r\n") +
       new_collection, 400, "invalid_argument", "not '+17'"},
      {"two Content-Lengths that differ",
       head("POST /api/v1/collections HTTP/1.1", J + "Content-Length: 17\r\nContent-Length: 2\r\n") + new_collection,
       400, "invalid_argument", "several Content-Length headers"},
      {"Content-Length: abc on a route without a body", head("GET /api/v1/status HTTP/1.1", "Content-Length: abc\r\n"),
       400, "invalid_argument", "digits only"},
      {"Transfer-Encoding: gzip", head("POST /api/v1/collections HTTP/1.1", J + "Transfer-Encoding: gzip\r\n"), 400,
       "invalid_argument", "only 'Transfer-Encoding: chunked' is understood"},
      {"chunked and a Content-Length",
       head("POST /api/v1/collections HTTP/1.1", chunked + "Content-Length: 17\r\n") + "11\r\n" + new_collection +
           "\r\n0\r\n\r\n",
       400, "invalid_argument", "not both"},
      {"a chunk size of -5", head("POST /api/v1/collections HTTP/1.1", chunked) + "-5\r\n" + new_collection,
       400, "invalid_argument", "a chunk size must be hex digits, not '-'"},
      {"a chunk size of 0x11", head("POST /api/v1/collections HTTP/1.1", chunked) + "0x11\r\n" + new_collection,
       400, "invalid_argument", "chunked body is malformed"},
      {"a chunk longer than its size", head("POST /api/v1/collections HTTP/1.1", chunked) + "5\r\n" + new_collection,
       400, "invalid_argument", "a chunk's data is longer than its size"},
      {"a chunk size line without its end", head("POST /api/v1/collections HTTP/1.1", chunked) + "11\rxx",
       400, "invalid_argument", "does not end in CRLF"},
      {"a gzip body that is not gzip",
       head("POST /api/v1/collections HTTP/1.1", J + "Content-Encoding: gzip\r\nContent-Length: 17\r\n") +
           new_collection,
       400, "invalid_argument", "(Content-Encoding: gzip) is corrupt"},
      {"a body shorter than its Content-Length, then no more",
       head("POST /api/v1/collections HTTP/1.1", J + "Content-Length: 100\r\n") + new_collection, 400,
       "invalid_argument", "ends before its Content-Length of 100 bytes (17 arrived)", /*stop_sending=*/true},
      {"a chunked body that stops before its last chunk",
       head("POST /api/v1/collections HTTP/1.1", chunked) + "11\r\n" + new_collection + "\r\n", 400,
       "invalid_argument", "chunked body", /*stop_sending=*/true},

      // -- declared lengths over the limit: refused before the body --
      {"a 2 MB JSON body", head("POST /api/v1/collections HTTP/1.1", J + "Content-Length: 2000000\r\n"), 413,
       "payload_too_large", "limit here is 1048576"},
      {"a 300 MB import", head("POST /api/v1/metadata/import HTTP/1.1", J + "Content-Length: 314572800\r\n"), 413,
       "payload_too_large", "the request body is 314572800 bytes; the limit here is 268435456"},
      {"a 5 GiB upload", head("POST /api/v1/projects/" + B + "/assets?path=big.stl HTTP/1.1",
                              "Content-Type: application/octet-stream\r\nContent-Length: 5368709120\r\n"),
       413, "payload_too_large", "the limit here is 4294967296"},
      {"a length of 30 digits",
       head("POST /api/v1/collections HTTP/1.1", J + "Content-Length: " + std::string(30, '9') + "\r\n"), 413,
       "payload_too_large", "the request body is " + std::string(30, '9') + " bytes"},
  };

  const auto before = fx.snapshot();
  for (const auto& row : rows) {
    INFO(row.what << ": " << lima::index::printable(row.request.substr(0, 200)));
    RawConnection c(fx.port());
    const auto start = std::chrono::steady_clock::now();
    REQUIRE(c.send(row.request));
    if (row.stop_sending) c.shutdown_write();
    const auto response = c.read_response(10'000);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    INFO("answer after " << ms << " ms: " << response);
    CHECK(status_of(response) == row.status);
    const auto body = body_of(response);
    REQUIRE(body.is_object());
    CHECK(body["error"]["code"] == row.code);
    CHECK(body["error"]["message"].get<std::string>().find(row.message_has) != std::string::npos);
    // At once: long before httplib's read timeout (5 s) would have ended the wait.
    CHECK(ms < 2000);
    if (row.ends_connection) {
      // The rest of what was sent cannot be read as a request: the connection ends.
      CHECK(header_of(response, "Connection") == "close");
      CHECK(c.drain(3000).ends_with("<EOF>"));
    }
    const auto after = fx.snapshot();
    INFO(lima::test::describe_difference(before, after));
    CHECK(after == before);
  }
  CHECK(fx.get("/api/v1/healthz").status == 200);
}

TEST_CASE("a body shorter than its Content-Length is refused and changes nothing, also when the client waits") {
  ApiFixture fx;
  const auto before = fx.snapshot();
  RawConnection c(fx.port());
  REQUIRE(c.send(head("POST /api/v1/collections HTTP/1.1", "Content-Type: application/json\r\nContent-Length: 100\r\n") +
                 "{\"name\":\"Sneaky\"}"));
  // The rest never comes; the server gives up after its read timeout (5 s).
  const auto response = c.read_response(15'000);
  INFO(response);
  CHECK(status_of(response) == 400);
  CHECK(body_of(response)["error"]["code"] == "invalid_argument");
  CHECK(header_of(response, "Connection") == "close");
  CHECK(fx.snapshot() == before);
  CHECK(fx.get("/api/v1/collections").json["items"].size() == 1);
}
