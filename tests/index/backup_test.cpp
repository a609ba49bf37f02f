#include <catch2/catch.hpp>

#include <thread>

#include "index/backup.h"
#include "index/metadata.h"
#include "index/names.h"
#include "index/records_json.h"
#include "index/saved_searches.h"
#include "index/sync.h"
#include "support/indexed_library.h"
#include "test_support.h"

using namespace lima::index;
using lima::test::random_bytes;
using lima::test::TempDir;
using lima::test::write_file;
using nlohmann::json;
namespace stdfs = std::filesystem;

namespace {

// A library on disk and its index, which can be thrown away and rebuilt.
struct Lib : lima::test::IndexedLibrary {
  Lib() {
    write_file(root / "Benchy/models/3DBenchy.stl", random_bytes(3000, 1));
    write_file(root / "Benchy/images/cover.png", random_bytes(2000, 2));
    write_file(root / "Benchy/images/side.png", random_bytes(2100, 3));
    write_file(root / "Dragon/dragon.stl", random_bytes(5000, 4));
    write_file(root / "Dragon/parts/wing.stl", random_bytes(4000, 5));
    write_file(root / "Dragon/README.md", "# Dragon\n");
    write_file(root / "Cube/cube.stl", random_bytes(1000, 6));
    sync();
  }
  /// Forgets the index entirely (the state dir goes) and indexes the library again.
  void rebuild() {
    forget_index();
    sync();
  }
  void sync() { REQUIRE(sync_with({}).status == RunStatus::ok); }
  ProjectId project(const std::string& name) {
    auto id = project_id_of(name);
    REQUIRE(id);
    return *id;
  }
  AssetId asset(const std::string& project_name, const std::string& path) {
    project(project_name);
    auto id = asset_id_of(project_name, path);
    REQUIRE(id);
    return *id;
  }
  template <class F>
  void write(F f) {
    cat->write([&](WriteTxn& t) { f(t); });
  }
  /// The export without its time stamp.
  json exported() {
    ReadTxn t(cat->env());
    json j = export_metadata(*cat, t);
    j.erase("exported_at");
    return j;
  }
};

// The metadata the round trip carries.
void annotate(Lib& lib) {
  Metadata md(*lib.cat);
  const ProjectId benchy = lib.project("Benchy"), dragon = lib.project("Dragon"), cube = lib.project("Cube");
  const AssetId hull = lib.asset("Benchy", "models/3DBenchy.stl"), wing = lib.asset("Dragon", "parts/wing.stl");
  const AssetId side = lib.asset("Benchy", "images/side.png");
  lib.write([&](WriteTxn& t) {
    REQUIRE(md.tag_project(t, benchy, "pla"));
    REQUIRE(md.tag_project(t, benchy, "boat"));
    REQUIRE(md.tag_project(t, dragon, "fantasy"));
    REQUIRE(md.tag_asset(t, hull, "calibration"));
    REQUIRE(md.tag_asset(t, wing, "wing"));
    REQUIRE(md.create_tag(t, "unused"));
    auto fav = md.create_collection(t, "Favourites");
    REQUIRE(fav);
    for (ProjectId p : {dragon, benchy, cube}) REQUIRE(md.add_to_collection(t, *fav, p));
    REQUIRE(md.create_collection(t, "Empty"));
    REQUIRE(md.set_note(t, {NoteTarget::Type::project, dragon}, "print at 0.12"));
    REQUIRE(md.set_note(t, {NoteTarget::Type::asset, wing}, "needs supports\nü"));
    REQUIRE(md.set_main_image(t, benchy, side));  // not the auto-pick (cover.png)
    SavedSearches saved(*lib.cat);
    REQUIRE(saved.put_new(t, {"petg todo", "tag:petg -tag:printed", 1'763'781'255'926'000'000}));
    REQUIRE(saved.create(t, "boats", "boat"));
  });
}

std::vector<SavedSearch> saved_searches(Lib& lib) {
  ReadTxn t(lib.cat->env());
  return SavedSearches(*lib.cat).list(t);
}

std::vector<std::string> member_names(Lib& lib, const std::string& collection) {
  Metadata md(*lib.cat);
  ReadTxn t(lib.cat->env());
  auto c = md.collection_by_name(t, collection);
  REQUIRE(c);
  std::vector<std::string> out;
  for (ProjectId p : c->projects) out.push_back(lib.cat->project(t, p)->name);
  return out;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

bool no_changes(const ImportReport& r) {
  return r.tags_created + r.tags_added + r.notes_set + r.main_images_set + r.collections_created + r.members_added +
             r.searches_created + r.searches_changed ==
         0;
}

}  // namespace

TEST_CASE("backup: metadata survives a lost index and renamed folders", "[backup]") {
  Lib lib;
  annotate(lib);
  const json before = lib.exported();
  CHECK(before["format"] == "limafs-metadata");
  CHECK(before["version"] == 1);
  CHECK(before["tags"] == json{"boat", "calibration", "fantasy", "pla", "unused", "wing"});
  CHECK(before["projects"].size() == 3);  // Cube is there as a collection member
  CHECK(before["assets"].size() == 2);
  CHECK(before["projects"][0]["main_image"]["path"] == "images/side.png");
  CHECK_FALSE(before["projects"][1].contains("note"));  // Cube: empty fields are left out
  CHECK(before["searches"] == json::parse(R"([{"name": "boats", "query": "boat", "created": ")" +
                                          before["searches"][0]["created"].get<std::string>() +
                                          R"("}, {"name": "petg todo", "query": "tag:petg -tag:printed",
                                                   "created": "2025-11-22T03:14:15.926Z"}])"));
  {
    ReadTxn t(lib.cat->env());
    json again = export_metadata(*lib.cat, t);
    again.erase("exported_at");
    CHECK(dump_json(again) == dump_json(before));  // deterministic
  }

  // The index is lost; meanwhile a folder was renamed and a file moved.
  stdfs::create_directories(lib.root / "Dragon/wings");
  stdfs::rename(lib.root / "Dragon/parts/wing.stl", lib.root / "Dragon/wings/wing.stl");
  stdfs::rename(lib.root / "Dragon", lib.root / "Dragon (2024)");
  lib.rebuild();
  CHECK(lib.exported()["projects"].empty());
  CHECK(saved_searches(lib).empty());

  auto report = import_metadata(*lib.cat, before);
  REQUIRE(report);
  CHECK(report->projects_matched == 3);
  CHECK(report->projects_unmatched == 0);
  CHECK(report->assets_matched == 2);
  CHECK(report->assets_unmatched == 0);
  CHECK(report->unmatched.empty());
  CHECK(report->tags_created == 6);
  CHECK(report->tags_added == 5);
  CHECK(report->notes_set == 2);
  CHECK(report->main_images_set == 1);
  CHECK(report->collections_created == 2);
  CHECK(report->members_added == 3);
  CHECK(report->searches_created == 2);
  CHECK(report->searches_changed == 0);

  Metadata md(*lib.cat);
  const ProjectId benchy = lib.project("Benchy"), dragon = lib.project("Dragon (2024)");
  const AssetId wing = lib.asset("Dragon (2024)", "wings/wing.stl");
  {
    ReadTxn t(lib.cat->env());
    CHECK(md.project_tags(t, benchy) == std::vector<std::string>{"boat", "pla"});
    CHECK(md.project_tags(t, dragon) == std::vector<std::string>{"fantasy"});
    CHECK(md.asset_tags(t, lib.cat->asset_id_by_path(t, benchy, "models/3DBenchy.stl").value()) ==
          std::vector<std::string>{"calibration"});
    CHECK(md.asset_tags(t, wing) == std::vector<std::string>{"wing"});
    CHECK(md.tag_id(t, "unused"));
    CHECK(md.note(t, {NoteTarget::Type::project, dragon}) == "print at 0.12");
    CHECK(md.note(t, {NoteTarget::Type::asset, wing}) == "needs supports\nü");
    CHECK(md.main_image_is_chosen(t, benchy));
    CHECK(md.main_image(t, benchy) == lib.cat->asset_id_by_path(t, benchy, "images/side.png"));
  }
  CHECK(member_names(lib, "Favourites") == std::vector<std::string>{"Dragon (2024)", "Benchy", "Cube"});
  CHECK(member_names(lib, "Empty").empty());
  const auto searches = saved_searches(lib);
  REQUIRE(searches.size() == 2);
  CHECK(searches[1].name == "petg todo");
  CHECK(searches[1].query == "tag:petg -tag:printed");
  CHECK(searches[1].created_ns == 1'763'781'255'926'000'000);  // the exported time, to the millisecond

  // Importing again changes nothing, and the index exports what it imported.
  auto second = import_metadata(*lib.cat, before);
  REQUIRE(second);
  CHECK(no_changes(*second));
  CHECK(second->projects_matched == 3);
  std::string after = dump_json(lib.exported());
  replace_all(after, "Dragon (2024)", "Dragon");
  replace_all(after, "wings/wing.stl", "parts/wing.stl");
  CHECK(after == dump_json(before));
}

