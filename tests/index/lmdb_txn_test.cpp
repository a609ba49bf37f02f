#include <catch2/catch.hpp>
#include <lmdb.h>

#include "index/lmdb_txn.h"
#include "support/skip.h"
#include "test_support.h"

using namespace lima::index;
using lima::test::TempDir;

namespace {
Dbi make_db(Env& env, const char* name) {
  Dbi d;
  env.write([&](WriteTxn& t) { d = env.open_db(t, name); });
  return d;
}
}  // namespace

TEST_CASE("the map grows when full instead of failing") {
  TempDir dir;
  Env env(dir.path(), EnvOptions{.initial_map_size = 256 * 1024});
  Dbi db = make_db(env, "data");
  const std::size_t before = env.map_size();
  const std::string value(4000, 'v');
  for (int batch = 0; batch < 20; ++batch) {
    env.write([&](WriteTxn& t) {
      for (int i = 0; i < 100; ++i) t.put(db, "k" + std::to_string(batch * 1000 + i), value);
    });
  }
  CHECK(env.map_size() > before);
  ReadTxn t(env);
  CHECK(t.count(db) == 2000);
  CHECK(t.get(db, "k19099")->size() == 4000);
}

TEST_CASE("a failed commit reports the error and frees the transaction once") {
  TempDir dir;
  Env env(dir.path(), EnvOptions{.initial_map_size = 128 * 1024});
  Dbi db = make_db(env, "data");
  WriteTxn t(env);
  const std::string value(8000, 'v');
  bool full = false;
  for (int i = 0; i < 1000 && !full; ++i) {
    try {
      t.put(db, "k" + std::to_string(i), value);
    } catch (const LmdbError& e) {
      CHECK(e.code() == MDB_MAP_FULL);
      full = true;
    }
  }
  REQUIRE(full);
  // The transaction is now in an error state: commit must fail cleanly, and
  // the destructor must not free it again (ASan would report it).
  CHECK_THROWS_AS(t.commit(), LmdbError);
}

TEST_CASE("cursors of a write transaction are closed before it commits") {
  TempDir dir;
  Env env(dir.path(), EnvOptions{});
  Dbi db = make_db(env, "data");
  {
    WriteTxn t(env);
    t.put(db, "a", "1");
    t.put(db, "b", "2");
    Cursor c(t, db);
    REQUIRE(c.first());
    CHECK(c.key() == "a");
    t.commit();  // c is still alive here
    CHECK_THROWS_AS(c.next(), LmdbError);
  }  // c's destructor runs after the commit: no double close
  ReadTxn r(env);
  CHECK(r.count(db) == 2);
}

TEST_CASE("prefix scans and prefix deletes stay inside the prefix") {
  TempDir dir;
  Env env(dir.path(), EnvOptions{});
  Dbi db = make_db(env, "data");
  env.write([&](WriteTxn& t) {
    for (const char* k : {"a", "ab/1", "ab/2", "ab/3", "ac", "b"}) t.put(db, k, "x");
  });
  {
    ReadTxn t(env);
    std::vector<std::string> seen;
    t.scan_prefix(db, "ab/", [&](std::string_view k, std::string_view) { return seen.emplace_back(k), true; });
    CHECK(seen == std::vector<std::string>{"ab/1", "ab/2", "ab/3"});
  }
  env.write([&](WriteTxn& t) { CHECK(t.del_prefix(db, "ab/") == 3); });
  ReadTxn t(env);
  CHECK(t.count(db) == 3);
  CHECK(t.get(db, "ac"));
  CHECK_FALSE(t.get(db, "ab/2"));
}

TEST_CASE("a write to a full disk says so in words, names the state directory, and keeps what was committed") {
  if (::geteuid() != 0) LIMA_SKIP("needs root to mount a small tmpfs");
  TempDir dir;
  lima::test::TmpfsMount disk(dir.path(), "2m");
  REQUIRE(disk.ok());
  Env env(dir.path(), EnvOptions{.initial_map_size = 64u << 20});
  Dbi db = make_db(env, "data");
  env.write([&](WriteTxn& t) { t.put(db, "kept", "before the disk filled up"); });
  lima::test::fill_filesystem(dir / "filler");

  std::optional<LmdbError> failure;
  try {
    env.write([&](WriteTxn& t) {
      for (int i = 0; i < 200; ++i) t.put(db, "k" + std::to_string(i), std::string(4000, 'v'));
    });
  } catch (const LmdbError& e) {
    failure = e;
  }
  REQUIRE(failure);
  CHECK(failure->no_space());
  CHECK(std::string(failure->what()) == "no space left on the state directory's filesystem (" + dir.path().string() + ")");
  CHECK(errc_of(*failure) == Errc::no_space);
  ReadTxn t(env);
  CHECK(t.get(db, "kept") == "before the disk filled up");
  CHECK_FALSE(t.get(db, "k0"));
}
