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
  CHECK(x->second == y->second);  // same path, same st_ino, in another mount too
  auto xa = a.remember(x->first, dir("Benchy", 1));
  auto xb = a.remember(x->first, dir("Cube", 2));
  CHECK(xa->second != xb->second);
  CHECK(xa->second != x->second);
  CHECK(xa->second != kRootIno);
  CHECK(a.ino_of(x->first, "Benchy") == xa->second);
}

TEST_CASE("an inode number never equals an ancestor's", "[node_table]") {
  NodeTable t(root());
  NodeId parent = kRootNode;
  std::vector<std::uint64_t> chain{kRootIno};
  for (int depth = 0; depth < 200; ++depth) {
    auto n = t.remember(parent, dir("d", 1));  // the same name all the way down
    REQUIRE(n);
    for (auto ino : chain) CHECK(ino != n->second);
    chain.push_back(n->second);
    parent = n->first;
  }
}

TEST_CASE("nodes live while the kernel holds a reference", "[node_table]") {
  NodeTable t(root());
  auto a = t.remember(kRootNode, dir("tags", 0));
  auto again = t.remember(kRootNode, dir("tags", 0));
  CHECK(a->first == again->first);
  t.forget(a->first, 1);
  CHECK(t.get(a->first));
  t.forget(a->first, 1);
  CHECK_FALSE(t.get(a->first));
  CHECK(t.size() == 1);  // the root stays
  t.forget(kRootNode, 100);
  CHECK(t.get(kRootNode));
}

TEST_CASE("a name that now means another place gets a new node", "[node_table]") {
  NodeTable t(root());
  auto a = t.remember(kRootNode, dir("Benchy", 1));
  auto b = t.remember(kRootNode, dir("Benchy", 2));
  CHECK(a->first != b->first);
  CHECK(t.get(a->first)->entry.place.id == 1);  // the old one lives until forgotten
  CHECK(t.children(kRootNode).size() == 1);
  t.forget(a->first, 1);
  CHECK(t.get(b->first));
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
  const auto gen = t.get(a->first)->generation;
  t.keep_listing(a->first, make(3), gen);
  REQUIRE(t.listing(a->first));
  CHECK(t.listing(a->first)->entries().size() == 3);

  // A listing read before an invalidation is not kept after it.
  const auto stale = t.get(b->first)->generation;
  t.invalidate(b->first);
  t.keep_listing(b->first, make(2), stale);
  CHECK_FALSE(t.listing(b->first));

  // Over budget: the least recently used listing goes.
  t.keep_listing(b->first, make(4), t.get(b->first)->generation);
  CHECK(t.listing(b->first));
  CHECK_FALSE(t.listing(a->first));
  CHECK(t.listing_entries() == 4);
}

TEST_CASE("listings keep the first of entries sharing a name", "[node_table]") {
  Listing l({dir("x", 1), dir("y", 2), dir("x", 3)});
  CHECK(l.entries().size() == 2);
  CHECK(l.find("x")->place.id == 1);
  CHECK(l.find("z") == nullptr);
}