TEST_CASE("backup: an invalid document is refused whole, naming the field", "[backup]") {
  Lib lib;
  annotate(lib);
  const json good = lib.exported();
  REQUIRE(good["projects"][0]["name"] == "Benchy");

  auto expect_refused = [&](json doc, const std::string& message) {
    INFO(message);
    // A valid change ahead of the bad field must not be written either.
    if (doc.is_object() && doc.contains("projects") && doc["projects"].is_array() && doc["projects"][0].is_object())
      doc["projects"][0]["tags"].push_back("would-be-added");
    auto r = import_metadata(*lib.cat, doc);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::invalid_argument);
    CHECK(r.error().message == message);
    CHECK(dump_json(lib.exported()) == dump_json(good));
  };
  auto with = [&](const json::json_pointer& at, json value) {
    json doc = good;
    doc[at] = std::move(value);
    return doc;
  };
  expect_refused(json::array(), "document: must be an object");
  expect_refused(with("/format"_json_pointer, "something-else"), "format: must be \"limafs-metadata\"");
  expect_refused(with("/version"_json_pointer, 2), "version: unsupported version 2 (this limafs reads version 1)");
  expect_refused(with("/version"_json_pointer, "1"), "version: missing or not an integer");
  expect_refused(with("/collections"_json_pointer, json::object()), "collections: must be an array");
  expect_refused(with("/projects/1/tags"_json_pointer, "pla"), "projects[1].tags: must be an array");
  const std::string rule = "; " + std::string(kNameRule);
  expect_refused(with("/projects/2/tags/0"_json_pointer, "pla/petg"),
                 "projects[2].tags[0]: tag name 'pla/petg' contains '/'" + rule);
  expect_refused(with("/projects/1/tags"_json_pointer, json{"ok", 7}), "projects[1].tags[1]: must be a string");
  expect_refused(with("/tags/0"_json_pointer, ""), "tags[0]: tag name is empty" + rule);
  expect_refused(with("/assets/0/tags/0"_json_pointer, "line1\nline2"),
                 "assets[0].tags[0]: tag name 'line1\\nline2' contains a control character (\\n)" + rule);
  expect_refused(with("/collections/0/name"_json_pointer, std::string(256, 'x')),
                 "collections[0].name: collection name is 256 bytes long, over the limit of 255" + rule);
  expect_refused(with("/collections/0/name"_json_pointer, "  "),
                 "collections[0].name: collection name '  ' is only white space" + rule);
  expect_refused(with("/assets/1/note"_json_pointer, std::string("a\0b", 3)), "assets[1].note: note contains a NUL byte");
  expect_refused(with("/projects/0/hashes/0"_json_pointer, "xxh3:nothex"),
                 "projects[0].hashes[0]: not a content hash (\"xxh3:\" and 32 hex digits)");
  expect_refused(with("/assets/0/path"_json_pointer, "../escape.stl"),
                 "assets[0].path: must be a relative path without '.' or '..' parts");
  expect_refused(with("/collections/1/projects/0"_json_pointer, "Benchy"), "collections[1].projects[0]: must be an object");
  expect_refused(with("/searches"_json_pointer, "boat"), "searches: must be an array");
  expect_refused(with("/searches/0/name"_json_pointer, "a/b"),
                 "searches[0].name: saved search name 'a/b' contains '/'" + rule);
  expect_refused(with("/searches/1/name"_json_pointer, "boats"),
                 "searches[1].name: a saved search of this name is listed twice");
  expect_refused(with("/searches/0/query"_json_pointer, 5), "searches[0].query: must be a string");
  expect_refused(with("/searches/0/query"_json_pointer, "(boat"),
                 "searches[0].query: " + validate_query("(boat").error().message);
  expect_refused(with("/searches/0/created"_json_pointer, "yesterday"),
                 "searches[0].created: must be a UTC time such as \"2026-11-22T03:14:15.926Z\"");

  // The untouched document imports fine.
  CHECK(import_metadata(*lib.cat, good));
}

