// Directories of 100,000 entries list completely and exactly once, with
// stable offsets, through ls, find, Python and seekdir/telldir.
#include <dirent.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <set>

#include "index/schema.h"
#include "mount_fixture.h"

using namespace lima::test;

namespace {

constexpr std::size_t kEntries = 100'000;

// A project "Big" holding 100,000 assets, all tagged "many". The records are
// written straight into the index (the listing is what is under test; the
// files behind the links need not exist, as for an offline library).
void add_big_project(MountedLibrary& m) {
  const auto big = m.project("Big");
  m.write([&](lima::index::WriteTxn& t, lima::index::Metadata& meta) {
    std::vector<lima::index::AssetChange> changes;
    changes.reserve(kEntries);
    for (std::size_t i = 0; i < kEntries; ++i) {
      lima::index::Asset a;
      a.id = m.catalog().next_id(t, lima::index::schema::kAssets);
      a.project = big;
      char name[32];
      std::snprintf(name, sizeof name, "part-%06zu.stl", i);
      a.path = name;
      a.size = 1;
      a.mtime_ns = 1'600'000'000'000'000'000 + static_cast<std::int64_t>(i);
      a.hash.bytes[0] = 1;
      a.hash.bytes[8] = static_cast<unsigned char>(i);
      a.kind = lima::index::Kind::model;
      changes.push_back({nullptr, a});
    }
    m.catalog().put_assets(t, changes);
    for (const auto& c : changes) REQUIRE(meta.tag_asset(t, c.after.id, "many"));
  });
}

std::size_t count_lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE("100,000-entry directories list completely and exactly once", "[mount][scale]") {
  MountedLibrary m([](const stdfs::path& lib) { write_file(lib / "Big/one.stl", "x"); });
  add_big_project(m);
  for (const auto& dir : std::vector<std::string>{(m / "tags/many").string(), (m / "projects/Big").string()}) {
    INFO(dir);
    const std::size_t expected = dir.ends_with("Big") ? kEntries + 1 : kEntries;
    const std::string q = "'" + dir + "'";
    CHECK(count_lines(shell("ls -1 " + q)) == expected);
    CHECK(shell("ls -1 -f " + q + " | sort | uniq -d").empty());
    CHECK(count_lines(shell("find " + q + " -mindepth 1 -maxdepth 1")) == expected);
    CHECK(shell("find " + q + " -mindepth 1 -maxdepth 1 | sort | uniq -d").empty());
    CHECK(shell("python3 -c 'import os,sys; n=[e.name for e in os.scandir(sys.argv[1])]; print(len(n), len(set(n)))' " + q) ==
          std::to_string(expected) + " " + std::to_string(expected) + "\n");
  }
}

TEST_CASE("readdir offsets are stable: telldir and seekdir work in a huge directory", "[mount][scale]") {
  MountedLibrary m([](const stdfs::path& lib) { write_file(lib / "Big/one.stl", "x"); });
  add_big_project(m);
  DIR* d = ::opendir((m / "tags/many").c_str());
  REQUIRE(d);
  std::vector<std::string> all;
  std::vector<std::pair<long, std::string>> marks;  // (telldir before entry, entry)
  for (;;) {
    const long pos = ::telldir(d);
    dirent* e = ::readdir(d);
    if (!e) break;
    all.emplace_back(e->d_name);
    if (all.size() % 9973 == 0) marks.emplace_back(pos, e->d_name);
  }
  CHECK(all.size() == kEntries + 2);
  CHECK(std::set<std::string>(all.begin(), all.end()).size() == all.size());
  REQUIRE(marks.size() >= 10);
  for (auto it = marks.rbegin(); it != marks.rend(); ++it) {  // backwards: real seeks
    ::seekdir(d, it->first);
    dirent* e = ::readdir(d);
    REQUIRE(e);
    CHECK(std::string(e->d_name) == it->second);
  }
  ::rewinddir(d);
  dirent* first = ::readdir(d);
  REQUIRE(first);
  CHECK(std::string(first->d_name) == all.front());
  ::closedir(d);
}
