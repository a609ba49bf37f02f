// Asset lists, library-wide and of one project: the right items, in order,
// page after page, found from the indexes at a cost that follows the rarest
// filter.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "index/asset_query.h"
#include "index/id_streams.h"
#include "index/key_codec.h"
#include "index/kinds.h"
#include "index/metadata.h"
#include "support/indexed_library.h"
#include "test_support.h"

using namespace lima::index;

namespace {

/// An empty index, open for writing.
using Fixture = lima::test::IndexedLibrary;

ContentHash hash_of(unsigned n) {
  ContentHash h;
  h.bytes[15] = static_cast<unsigned char>(n);
  h.bytes[0] = 0x42;
  return h;
}

// Ids of query_assets(filter) after `after`, at most `limit`.
std::vector<AssetId> ids(Catalog& cat, const AssetFilter& f, AssetId after = 0, std::size_t limit = 1000000) {
  ReadTxn t(cat.env());
  std::vector<AssetId> out;
  query_assets(cat, t, f, after, [&](const Asset& a) {
    if (out.size() == limit) return false;
    out.push_back(a.id);
    return true;
  });
  return out;
}

}  // namespace

TEST_CASE("asset lists: every filter alone and together gives the live assets matching all of them, in id order") {
  Fixture fx;
  Catalog& cat = *fx.cat;
  Metadata md(cat);
  // Two projects; 60 assets of four extensions, three contents, two tags,
  // and every seventh one a tombstone.
  const char* names[] = {"part.stl", "photo.JPG", "notes.md", "model.3mf"};
  std::vector<Asset> all;
  cat.write([&](WriteTxn& t) {
    cat.put_project(t, Project{.id = 1, .name = "A", .dev = 1, .ino = 1}, nullptr);
    cat.put_project(t, Project{.id = 2, .name = "B", .dev = 1, .ino = 2}, nullptr);
    for (AssetId id = 1; id <= 60; ++id) {
      Asset a{.id = id, .project = id % 2 ? 1u : 2u, .dev = 1, .ino = 100 + id};
      a.path = "dir" + std::to_string(id) + "/" + names[id % 4];
      a.kind = kind_of(a.path);
      a.hash = hash_of(static_cast<unsigned>(id % 3));
      a.state = id % 7 == 0 ? ItemState::tombstone : ItemState::live;
      cat.put_asset(t, a, nullptr);
      if (id % 2 == 0) REQUIRE(md.tag_asset(t, id, "even"));
      if (id % 5 == 0) REQUIRE(md.tag_asset(t, id, "five"));
      all.push_back(a);
    }
  });
  TagId even = 0, five = 0;
  {
    ReadTxn t(cat.env());
    even = *md.tag_id(t, "even");
    five = *md.tag_id(t, "five");
  }
  auto expected = [&](auto pred) {
    std::vector<AssetId> out;
    for (const auto& a : all)
      if (a.state == ItemState::live && pred(a)) out.push_back(a.id);
    return out;
  };
  CHECK(ids(cat, {}) == expected([](const Asset&) { return true; }));
  CHECK(ids(cat, {.kind = Kind::image}) == expected([](const Asset& a) { return a.kind == Kind::image; }));
  CHECK(ids(cat, {.ext = "jpg"}) == expected([](const Asset& a) { return a.path.ends_with(".JPG"); }));
  CHECK(ids(cat, {.ext = "stl"}) == expected([](const Asset& a) { return a.path.ends_with(".stl"); }));
  CHECK(ids(cat, {.tags = {even}}) == expected([](const Asset& a) { return a.id % 2 == 0; }));
  CHECK(ids(cat, {.tags = {even, five}}) == expected([](const Asset& a) { return a.id % 10 == 0; }));
  CHECK(ids(cat, {.project = 1}) == expected([](const Asset& a) { return a.project == 1; }));
  CHECK(ids(cat, {.hash = hash_of(2)}) == expected([](const Asset& a) { return a.id % 3 == 2; }));
  CHECK(ids(cat, {.kind = Kind::model, .tags = {five}, .hash = hash_of(0)}) == expected([](const Asset& a) {
          return a.kind == Kind::model && a.id % 5 == 0 && a.id % 3 == 0;
        }));
  CHECK(ids(cat, {.ext = "md", .project = 2}) ==
        expected([](const Asset& a) { return a.path.ends_with(".md") && a.project == 2; }));
  CHECK(ids(cat, {.ext = "md", .project = 1}).empty());  // every .md has an even id: project 2
  CHECK(ids(cat, {.ext = "obj"}).empty());
  CHECK(ids(cat, {.hash = hash_of(9)}).empty());

  // Paging: after the last id of a page, the next page goes on.
  const auto whole = ids(cat, {.tags = {even}});
  std::vector<AssetId> paged;
  for (AssetId after = 0;;) {
    const auto page = ids(cat, {.tags = {even}}, after, 4);
    if (page.empty()) break;
    paged.insert(paged.end(), page.begin(), page.end());
    after = page.back();
  }
  CHECK(paged == whole);
}