TEST_CASE("backup: items that match nothing are reported, the rest imported", "[backup]") {
  Lib lib;
  // Two live projects with the same content: a hash match would be a tie.
  write_file(lib.root / "Twin A/t.stl", random_bytes(700, 9));
  write_file(lib.root / "Twin B/t.stl", random_bytes(700, 9));
  lib.sync();
  ContentHash twin;
  ContentHash unknown = *ContentHash::parse("xxh3:00112233445566778899aabbccddeeff");
  {
    ReadTxn t(lib.cat->env());
    twin = lib.cat->asset(t, lib.cat->asset_id_by_path(t, *lib.cat->project_id_by_name(t, "Twin A"), "t.stl").value())->hash;
  }
  json doc = {{"format", "limafs-metadata"},
              {"version", 1},
              {"tags", json::array()},
              {"projects",
               {{{"name", "Gone"}, {"tags", {"lost"}}, {"hashes", {unknown.to_string()}}},
                {{"name", "Twin (old name)"}, {"tags", {"twin"}}, {"hashes", {twin.to_string()}}},
                {{"name", "Cube"}, {"tags", {"cube"}}}}},
              {"assets",
               {{{"project", "Gone"}, {"path", "x.stl"}, {"hash", unknown.to_string()}, {"tags", {"lost"}}},
                {{"project", "Gone"}, {"path", "cube.stl"}, {"hash", ""}, {"tags", {"lost"}}}}},
              {"collections", {{{"name", "Mixed"}, {"projects", {{{"name", "Gone"}}, {{"name", "Cube"}}}}}}}};
  doc["assets"][1].erase("hash");  // no hash, no project: nothing to go on
  auto r = import_metadata(*lib.cat, doc);
  REQUIRE(r);
  CHECK(r->projects_matched == 1);
  CHECK(r->projects_unmatched == 2);
  CHECK(r->assets_matched == 0);
  CHECK(r->assets_unmatched == 2);
  CHECK(r->unmatched == std::vector<std::string>{"Gone", "Twin (old name)", "Gone/x.stl", "Gone/cube.stl"});
  CHECK(r->members_added == 1);
  CHECK(member_names(lib, "Mixed") == std::vector<std::string>{"Cube"});
  Metadata md(*lib.cat);
  ReadTxn t(lib.cat->env());
  CHECK(md.project_tags(t, *lib.cat->project_id_by_name(t, "Cube")) == std::vector<std::string>{"cube"});
  CHECK(md.projects_tagged(t, *md.tag_id(t, "twin")).empty());
  CHECK(to_json(*r)["unmatched"].size() == 4);
}

