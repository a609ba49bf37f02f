#include <catch2/catch.hpp>

#include "index/metadata.h"
#include "support/indexed_library.h"
#include "test_support.h"

using namespace lima::index;

namespace {

struct Fixture : lima::test::IndexedLibrary {
  Fixture() {
    cat->env().write([&](WriteTxn& t) {
      for (ProjectId id : {1, 2, 3}) cat->put_project(t, Project{.id = id, .name = "P" + std::to_string(id), .ino = id}, nullptr);
      auto add = [&](AssetId id, ProjectId p, std::string path, Kind k) {
        cat->put_asset(t, Asset{.id = id, .project = p, .path = std::move(path), .ino = 100 + id, .kind = k}, nullptr);
      };
      add(10, 1, "models/a.stl", Kind::model);
      add(11, 1, "images/deep/z.png", Kind::image);
      add(12, 1, "photo.jpg", Kind::image);
      add(13, 1, "renders/cover.png", Kind::image);
      add(20, 2, "b.stl", Kind::model);
    });
  }
  template <class F>
  auto write(F f) {
    decltype(f(std::declval<WriteTxn&>())) r{};
    cat->env().write([&](WriteTxn& t) { r = f(t); });
    return r;
  }
};

}  // namespace

TEST_CASE("tagging is idempotent and tags are counted") {
  Fixture fx;
  Metadata md(*fx.cat);
  REQUIRE(fx.write([&](WriteTxn& t) { return md.tag_project(t, 1, "pla"); }));
  REQUIRE(fx.write([&](WriteTxn& t) { return md.tag_project(t, 1, "pla"); }));
  REQUIRE(fx.write([&](WriteTxn& t) { return md.tag_project(t, 2, "pla"); }));
  REQUIRE(fx.write([&](WriteTxn& t) { return md.tag_asset(t, 10, "pla"); }));
  REQUIRE(fx.write([&](WriteTxn& t) { return md.tag_asset(t, 10, "benchy"); }));
  {
    ReadTxn t(fx.cat->env());
    auto tags = md.tags(t);
    REQUIRE(tags.size() == 2);
    CHECK(tags[0].name == "benchy");
    CHECK(tags[1].name == "pla");
    CHECK(tags[1].projects == 2);
    CHECK(tags[1].assets == 1);
    CHECK(md.asset_tags(t, 10) == std::vector<std::string>{"benchy", "pla"});
  }
  // Untagging twice is fine; unknown items and bad names are errors.
  CHECK(fx.write([&](WriteTxn& t) { return md.untag_project(t, 2, "pla"); }));
  CHECK(fx.write([&](WriteTxn& t) { return md.untag_project(t, 2, "pla"); }));
  CHECK(fx.write([&](WriteTxn& t) { return md.untag_project(t, 2, "never-existed"); }));
  auto missing = fx.write([&](WriteTxn& t) { return md.tag_project(t, 99, "pla"); });
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::not_found);
  auto bad = fx.write([&](WriteTxn& t) { return md.tag_project(t, 1, "+bad"); });
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::invalid_argument);
  ReadTxn t(fx.cat->env());
  CHECK(md.project_tags(t, 2).empty());
  CHECK(md.projects_tagged(t, *md.tag_id(t, "pla")) == std::vector<ProjectId>{1});
}

TEST_CASE("tags can be renamed, merged and deleted") {
  Fixture fx;
  Metadata md(*fx.cat);
  fx.write([&](WriteTxn& t) {
    md.tag_project(t, 1, "petg");
    md.tag_project(t, 2, "PETG");
    md.tag_asset(t, 20, "PETG");
    return 0;
  });
  auto clash = fx.write([&](WriteTxn& t) { return md.rename_tag(t, "petg", "PETG"); });
  REQUIRE_FALSE(clash);
  CHECK(clash.error().code == Errc::conflict);
  REQUIRE(fx.write([&](WriteTxn& t) { return md.merge_tags(t, "petg", "PETG"); }));
  {
    ReadTxn t(fx.cat->env());
    CHECK_FALSE(md.tag_id(t, "petg"));
    CHECK(md.project_tags(t, 1) == std::vector<std::string>{"PETG"});
    CHECK(md.projects_tagged(t, *md.tag_id(t, "PETG")).size() == 2);
  }
  REQUIRE(fx.write([&](WriteTxn& t) { return md.rename_tag(t, "PETG", "petg-hf"); }));
  {
    ReadTxn t(fx.cat->env());
    CHECK(md.project_tags(t, 2) == std::vector<std::string>{"petg-hf"});
    CHECK(md.asset_tags(t, 20) == std::vector<std::string>{"petg-hf"});
  }
  REQUIRE(fx.write([&](WriteTxn& t) { return md.delete_tag(t, "petg-hf"); }));
  ReadTxn t(fx.cat->env());
  CHECK(md.tags(t).empty());
  CHECK(md.project_tags(t, 1).empty());
  CHECK(md.asset_tags(t, 20).empty());
}