TEST_CASE("an intersection costs what its smallest stream holds, not its largest") {
  Fixture fx;
  Catalog& cat = *fx.cat;
  // 50,000 assets tagged "common", 5 of them also tagged "rare".
  cat.env().write([&](WriteTxn& t) {
    for (AssetId id = 1; id <= 50000; ++id) {
      t.put_sorted(cat.db().tag_assets, key_u64_u64(1, id), {});
      if (id % 10000 == 0) t.put(cat.db().tag_assets, key_u64_u64(2, id), {});
    }
  });
  ReadTxn t(cat.env());
  std::vector<std::unique_ptr<IdStream>> streams;
  streams.push_back(std::make_unique<PrefixIdStream>(t, cat.db().tag_assets, key_u64(1)));
  streams.push_back(std::make_unique<PrefixIdStream>(t, cat.db().tag_assets, key_u64(2)));
  Intersection both(std::move(streams), 1);
  std::vector<std::uint64_t> found;
  while (auto id = both.next()) found.push_back(*id);
  CHECK(found == std::vector<std::uint64_t>{10000, 20000, 30000, 40000, 50000});
  CHECK(both.seeks() <= 4 * (found.size() + 1));

  // Disjoint large streams meet nowhere, and the leapfrog sees that quickly.
  std::vector<std::unique_ptr<IdStream>> odd_even;
  std::vector<std::uint64_t> low, high;
  for (std::uint64_t i = 1; i <= 20000; ++i) (i <= 10000 ? low : high).push_back(i);
  odd_even.push_back(std::make_unique<VectorIdStream>(low));
  odd_even.push_back(std::make_unique<VectorIdStream>(high));
  Intersection none(std::move(odd_even), 1);
  CHECK_FALSE(none.next());
  CHECK(none.seeks() <= 4);
}

TEST_CASE("asset pages: a page holds at most its limit, and the next one resumes after its last asset") {
  Fixture fx;
  Catalog& cat = *fx.cat;
  Metadata md(cat);
  cat.write([&](WriteTxn& t) {
    cat.put_project(t, Project{.id = 1, .name = "A", .dev = 1, .ino = 1}, nullptr);
    for (AssetId id = 1; id <= 10; ++id) {
      Asset a{.id = id, .project = 1, .dev = 1, .ino = 100 + id};
      a.path = "f" + std::to_string(id) + ".stl";
      a.state = id == 4 ? ItemState::tombstone : ItemState::live;
      cat.put_asset(t, a, nullptr);
      if (id % 3 == 0) REQUIRE(md.tag_asset(t, id, "three"));
    }
  });
  ReadTxn t(cat.env());
  auto first = query_asset_page(cat, t, {}, 0, 4);
  CHECK(first.items.size() == 4);
  CHECK(first.items.back().id == 5);  // 4 is a tombstone
  REQUIRE(first.next);
  CHECK(*first.next == 5);
  auto second = query_asset_page(cat, t, {}, *first.next, 4);
  CHECK(second.items.front().id == 6);
  REQUIRE(second.next);
  auto last = query_asset_page(cat, t, {}, *second.next, 4);
  CHECK(last.items.size() == 1);
  CHECK(last.items.front().id == 10);
  CHECK_FALSE(last.next);
  // A page that is exactly full is the last when nothing follows.
  auto exact = query_asset_page(cat, t, {.tags = {*md.tag_id(t, "three")}}, 0, 3);
  CHECK(exact.items.size() == 3);
  CHECK_FALSE(exact.next);
}

