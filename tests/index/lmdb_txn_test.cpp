#include <catch2/catch.hpp>
#include <lmdb.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

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

namespace {
Dbi make_dup_db(Env& env, const char* name) {
  Dbi d;
  env.write([&](WriteTxn& t) { d = env.open_db(t, name, DbOpen::create, DbKind::dup_fixed); });
  return d;
}

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// Every value of the cursor's key, read page by page.
std::vector<std::uint32_t> all_values(Cursor& c) {
  std::vector<std::uint32_t> out;
  for (auto page = c.first_values(); !page.empty(); page = c.next_values()) {
    REQUIRE(page.size() % 4 == 0);
    for (std::size_t i = 0; i < page.size(); i += 4)
      out.push_back(static_cast<std::uint32_t>(static_cast<unsigned char>(page[i])) << 24 |
                    static_cast<std::uint32_t>(static_cast<unsigned char>(page[i + 1])) << 16 |
                    static_cast<std::uint32_t>(static_cast<unsigned char>(page[i + 2])) << 8 |
                    static_cast<unsigned char>(page[i + 3]));
  }
  return out;
}
}  // namespace

TEST_CASE("a key of a dup_fixed sub-database holds a sorted set of values") {
  TempDir dir;
  Env env(dir.path(), EnvOptions{});
  Dbi db = make_dup_db(env, "sets");
  env.write([&](WriteTxn& t) {
    for (std::uint32_t v : {5u, 1u, 3u}) t.put_dup(db, "k", be32(v));
    t.put_dup(db, "k", be32(3));  // already there: nothing changes
    t.put_dup(db, "j", be32(9));
  });
  {
    ReadTxn t(env);
    CHECK(t.count(db) == 4);
    Cursor c(t, db);
    REQUIRE(c.seek("k"));
    CHECK(c.value_count() == 3);
    CHECK(all_values(c) == std::vector<std::uint32_t>{1, 3, 5});
  }
  env.write([&](WriteTxn& t) {
    CHECK(t.del_dup(db, "k", be32(3)));
    CHECK_FALSE(t.del_dup(db, "k", be32(3)));
    CHECK_FALSE(t.del_dup(db, "nokey", be32(3)));
    CHECK(t.del_dup(db, "j", be32(9)));  // the last value: the key goes
  });
  ReadTxn t(env);
  Cursor c(t, db);
  REQUIRE(c.first());
  CHECK(c.key() == "k");
  CHECK(all_values(c) == std::vector<std::uint32_t>{1, 5});
  CHECK_FALSE(c.next_key());
}

TEST_CASE("the values of a key are read in pages, all of them, whatever their number") {
  TempDir dir;
  Env env(dir.path(), EnvOptions{});
  Dbi db = make_dup_db(env, "sets");
  // One value (no page of its own), a few (a page inside the key's node),
  // and many (a tree of pages), with keys around them.
  const std::vector<std::pair<std::string, std::uint32_t>> keys{{"a", 1}, {"b", 7}, {"c", 100000}, {"d", 1}};
  env.write([&](WriteTxn& t) {
    for (const auto& [k, n] : keys)
      for (std::uint32_t i = 0; i < n; ++i) t.put_dup_sorted(db, k, be32(i * 3));
  });
  ReadTxn t(env);
  Cursor c(t, db);
  std::size_t seen = 0;
  for (bool ok = c.first(); ok; ok = c.next_key(), ++seen) {
    REQUIRE(seen < keys.size());
    CHECK(c.key() == keys[seen].first);
    const auto values = all_values(c);
    REQUIRE(values.size() == keys[seen].second);
    CHECK(c.value_count() == values.size());
    for (std::uint32_t i = 0; i < values.size(); ++i) REQUIRE(values[i] == i * 3);
  }
  CHECK(seen == keys.size());
  // Seeking lands on the first key at or after the one asked for.
  REQUIRE(c.seek("bb"));
  CHECK(c.key() == "c");
  CHECK(all_values(c).size() == 100000);
  REQUIRE(c.next_key());
  CHECK(c.key() == "d");
}

TEST_CASE("sorted dup writes fall back to a normal write when out of order, and keep sets") {
  TempDir dir;
  Env env(dir.path(), EnvOptions{});
  Dbi db = make_dup_db(env, "sets");
  env.write([&](WriteTxn& t) {
    t.put_dup_sorted(db, "m", be32(5));
    t.put_dup_sorted(db, "m", be32(2));  // before the key's last value
    t.put_dup_sorted(db, "m", be32(5));  // a repeat
    t.put_dup_sorted(db, "a", be32(1));  // before the last key
    t.put_dup_sorted(db, "z", be32(1));
  });
  ReadTxn t(env);
  CHECK(t.count(db) == 4);
  Cursor c(t, db);
  REQUIRE(c.seek("m"));
  CHECK(all_values(c) == std::vector<std::uint32_t>{2, 5});
}