TEST_CASE("collections keep their order") {
  Fixture fx;
  Metadata md(*fx.cat);
  auto id = fx.write([&](WriteTxn& t) { return md.create_collection(t, "Gifts"); });
  REQUIRE(id);
  auto dup = fx.write([&](WriteTxn& t) { return md.create_collection(t, "Gifts"); });
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == Errc::conflict);
  fx.write([&](WriteTxn& t) {
    REQUIRE(md.add_to_collection(t, *id, 3));
    REQUIRE(md.add_to_collection(t, *id, 1));
    REQUIRE(md.add_to_collection(t, *id, 2, 0));
    REQUIRE(md.add_to_collection(t, *id, 1));  // already in: no change
    return 0;
  });
  {
    ReadTxn t(fx.cat->env());
    CHECK(md.collection(t, *id)->projects == std::vector<ProjectId>{2, 3, 1});
    CHECK(md.collections_of(t, 1) == std::vector<CollectionId>{*id});
  }
  auto bad = fx.write([&](WriteTxn& t) { return md.reorder_collection(t, *id, {1, 2}); });
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::invalid_argument);
  REQUIRE(fx.write([&](WriteTxn& t) { return md.reorder_collection(t, *id, {1, 2, 3}); }));
  REQUIRE(fx.write([&](WriteTxn& t) { return md.remove_from_collection(t, *id, 2); }));
  REQUIRE(fx.write([&](WriteTxn& t) { return md.rename_collection(t, *id, "Presents"); }));
  {
    ReadTxn t(fx.cat->env());
    CHECK(md.collection_by_name(t, "Presents")->projects == std::vector<ProjectId>{1, 3});
    CHECK_FALSE(md.collection_by_name(t, "Gifts"));
  }
  REQUIRE(fx.write([&](WriteTxn& t) { return md.delete_collection(t, *id); }));
  ReadTxn t(fx.cat->env());
  CHECK(md.collections(t).empty());
  CHECK(md.collections_of(t, 1).empty());
}

TEST_CASE("notes are set, replaced and cleared") {
  Fixture fx;
  Metadata md(*fx.cat);
  NoteTarget p1{NoteTarget::Type::project, 1}, a10{NoteTarget::Type::asset, 10};
  REQUIRE(fx.write([&](WriteTxn& t) { return md.set_note(t, p1, "0.2 mm, PLA"); }));
  REQUIRE(fx.write([&](WriteTxn& t) { return md.set_note(t, a10, "needs supports"); }));
  {
    ReadTxn t(fx.cat->env());
    CHECK(md.note(t, p1) == "0.2 mm, PLA");
    CHECK(md.note(t, a10) == "needs supports");
    CHECK(md.note(t, {NoteTarget::Type::project, 10}).empty());  // ids of different kinds don't mix
  }
  REQUIRE(fx.write([&](WriteTxn& t) { return md.set_note(t, p1, ""); }));
  CHECK_FALSE(fx.write([&](WriteTxn& t) { return md.set_note(t, {NoteTarget::Type::asset, 999}, "x"); }));
  CHECK_FALSE(fx.write([&](WriteTxn& t) { return md.set_note(t, p1, "bad \xff"); }));
  ReadTxn t(fx.cat->env());
  CHECK(md.note(t, p1).empty());
}

TEST_CASE("the main image is the user's choice, else a sensible pick") {
  Fixture fx;
  Metadata md(*fx.cat);
  {
    ReadTxn t(fx.cat->env());
    CHECK(md.main_image(t, 1) == 13);  // renders/cover.png: named like a cover
    CHECK_FALSE(md.main_image_is_chosen(t, 1));
    CHECK_FALSE(md.main_image(t, 2));  // no image at all
  }
  REQUIRE(fx.write([&](WriteTxn& t) { return md.set_main_image(t, 1, 11); }));
  {
    ReadTxn t(fx.cat->env());
    CHECK(md.main_image(t, 1) == 11);
    CHECK(md.main_image_is_chosen(t, 1));
  }
  auto not_image = fx.write([&](WriteTxn& t) { return md.set_main_image(t, 1, 10); });
  REQUIRE_FALSE(not_image);
  CHECK(not_image.error().code == Errc::invalid_argument);
  auto other_project = fx.write([&](WriteTxn& t) { return md.set_main_image(t, 2, 11); });
  REQUIRE_FALSE(other_project);
  REQUIRE(fx.write([&](WriteTxn& t) { return md.set_main_image(t, 1, std::nullopt); }));
  ReadTxn t(fx.cat->env());
  CHECK(md.main_image(t, 1) == 13);
}
