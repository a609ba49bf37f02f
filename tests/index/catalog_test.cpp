#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

#include "index/catalog.h"
#include "index/key_codec.h"
#include "index/metadata.h"
#include "index/schema.h"
#include "index/word_index.h"
#include "test_support.h"

using namespace lima::index;
using lima::test::TempDir;
namespace stdfs = std::filesystem;

TEST_CASE("a second writer is refused while the index is in use") {
  TempDir dir;
  auto a = Catalog::open(dir.path(), OpenMode::read_write);
  REQUIRE(a);
  auto b = Catalog::open(dir.path(), OpenMode::read_write);
  REQUIRE_FALSE(b);
  CHECK(b.error().code == Errc::busy);
  CHECK(b.error().message.find("in use by another limafs process") != std::string::npos);
  // Readers are fine meanwhile.
  auto r = Catalog::open(dir.path(), OpenMode::read_only);
  CHECK(r);
}

TEST_CASE("reading a missing index says how to create one") {
  TempDir dir;
  auto r = Catalog::open(dir.path() / "nothing", OpenMode::read_only);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::not_found);
  CHECK(r.error().message.find("limafs scan") != std::string::npos);
}

TEST_CASE("an index written by a newer schema is refused, untouched") {
  TempDir dir;
  {
    auto c = Catalog::open(dir.path(), OpenMode::read_write);
    REQUIRE(c);
    CHECK((*c)->schema_version() == schema::kSchemaVersion);
    (*c)->env().write([&](WriteTxn& t) {
      std::string v;
      put_u32(v, schema::kSchemaVersion + 1);
      t.put((*c)->db().meta, schema::kMetaSchemaVersion, v);
    });
  }
  for (auto mode : {OpenMode::read_write, OpenMode::read_only}) {
    auto c = Catalog::open(dir.path(), mode);
    REQUIRE_FALSE(c);
    CHECK(c.error().code == Errc::newer_schema);
    CHECK(c.error().message.find("newer limafs") != std::string::npos);
  }
  // The version is still the newer one: nothing was rewritten.
  Env env(dir.path() / "index", EnvOptions{.read_only = true});
  ReadTxn t(env);
  const auto meta = env.find_db(t, schema::kMeta);
  REQUIRE(meta);
  CHECK(get_u32(*t.get(*meta, schema::kMetaSchemaVersion)) == schema::kSchemaVersion + 1);
}

TEST_CASE("projects and assets keep their secondary indexes consistent") {
  TempDir dir;
  auto c = Catalog::open(dir.path(), OpenMode::read_write);
  REQUIRE(c);
  Catalog& cat = **c;
  Project p{.id = 1, .name = "Benchy", .dev = 1, .ino = 10};
  Asset a{.id = 5, .project = 1, .path = "models/3DBenchy.stl", .dev = 1, .ino = 11, .size = 3};
  a.hash.bytes[0] = 0xab;
  cat.env().write([&](WriteTxn& t) {
    cat.put_project(t, p, nullptr);
    cat.put_asset(t, a, nullptr);
  });
  Asset moved = a;
  moved.path = "3DBenchy.stl";
  Project renamed = p;
  renamed.name = "Benchy v2";
  cat.env().write([&](WriteTxn& t) {
    cat.put_asset(t, moved, &a);
    cat.put_project(t, renamed, &p);
  });
  {
    ReadTxn t(cat.env());
    CHECK(cat.asset_id_by_path(t, 1, "3DBenchy.stl") == 5);
    CHECK_FALSE(cat.asset_id_by_path(t, 1, "models/3DBenchy.stl"));
    CHECK(cat.project_id_by_name(t, "Benchy v2") == 1);
    CHECK_FALSE(cat.project_id_by_name(t, "Benchy"));
    CHECK(cat.assets_with_hash(t, a.hash) == std::vector<AssetId>{5});
  }
  Asset gone = moved;
  gone.state = ItemState::tombstone;
  cat.env().write([&](WriteTxn& t) { cat.put_asset(t, gone, &moved); });
  ReadTxn t(cat.env());
  CHECK(cat.assets_of(t, 1).empty());
  CHECK(cat.asset(t, 5)->state == ItemState::tombstone);
  CHECK(cat.assets_with_hash(t, a.hash) == std::vector<AssetId>{5});  // tombstones stay findable by content
  CHECK(cat.counts(t).tombstoned_assets == 1);
}