TEST_CASE("a project's assets come in path order, filtered by path, kind, extension and tags, page after page") {
  Fixture fx;
  Catalog& cat = *fx.cat;
  Metadata md(cat);
  const char* paths[] = {"b/part.stl", "a.STL", "photo.jpg", "notes.md", "c/deep/part.stl", "z.3mf"};
  cat.write([&](WriteTxn& t) {
    cat.put_project(t, Project{.id = 1, .name = "A", .dev = 1, .ino = 1}, nullptr);
    cat.put_project(t, Project{.id = 2, .name = "B", .dev = 1, .ino = 2}, nullptr);
    AssetId id = 0;
    for (const char* path : paths) {
      ++id;
      Asset a{.id = id, .project = 1, .path = path, .dev = 1, .ino = 100 + id};
      a.kind = kind_of(a.path);
      cat.put_asset(t, a, nullptr);
      if (a.kind == Kind::model) REQUIRE(md.tag_asset(t, id, "printable"));
    }
    cat.put_asset(t, Asset{.id = 50, .project = 2, .path = "other.stl", .dev = 1, .ino = 500}, nullptr);
  });
  ReadTxn t(cat.env());
  auto paths_of = [](const ProjectAssetPage& page) {
    std::vector<std::string> out;
    for (const auto& a : page.items) out.push_back(a.path);
    return out;
  };
  using V = std::vector<std::string>;
  CHECK(paths_of(query_project_assets(cat, t, 1, {}, "", 100)) ==
        V{"a.STL", "b/part.stl", "c/deep/part.stl", "notes.md", "photo.jpg", "z.3mf"});
  CHECK(paths_of(query_project_assets(cat, t, 1, {.ext = "stl"}, "", 100)) == V{"a.STL", "b/part.stl", "c/deep/part.stl"});
  CHECK(paths_of(query_project_assets(cat, t, 1, {.kind = Kind::image}, "", 100)) == V{"photo.jpg"});
  CHECK(paths_of(query_project_assets(cat, t, 1, {.path = "notes.md"}, "", 100)) == V{"notes.md"});
  CHECK(paths_of(query_project_assets(cat, t, 1, {.path = "nope"}, "", 100)).empty());
  const auto printable = *Metadata(cat).tag_id(t, "printable");
  CHECK(paths_of(query_project_assets(cat, t, 1, {.tags = {printable}}, "", 100)) ==
        V{"a.STL", "b/part.stl", "c/deep/part.stl", "z.3mf"});
  CHECK(asset_has_all_tags(cat, t, 1, std::vector<TagId>{printable}));
  CHECK_FALSE(asset_has_all_tags(cat, t, 3, std::vector<TagId>{printable}));

  auto first = query_project_assets(cat, t, 1, {.tags = {printable}}, "", 2);
  CHECK(paths_of(first) == V{"a.STL", "b/part.stl"});
  REQUIRE(first.next);
  CHECK(*first.next == "b/part.stl");
  auto second = query_project_assets(cat, t, 1, {.tags = {printable}}, *first.next, 2);
  CHECK(paths_of(second) == V{"c/deep/part.stl", "z.3mf"});
  CHECK_FALSE(second.next);
}