TEST_CASE("backup: an import adds missing saved searches and replaces a changed query", "[backup]") {
  Lib lib;
  annotate(lib);
  json doc = lib.exported();
  lib.write([&](WriteTxn& t) {
    SavedSearches saved(*lib.cat);
    REQUIRE(saved.remove(t, "boats"));
    REQUIRE(saved.set_query(t, "petg todo", "tag:petg"));
    REQUIRE(saved.create(t, "mine", "dragon"));
  });
  doc["searches"][0].erase("created");  // older documents may lack it: the import's time then
  auto r = import_metadata(*lib.cat, doc);
  REQUIRE(r);
  CHECK(r->searches_created == 1);
  CHECK(r->searches_changed == 1);
  CHECK(to_json(*r)["searches_created"] == 1);
  const auto searches = saved_searches(lib);
  REQUIRE(searches.size() == 3);
  CHECK(searches[0].name == "boats");
  CHECK(searches[0].created_ns > 0);
  CHECK(searches[1].name == "mine");  // kept: imports add, never remove
  CHECK(searches[2].query == "tag:petg -tag:printed");
  CHECK(searches[2].created_ns == 1'763'781'255'926'000'000);  // the index's own creation time stays
  doc.erase("searches");  // a document from before saved searches
  auto old = import_metadata(*lib.cat, doc);
  REQUIRE(old);
  CHECK(no_changes(*old));
}

TEST_CASE("backup: an import is one announced write, none when it changes nothing", "[backup]") {
  Lib lib;
  annotate(lib);
  const json doc = lib.exported();
  lib.rebuild();
  int heard = 0;
  int sub = lib.cat->subscribe([&](const Changes&) { ++heard; });
  REQUIRE(import_metadata(*lib.cat, doc));
  CHECK(heard == 1);
  REQUIRE(import_metadata(*lib.cat, doc));
  CHECK(heard == 1);
  lib.cat->unsubscribe(sub);
}