TEST_CASE("paths longer than an LMDB key are stored and found") {
  TempDir dir;
  auto c = Catalog::open(dir.path(), OpenMode::read_write);
  REQUIRE(c);
  Catalog& cat = **c;
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "level" + std::to_string(i) + "/";
  deep += "model.stl";
  REQUIRE(deep.size() > 511);
  Asset a{.id = 1, .project = 1, .path = deep, .dev = 1, .ino = 2};
  cat.env().write([&](WriteTxn& t) { cat.put_asset(t, a, nullptr); });
  ReadTxn t(cat.env());
  CHECK(cat.asset_id_by_path(t, 1, deep) == 1);
  CHECK(cat.asset(t, 1)->path == deep);
}

namespace {

// The assets an index lists under one key prefix of ext_assets or
// kind_assets, as (project name/)paths, sorted.
std::vector<std::string> indexed_paths(Catalog& cat, const Txn& t, const Dbi& db, const std::string& prefix) {
  std::vector<std::string> out;
  t.scan_prefix(db, prefix, [&](std::string_view k, std::string_view) {
    REQUIRE(k.size() == prefix.size() + 8);
    auto a = cat.asset(t, get_u64(k, prefix.size()));
    REQUIRE(a);
    auto p = cat.project(t, a->project);
    out.push_back(library_path(p ? p->name : "", a->path));
    return true;
  });
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> by_ext(Catalog& cat, const Txn& t, const std::string& ext) {
  return indexed_paths(cat, t, cat.db().ext_assets, Catalog::ext_prefix(ext));
}
std::vector<std::string> by_kind(Catalog& cat, const Txn& t, Kind k) {
  return indexed_paths(cat, t, cat.db().kind_assets, Catalog::kind_prefix(k));
}

std::uint8_t hex_digit(char c) { return static_cast<std::uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10); }

std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<char>(hex_digit(h[i]) << 4 | hex_digit(h[i + 1])));
  return out;
}

// Writes STATE/index from a dump of an index (tests/index/data/*.dump):
// every sub-database and entry as the version that wrote it left them.
void load_dump(const stdfs::path& dump, const stdfs::path& state) {
  std::ifstream in(dump);
  REQUIRE(in);
  stdfs::create_directories(state / "index");
  Env env(state / "index", EnvOptions{});
  std::vector<std::unique_ptr<std::string>> names;  // a Dbi keeps its name's pointer
  env.write([&](WriteTxn& t) {
    std::optional<Dbi> db;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      if (line.starts_with("db ")) {
        names.push_back(std::make_unique<std::string>(line.substr(3)));
        db = env.open_db(t, names.back()->c_str());
        continue;
      }
      REQUIRE(db);
      const auto space = line.find(' ');
      REQUIRE(space != std::string::npos);
      t.put(*db, unhex(line.substr(0, space)), unhex(line.substr(space + 1)));
    }
  });
}

}  // namespace

