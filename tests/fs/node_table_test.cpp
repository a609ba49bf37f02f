#include "fs/node_table.h"

#include <catch2/catch.hpp>

using namespace lima::fs;

namespace {

Entry dir(std::string name, std::uint64_t project) {
  Entry e;
  e.name = std::move(name);
  e.place = Place{Place::Kind::mirror, {}, project, {}};
  e.type = EntryType::dir;
  return e;
}

Entry root() { return Entry{}; }

}  // namespace

TEST_CASE("inode numbers are a function of the path", "[node_table]") {
  NodeTable a(root()), b(root());
  auto x = a.remember(kRootNode, dir("projects", 0));
  auto y = b.remember(kRootNode, dir("projects", 0));
  REQUIRE(x);
  REQUIRE(y);
  CHECK(x->ino == y->ino);  // same path, same st_ino, in another mount too
  auto xa = a.remember(x->id, dir("Benchy", 1));
  auto xb = a.remember(x->id, dir("Cube", 2));
  CHECK(xa->ino != xb->ino);
  CHECK(xa->ino != x->ino);
  CHECK(xa->ino != kRootIno);
  CHECK(a.ino_of(x->id, "Benchy") == xa->ino);
}

TEST_CASE("an inode number never equals an ancestor's", "[node_table]") {
  NodeTable t(root());
  NodeId parent = kRootNode;
  std::vector<std::uint64_t> chain{kRootIno};
  for (int depth = 0; depth < 200; ++depth) {
    auto n = t.remember(parent, dir("d", 1));  // the same name all the way down
    REQUIRE(n);
    for (auto ino : chain) CHECK(ino != n->ino);
    chain.push_back(n->ino);
    parent = n->id;
  }
}

TEST_CASE("nodes live while the kernel holds a reference", "[node_table]") {
  NodeTable t(root());
  auto a = t.remember(kRootNode, dir("tags", 0));
  auto again = t.remember(kRootNode, dir("tags", 0));
  CHECK(a->id == again->id);
  t.forget(a->id, 1);
  CHECK(t.get(a->id));
  t.forget(a->id, 1);
  CHECK_FALSE(t.get(a->id));
  CHECK(t.size() == 1);  // the root stays
  t.forget(kRootNode, 100);
  CHECK(t.get(kRootNode));
}

TEST_CASE("a name that now means another place gets a new node", "[node_table]") {
  NodeTable t(root());
  auto a = t.remember(kRootNode, dir("Benchy", 1));
  auto b = t.remember(kRootNode, dir("Benchy", 2));
  CHECK(a->id != b->id);
  CHECK(t.get(a->id)->entry.place.id == 1);  // the old one lives until forgotten
  CHECK(t.children(kRootNode).size() == 1);
  t.forget(a->id, 1);
  CHECK(t.get(b->id));
}

TEST_CASE("listings kept by generation and within a budget", "[node_table]") {
  NodeTable t(root(), 5);
  auto a = t.remember(kRootNode, dir("a", 1));
  auto b = t.remember(kRootNode, dir("b", 2));
  auto make = [](int n) {
    std::vector<Entry> v;
    for (int i = 0; i < n; ++i) v.push_back(dir("e" + std::to_string(i), 9));
    return std::make_shared<const Listing>(std::move(v));
  };
  const auto gen = t.get(a->id)->generation;
  t.keep_listing(a->id, make(3), gen);
  REQUIRE(t.listing(a->id));
  CHECK(t.listing(a->id)->entries().size() == 3);

  // A listing read before an invalidation is not kept after it.
  const auto stale = t.get(b->id)->generation;
  t.invalidate(b->id);
  t.keep_listing(b->id, make(2), stale);
  CHECK_FALSE(t.listing(b->id));

  // Over budget: the least recently used listing goes.
  t.keep_listing(b->id, make(4), t.get(b->id)->generation);
  CHECK(t.listing(b->id));
  CHECK_FALSE(t.listing(a->id));
  CHECK(t.listing_entries() == 4);
}

TEST_CASE("listings keep the first of entries sharing a name", "[node_table]") {
  Listing l({dir("x", 1), dir("y", 2), dir("x", 3)});
  CHECK(l.entries().size() == 2);
  CHECK(l.find("x")->place.id == 1);
  CHECK(l.find("z") == nullptr);
}

TEST_CASE("a directory's shown mtime moves when its listing changed, and only then", "[node_table]") {
  NodeTable t(root());
  Entry e = dir("tags", 0);
  e.mtime_ns = 1000;
  auto a = t.remember(kRootNode, e);
  CHECK(a->mtime_ns == 1000);
  t.invalidate(a->id);  // dropping a listing moves nothing
  CHECK(t.get(a->id)->mtime_ns() == 1000);
  CHECK(t.moved({a->id}, 50'000) == 50'000);  // the time of the change
  CHECK(t.get(a->id)->mtime_ns() == 50'000);
  CHECK(t.moved({a->id}, 40'000) == 50'001);  // never back, even when the clock is
  CHECK(t.remember(kRootNode, e)->mtime_ns == 50'001);
  e.mtime_ns = 90'000;  // the index's own time moved past it
  CHECK(t.remember(kRootNode, e)->mtime_ns == 90'000);
  CHECK(t.moved({a->id}, 60'000) == 90'001);
}

TEST_CASE("every node of a place shows the same moved mtime, also after the kernel forgot it", "[node_table]") {
  NodeTable t(root());
  auto projects = t.remember(kRootNode, dir("projects", 0));
  auto untagged = t.remember(kRootNode, dir("untagged", 0));
  Entry cube = dir("Cube", 7);
  cube.mtime_ns = 100;
  auto a = t.remember(projects->id, cube);
  auto b = t.remember(untagged->id, cube);
  CHECK(a->id != b->id);
  CHECK(t.moved({a->id, b->id}, 5000) == 5000);
  CHECK(t.get(a->id)->mtime_ns() == 5000);
  CHECK(t.get(b->id)->mtime_ns() == 5000);
  t.forget(b->id, 1);
  CHECK_FALSE(t.get(b->id));
  CHECK(t.remember(untagged->id, cube)->mtime_ns == 5000);  // a new node, the place's time
  // Other places keep theirs.
  CHECK(t.remember(kRootNode, dir("Dragon", 8))->mtime_ns == 0);
}

TEST_CASE("a detached name gets a new node when it comes back", "[node_table]") {
  NodeTable t(root());
  auto tags = t.remember(kRootNode, dir("tags", 0));
  auto a = t.remember(tags->id, dir("Cube", 7));
  t.detach(a->id);
  CHECK(t.get(a->id));  // the kernel still holds it
  auto b = t.remember(tags->id, dir("Cube", 7));
  CHECK(b->id != a->id);
  t.forget(a->id, 1);
  CHECK(t.get(b->id));
  CHECK(t.remember(tags->id, dir("Cube", 7))->id == b->id);
}

TEST_CASE("a reply that may predate a change does not overwrite a node", "[node_table]") {
  NodeTable t(root());
  Entry e = dir("tags", 0);
  e.mtime_ns = 1000;
  auto a = t.remember(kRootNode, e);
  Entry old = e;
  old.mtime_ns = 10;
  t.remember(kRootNode, old, false);
  CHECK(t.get(a->id)->entry.mtime_ns == 1000);
  t.remember(kRootNode, old, true);
  CHECK(t.get(a->id)->entry.mtime_ns == 10);
}
