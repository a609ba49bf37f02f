// What a tag directory and untagged/ of the mount hold, read in one call:
// the live projects and files carrying every tag, the tags that narrow the
// set, and the projects without a tag.
#include <catch2/catch.hpp>

#include "index/metadata.h"
#include "index/tag_listing.h"
#include "support/indexed_library.h"
#include "test_support.h"

using namespace lima::index;

namespace {

/// An empty index, open for writing.
using Fixture = lima::test::IndexedLibrary;

void tombstone(Catalog& cat, WriteTxn& t, ProjectId id) {
  auto p = *cat.project(t, id);
  const auto before = p;
  p.state = ItemState::tombstone;
  cat.put_project(t, p, &before);
}

}  // namespace

TEST_CASE("a tag set lists the live projects and files carrying every tag, and the tags that narrow it") {
  Fixture fx;
  Catalog& cat = *fx.cat;
  Metadata md(cat);
  cat.write([&](WriteTxn& t) {
    for (ProjectId id = 1; id <= 5; ++id)
      cat.put_project(t, Project{.id = id, .name = "P" + std::to_string(id), .dev = 1, .ino = id}, nullptr);
    cat.put_asset(t, Asset{.id = 10, .project = 1, .path = "a.stl", .dev = 1, .ino = 10}, nullptr);
    cat.put_asset(t, Asset{.id = 11, .project = 4, .path = "b.stl", .dev = 1, .ino = 11}, nullptr);  // project gone below
    cat.put_asset(t, Asset{.id = 12, .project = kRootProject, .path = "loose.stl", .dev = 1, .ino = 12}, nullptr);
    const Asset live{.id = 13, .project = 1, .path = "dead.stl", .dev = 1, .ino = 13};
    cat.put_asset(t, live, nullptr);
    for (ProjectId id : {1, 2, 3, 4}) REQUIRE(md.tag_project(t, id, "pla"));
    for (AssetId id : {10, 11, 12, 13}) REQUIRE(md.tag_asset(t, id, "pla"));
    for (ProjectId id : {1, 2}) REQUIRE(md.tag_project(t, id, "red"));
    REQUIRE(md.tag_asset(t, 12, "red"));
    REQUIRE(md.tag_project(t, 3, "blue"));
    REQUIRE(md.tag_project(t, 5, "blue"));
    REQUIRE(md.tag_asset(t, 13, "blue"));  // only on a tombstone: narrows nothing
    REQUIRE(md.tag_project(t, 4, "green"));  // only on a tombstone: narrows nothing
    tombstone(cat, t, 4);
    Asset dead = live;
    dead.state = ItemState::tombstone;
    cat.put_asset(t, dead, &live);
  });
  ReadTxn t(cat.env());
  const auto tag = [&](const char* name) { return *md.tag_id(t, name); };
  const auto ids = [](const auto& items) {
    std::vector<std::uint64_t> out;
    for (const auto& x : items) out.push_back(x.id);
    return out;
  };
  using Ids = std::vector<std::uint64_t>;

  const std::vector<TagId> pla{tag("pla")};
  const auto set = list_tag_set(cat, t, pla);
  CHECK(ids(set.projects) == Ids{1, 2, 3});
  CHECK(ids(set.assets) == Ids{10, 12});
  CHECK(set.project_names.at(1) == "P1");
  CHECK(set.project_names.at(kRootProject).empty());
  // "red" is on 1, 2 and the loose file, "blue" on 3: both narrow.
  using Named = std::vector<std::pair<TagId, std::string>>;
  CHECK(set.narrowing == Named{{tag("red"), "red"}, {tag("blue"), "blue"}});

  const std::vector<TagId> pla_red{tag("pla"), tag("red")};
  const auto narrowed = list_tag_set(cat, t, pla_red);
  CHECK(ids(narrowed.projects) == Ids{1, 2});
  CHECK(ids(narrowed.assets) == Ids{12});
  CHECK(narrowed.narrowing.empty());  // every member carries pla and red, none blue

  CHECK(ids(list_tag_set(cat, t, std::vector<TagId>{tag("blue")}).projects) == Ids{3, 5});
  CHECK(ids(list_tag_set(cat, t, std::vector<TagId>{tag("green")}).projects).empty());
  const auto none = list_tag_set(cat, t, {});
  CHECK(none.projects.empty());
  CHECK(none.assets.empty());
}

TEST_CASE("untagged lists the live projects that carry no tag, by name") {
  Fixture fx;
  Catalog& cat = *fx.cat;
  Metadata md(cat);
  cat.write([&](WriteTxn& t) {
    const char* names[] = {"zeta", "alpha", "mid", "gone", "tagged"};
    for (ProjectId id = 1; id <= 5; ++id)
      cat.put_project(t, Project{.id = id, .name = names[id - 1], .dev = 1, .ino = id}, nullptr);
    cat.put_asset(t, Asset{.id = 1, .project = 1, .path = "a.stl", .dev = 1, .ino = 10}, nullptr);
    REQUIRE(md.tag_project(t, 5, "x"));
    REQUIRE(md.tag_asset(t, 1, "y"));  // an asset's tag does not tag its project
    tombstone(cat, t, 4);
  });
  ReadTxn t(cat.env());
  std::vector<std::string> names;
  for (const auto& p : untagged_projects(cat, t)) names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"alpha", "mid", "zeta"});
  CHECK(is_untagged(cat, t, 1));
  CHECK_FALSE(is_untagged(cat, t, 5));
}