TEST_CASE("backup: the writer keeps exports of changed metadata in the state dir", "[backup]") {
  Lib lib;
  Metadata md(*lib.cat);
  const ProjectId cube = lib.project("Cube");
  const stdfs::path dir = lib.state / "backups";
  auto read_json = [](const stdfs::path& p) { return json::parse(lima::test::read_file(p)); };

  SECTION("a tag change, then flush") {
    BackupWriter w(*lib.cat, {}, 10, std::chrono::hours(1));
    CHECK(w.directory() == dir);
    lib.write([&](WriteTxn& t) { REQUIRE(md.tag_project(t, cube, "pla")); });
    auto written = w.flush();
    REQUIRE(written);
    REQUIRE(*written);
    CHECK((*written)->parent_path() == dir);
    REQUIRE(w.list() == std::vector<stdfs::path>{**written});
    json doc = read_json(**written);
    CHECK(doc["format"] == "limafs-metadata");
    CHECK(doc["tags"] == json{"pla"});
    CHECK(doc["projects"][0]["tags"] == json{"pla"});
    auto again = w.flush();  // nothing pending any more
    REQUIRE(again);
    CHECK_FALSE(*again);
  }
  SECTION("a note alone") {
    BackupWriter w(*lib.cat, {}, 10, std::chrono::hours(1));
    lib.write([&](WriteTxn& t) { REQUIRE(md.set_note(t, {NoteTarget::Type::project, cube}, "cube note")); });
    auto written = w.flush();
    REQUIRE(written);
    REQUIRE(*written);
    CHECK(read_json(**written)["projects"][0]["note"] == "cube note");
  }
  SECTION("a saved search alone") {
    BackupWriter w(*lib.cat, {}, 10, std::chrono::hours(1));
    lib.write([&](WriteTxn& t) { REQUIRE(SavedSearches(*lib.cat).create(t, "cubes", "cube")); });
    auto written = w.flush();
    REQUIRE(written);
    REQUIRE(*written);
    CHECK(read_json(**written)["searches"][0]["query"] == "cube");
  }
  SECTION("only the newest `keep` files stay, and nothing else is deleted") {
    write_file(dir / "notes.txt", "mine");
    write_file(dir / "metadata-old.json", "{}");
    write_file(dir / "metadata-20000101T000000000Z.json", "{}");  // an old export: pruned
    BackupWriter w(*lib.cat, {}, 3, std::chrono::hours(1));
    for (int i = 0; i < 5; ++i) {
      lib.write([&](WriteTxn& t) { REQUIRE(md.tag_project(t, cube, "t" + std::to_string(i))); });
      REQUIRE(w.flush());
    }
    auto files = w.list();
    REQUIRE(files.size() == 3);
    CHECK(read_json(files[0])["tags"].size() == 5);  // newest first
    CHECK(read_json(files[2])["tags"].size() == 3);
    CHECK(stdfs::exists(dir / "notes.txt"));
    CHECK(stdfs::exists(dir / "metadata-old.json"));
    CHECK_FALSE(stdfs::exists(dir / "metadata-20000101T000000000Z.json"));
  }
  SECTION("a folder name that is not UTF-8 is written with U+FFFD") {
    write_file(lib.root / "Bad\xff/x.stl", random_bytes(100, 8));
    lib.sync();
    BackupWriter w(*lib.cat, {}, 10, std::chrono::hours(1));
    const ProjectId bad = lib.project("Bad\xff");
    lib.write([&](WriteTxn& t) { REQUIRE(md.tag_project(t, bad, "odd")); });
    auto written = w.flush();
    REQUIRE(written);
    REQUIRE(*written);
    CHECK(read_json(**written)["projects"][0]["name"] == "Bad\uFFFD");
  }
  SECTION("nothing written when no metadata changed") {
    {
      BackupWriter w(*lib.cat, {}, 10, std::chrono::milliseconds(10));
      write_file(lib.root / "Cube/new.stl", random_bytes(100, 7));
      lib.sync();  // files changed, metadata did not
      lib.write([&](WriteTxn& t) { REQUIRE(md.untag_project(t, cube, "never-there")); });
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto written = w.flush();
      REQUIRE(written);
      CHECK_FALSE(*written);
    }
    CHECK_FALSE(stdfs::exists(dir));
  }
  SECTION("after a quiet delay by itself, once per burst; on destruction when pending") {
    {
      BackupWriter w(*lib.cat, {}, 10, std::chrono::milliseconds(300));
      for (const char* tag : {"a", "b", "c"})
        lib.write([&](WriteTxn& t) { REQUIRE(md.tag_project(t, cube, tag)); });
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (w.list().empty() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      auto files = w.list();
      REQUIRE(files.size() == 1);
      CHECK(read_json(files[0])["tags"] == json{"a", "b", "c"});
      lib.write([&](WriteTxn& t) { REQUIRE(md.tag_project(t, cube, "d")); });
    }
    BackupWriter w(*lib.cat, {}, 10, std::chrono::hours(1));
    auto files = w.list();
    REQUIRE(files.size() == 2);
    CHECK(read_json(files[0])["tags"].size() == 4);
  }
  // Nothing was ever written into the library.
  CHECK_FALSE(stdfs::exists(lib.root / "backups"));
}