TEST_CASE("an index written by schema 1 is upgraded at open, its metadata intact and its new indexes filled") {
  TempDir dir;
  const auto dump = stdfs::path(LIMA_TEST_DATA_DIR) / "index_v1.dump";
  load_dump(dump, dir.path());
  // A reader cannot upgrade it.
  auto ro = Catalog::open(dir.path(), OpenMode::read_only);
  REQUIRE_FALSE(ro);
  CHECK(ro.error().code == Errc::conflict);
  CHECK(ro.error().message.find("has schema 1 and must be upgraded") != std::string::npos);

  auto c = Catalog::open(dir.path(), OpenMode::read_write);
  REQUIRE(c);
  Catalog& cat = **c;
  CHECK(cat.schema_version() == schema::kSchemaVersion);
  ReadTxn t(cat.env());
  CHECK(get_u32(*t.get(cat.db().meta, schema::kMetaSchemaVersion)) == schema::kSchemaVersion);
  // What version 1 held is all there.
  const auto n = cat.counts(t);
  CHECK(n.projects == 2);
  CHECK(n.assets == 9);
  CHECK(n.tombstoned_projects == 1);
  CHECK(n.tombstoned_assets == 2);
  CHECK(n.tags == 3);
  CHECK(n.collections == 1);
  Metadata md(cat);
  const auto benchy = *cat.project_id_by_name(t, "Benchy");
  const auto dragon = *cat.project_id_by_name(t, "Dragon");
  CHECK(md.project_tags(t, benchy) == std::vector<std::string>{"boat"});
  CHECK(md.note(t, {NoteTarget::Type::project, benchy}) == "print at 0.2 mm");
  CHECK(md.main_image(t, benchy) == cat.asset_id_by_path(t, benchy, "images/cover.PNG"));
  CHECK(md.collection_by_name(t, "Favourites")->projects == std::vector<ProjectId>{benchy, dragon});
  // The new indexes hold every live asset, by extension and kind, and no tombstone.
  CHECK(by_ext(cat, t, "stl") ==
        std::vector<std::string>{"Benchy/models/3DBenchy.stl", "Dragon/dragon-copy.STL", "Dragon/dragon.stl"});
  CHECK(by_ext(cat, t, "png") == std::vector<std::string>{"Benchy/images/cover.PNG"});
  CHECK(by_ext(cat, t, "gz") == std::vector<std::string>{"Benchy/archive.tar.gz"});
  CHECK(by_ext(cat, t, "") == std::vector<std::string>{"Benchy/notes"});
  CHECK(by_ext(cat, t, "jpg").empty());  // side.jpg is a tombstone
  CHECK(by_kind(cat, t, Kind::model) == std::vector<std::string>{"Benchy/models/3DBenchy.stl", "Dragon/dragon-copy.STL",
                                                                 "Dragon/dragon.stl", "Dragon/parts/wing.3mf"});
  CHECK(by_kind(cat, t, Kind::image) == std::vector<std::string>{"Benchy/images/cover.PNG"});
  CHECK(by_kind(cat, t, Kind::document) == std::vector<std::string>{"Benchy/README.md", "loose.txt"});
  CHECK(by_kind(cat, t, Kind::other) == std::vector<std::string>{"Benchy/archive.tar.gz", "Benchy/notes"});
  CHECK(t.count(cat.db().ext_assets) == 9);
  CHECK(t.count(cat.db().kind_assets) == 9);
  t.commit();

  // Opened again, nothing is migrated twice.
  c->reset();
  auto again = Catalog::open(dir.path(), OpenMode::read_write);
  REQUIRE(again);
  ReadTxn t2((*again)->env());
  CHECK(t2.count((*again)->db().ext_assets) == 9);
}

