#include <catch2/catch.hpp>

#include "index/catalog.h"
#include "index/key_codec.h"
#include "index/schema.h"
#include "test_support.h"

using namespace lima::index;
using lima::test::TempDir;

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
  MDB_dbi meta;
  REQUIRE(mdb_dbi_open(t.handle(), schema::kMeta, 0, &meta) == 0);
  CHECK(get_u32(*t.get(Dbi{meta, "meta"}, schema::kMetaSchemaVersion)) == schema::kSchemaVersion + 1);
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