TEST_CASE("clearing a sub-database removes its entries and keeps it usable") {
  TempDir dir;
  Env env(dir.path(), EnvOptions{});
  Dbi db = make_dup_db(env, "sets");
  env.write([&](WriteTxn& t) {
    for (std::uint32_t i = 0; i < 1000; ++i) t.put_dup(db, "k" + std::to_string(i % 10), be32(i));
  });
  env.write([&](WriteTxn& t) {
    t.clear(db);
    t.put_dup(db, "x", be32(1));
  });
  ReadTxn t(env);
  CHECK(t.count(db) == 1);
  // Opened by a read transaction, it is a dup_fixed sub-database too.
  Dbi again = env.open_db(t, "sets", DbKind::dup_fixed);
  Cursor c(t, again);
  REQUIRE(c.first());
  CHECK(all_values(c) == std::vector<std::uint32_t>{1});
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

TEST_CASE("lazy commits are the lazy thread's only: another thread's commit is flushed whole") {
  TempDir dir;
  Env env(dir.path(), EnvOptions{});
  Dbi db = make_db(env, "data");
  const auto at_start = env.whole_flushes();
  CHECK(at_start >= 1);  // make_db's commit: nothing lazy, flushed whole

  env.set_lazy_meta(true);
  env.write([&](WriteTxn& t) { t.put(db, "sync-batch", "1"); });
  CHECK(env.whole_flushes() == at_start);  // the lazy thread's own commit stays lazy

  std::thread edit([&] { env.write([&](WriteTxn& t) { t.put(db, "api-edit", "1"); }); });
  edit.join();
  CHECK(env.whole_flushes() == at_start + 1);

  env.set_lazy_meta(false);
  env.write([&](WriteTxn& t) { t.put(db, "sync-record", "1"); });
  CHECK(env.whole_flushes() == at_start + 2);  // lazy no more
  ReadTxn t(env);
  CHECK(t.get(db, "sync-batch").has_value());
  CHECK(t.get(db, "api-edit").has_value());
  CHECK(t.get(db, "sync-record").has_value());
}

namespace {
// The resident KiB of this process's mappings of `file` (/proc/self/smaps).
std::size_t resident_kib_of(const std::filesystem::path& file) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in = false;
  std::size_t kib = 0;
  while (std::getline(smaps, line)) {
    if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) && line.find(' ') != std::string::npos &&
        line.find('-') < line.find(' ')) {
      in = line.ends_with(" " + file.string());
    } else if (in && line.starts_with("Rss:")) {
      kib += std::stoul(line.substr(4));
    }
  }
  return kib;
}
}  // namespace

TEST_CASE("the index's mapped pages are let go, also after the map has grown and moved") {
  TempDir dir;
  Env env(dir.path(), EnvOptions{.initial_map_size = 256 * 1024});
  Dbi db = make_db(env, "data");
  const std::string value(3000, 'v');
  auto fill = [&](int from, int to) {
    for (int batch = from; batch < to; ++batch)
      env.write([&](WriteTxn& t) {
        for (int i = 0; i < 50; ++i) t.put(db, "k" + std::to_string(batch * 1000 + i), value);
      });
  };
  auto read_all = [&] {
    ReadTxn t(env);
    std::size_t n = 0;
    t.scan_prefix(db, "k", [&](std::string_view, std::string_view v) {
      n += v.size() == value.size();
      return true;
    });
    return n;
  };
  const auto data_file = std::filesystem::canonical(dir.path()) / "data.mdb";
  fill(0, 2);
  CHECK(read_all() == 100);
  REQUIRE(resident_kib_of(data_file) > 0);
  env.release_mapped_pages();  // finds the map, and remembers where it is
  CHECK(resident_kib_of(data_file) == 0);

  const std::size_t before = env.map_size();
  fill(2, 40);  // grows the map: LMDB maps it again, elsewhere
  REQUIRE(env.map_size() > before);
  CHECK(read_all() == 40 * 50);
  REQUIRE(resident_kib_of(data_file) > 0);
  env.release_mapped_pages();
  CHECK(resident_kib_of(data_file) == 0);
  CHECK(read_all() == 40 * 50);  // nothing lost: the pages come back from the file
}