TEST_CASE("an index written by schema 2 is upgraded at open: its assets read without image facts, no picture failure") {
  TempDir dir;
  load_dump(stdfs::path(LIMA_TEST_DATA_DIR) / "index_v2.dump", dir.path());
  auto ro = Catalog::open(dir.path(), OpenMode::read_only);
  REQUIRE_FALSE(ro);
  CHECK(ro.error().message.find("has schema 2 and must be upgraded") != std::string::npos);

  auto c = Catalog::open(dir.path(), OpenMode::read_write);
  REQUIRE(c);
  Catalog& cat = **c;
  CHECK(cat.schema_version() == schema::kSchemaVersion);
  {
    ReadTxn t(cat.env());
    CHECK(get_u32(*t.get(cat.db().meta, schema::kMetaSchemaVersion)) == schema::kSchemaVersion);
    const auto n = cat.counts(t);
    CHECK(n.projects == 2);
    CHECK(n.assets == 6);
    CHECK(t.count(cat.db().picture_failures) == 0);
    // Every record of schema 2 reads, as "facts not read" (the next sync reads them).
    std::size_t decoded = 0;
    cat.for_each_asset(t, [&](const Asset& a) {
      ++decoded;
      CHECK(a.image == ImageFacts::unread);
    });
    CHECK(decoded == 6);
    const auto poster = *cat.project_id_by_name(t, "Poster");
    CHECK(Metadata(cat).main_image(t, poster) == cat.asset_id_by_path(t, poster, "cover.png"));
    CHECK(by_kind(cat, t, Kind::image) ==
          std::vector<std::string>{"Poster/broken.jpg", "Poster/cover.png", "Poster/img/pixel.png"});
    t.commit();
  }
  // The new table is written and read like any other, and kept when opened again.
  ContentHash h;
  h.bytes[3] = 7;
  cat.env().write([&](WriteTxn& t) { t.put(cat.db().picture_failures, h.view(), "x"); });
  c->reset();
  auto again = Catalog::open(dir.path(), OpenMode::read_only);
  REQUIRE(again);
  ReadTxn t2((*again)->env());
  CHECK(t2.count((*again)->db().picture_failures) == 1);
}

namespace {
// What an exact word finds in a field: projects by name, assets by library
// path, tags and collections by name; sorted.
std::vector<std::string> found(Catalog& cat, const Txn& t, Field field, std::string_view word) {
  std::vector<std::string> out;
  Metadata md(cat);
  cat.words().lookup(t, field, word, false, [&](std::string_view, std::span<const Posting> ps) {
    for (const Posting& p : ps) {
      if (field == Field::tag) out.push_back(md.tag_name(t, p.item).value_or("?"));
      else if (field == Field::collection) out.push_back(md.collection(t, p.item)->name);
      else if (!is_asset(p.item)) out.push_back(cat.project(t, id_of(p.item))->name);
      else {
        auto a = cat.asset(t, id_of(p.item));
        auto proj = cat.project(t, a->project);
        out.push_back(library_path(proj ? proj->name : "", a->path));
      }
    }
    return true;
  });
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

TEST_CASE("an index written by schema 3 is upgraded at open: the words of its live items and names are searchable") {
  TempDir dir;
  load_dump(stdfs::path(LIMA_TEST_DATA_DIR) / "index_v3.dump", dir.path());
  auto ro = Catalog::open(dir.path(), OpenMode::read_only);
  REQUIRE_FALSE(ro);
  CHECK(ro.error().message.find("has schema 3 and must be upgraded") != std::string::npos);

  auto c = Catalog::open(dir.path(), OpenMode::read_write);
  REQUIRE(c);
  Catalog& cat = **c;
  CHECK(cat.schema_version() == schema::kSchemaVersion);
  std::size_t postings = 0;
  {
    ReadTxn t(cat.env());
    CHECK(get_u32(*t.get(cat.db().meta, schema::kMetaSchemaVersion)) == schema::kSchemaVersion);
    using Names = std::vector<std::string>;
    CHECK(found(cat, t, Field::name, "benchy") == Names{"Benchy"});
    CHECK(found(cat, t, Field::name, "3dbenchy") == Names{"Benchy/models/3DBenchy.stl"});
    CHECK(found(cat, t, Field::name, "stl") == Names{"Benchy/models/3DBenchy.stl", "Dragon/dragon.stl"});
    CHECK(found(cat, t, Field::name, "loose") == Names{"loose.txt"});
    CHECK(found(cat, t, Field::path, "models") == Names{"Benchy/models/3DBenchy.stl"});
    CHECK(found(cat, t, Field::path, "parts") == Names{"Dragon/parts/wing.3mf"});
    CHECK(found(cat, t, Field::notes, "hull") == Names{"Benchy"});
    CHECK(found(cat, t, Field::notes, "supports") == Names{"Dragon/parts/wing.3mf"});
    CHECK(found(cat, t, Field::tag, "plus") == Names{"PLA Plus"});
    CHECK(found(cat, t, Field::tag, "boat") == Names{"Boat"});
    CHECK(found(cat, t, Field::tag, "unused") == Names{"unused-tag"});
    CHECK(found(cat, t, Field::collection, "favourite") == Names{"Favourite Prints"});
    // Tombstones have no words: a removed file, a removed project and its file.
    CHECK(found(cat, t, Field::name, "side").empty());
    CHECK(found(cat, t, Field::notes, "blurry").empty());
    CHECK(found(cat, t, Field::name, "old").empty());
    CHECK(found(cat, t, Field::name, "thing").empty());
    CHECK(found(cat, t, Field::notes, "archived").empty());
    CHECK(t.count(cat.db().saved_searches) == 0);
    postings = t.count(cat.db().words);
    CHECK(postings > 20);
    t.commit();
  }
  // Opened again, nothing is migrated twice; a reader sees the same index.
  c->reset();
  auto again = Catalog::open(dir.path(), OpenMode::read_write);
  REQUIRE(again);
  again->reset();
  auto reader = Catalog::open(dir.path(), OpenMode::read_only);
  REQUIRE(reader);
  ReadTxn t((*reader)->env());
  CHECK(t.count((*reader)->db().words) == postings);
  CHECK(found(**reader, t, Field::notes, "supports") == std::vector<std::string>{"Dragon/parts/wing.3mf"});
}

TEST_CASE("the extension and kind indexes follow renames, changes of kind and tombstones") {
  TempDir dir;
  auto c = Catalog::open(dir.path(), OpenMode::read_write);
  REQUIRE(c);
  Catalog& cat = **c;
  Project p{.id = 1, .name = "Benchy", .dev = 1, .ino = 10};
  Asset a{.id = 5, .project = 1, .path = "hull.STL", .dev = 1, .ino = 11, .size = 3, .kind = Kind::model};
  Asset b{.id = 6, .project = 1, .path = "README", .dev = 1, .ino = 12, .size = 3, .kind = Kind::other};
  cat.env().write([&](WriteTxn& t) {
    cat.put_project(t, p, nullptr);
    cat.put_asset(t, a, nullptr);
    cat.put_asset(t, b, nullptr);
  });
  {
    ReadTxn t(cat.env());
    CHECK(by_ext(cat, t, "stl") == std::vector<std::string>{"Benchy/hull.STL"});
    CHECK(by_ext(cat, t, "") == std::vector<std::string>{"Benchy/README"});
    CHECK(by_kind(cat, t, Kind::model) == std::vector<std::string>{"Benchy/hull.STL"});
  }
  // Renamed within its extension, then to another kind; the other one vanishes.
  Asset a2 = a;
  a2.path = "parts/hull.stl";
  Asset a3 = a2;
  a3.path = "parts/hull.png";
  a3.kind = Kind::image;
  Asset b2 = b;
  b2.state = ItemState::tombstone;
  cat.env().write([&](WriteTxn& t) { cat.put_asset(t, a2, &a); });
  {
    ReadTxn t(cat.env());
    CHECK(by_ext(cat, t, "stl") == std::vector<std::string>{"Benchy/parts/hull.stl"});
  }
  const AssetChange changes[] = {{&a2, a3}, {&b, b2}};
  cat.env().write([&](WriteTxn& t) { cat.put_assets(t, changes); });
  ReadTxn t(cat.env());
  CHECK(by_ext(cat, t, "stl").empty());
  CHECK(by_ext(cat, t, "png") == std::vector<std::string>{"Benchy/parts/hull.png"});
  CHECK(by_kind(cat, t, Kind::model).empty());
  CHECK(by_kind(cat, t, Kind::image) == std::vector<std::string>{"Benchy/parts/hull.png"});
  CHECK(by_ext(cat, t, "").empty());
  CHECK(by_kind(cat, t, Kind::other).empty());
}
