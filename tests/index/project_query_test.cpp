// Project lists as GET /projects pages them: by name, by tags (planned from
// the rarest), in a collection's order, by folder name, and searched
// (search.h) with the same filters narrowing the hits; tombstones never
// listed, each page resuming where the last one stopped.
#include <catch2/catch.hpp>

#include <algorithm>

#include "index/metadata.h"
#include "index/project_query.h"
#include "index/search.h"
#include "support/indexed_library.h"
#include "test_support.h"

using namespace lima::index;

namespace {

/// An empty index, open for writing.
using Fixture = lima::test::IndexedLibrary;

std::vector<std::string> names_of(const ProjectPage& page) {
  std::vector<std::string> out;
  for (const auto& p : page.items) out.push_back(p.name);
  return out;
}

// Every page of q, `limit` at a time, joined.
std::vector<std::string> all_pages(Catalog& cat, const ProjectQuery& q, std::size_t limit) {
  ReadTxn t(cat.env());
  std::vector<std::string> out;
  std::string after;
  for (int pages = 0; pages < 1000; ++pages) {
    const auto page = query_projects(cat, t, q, after, limit);
    CHECK(page.items.size() <= limit);
    for (const auto& p : page.items) out.push_back(p.name);
    if (!page.next) break;
    CHECK(page.items.size() == limit);
    after = *page.next;
  }
  return out;
}

}  // namespace

TEST_CASE("projects with every one of several tags come by name, from a small or a large intersection") {
  Fixture fx;
  Catalog& cat = *fx.cat;
  Metadata md(cat);
  // Names in the reverse order of ids, so that name order is not id order.
  const std::size_t n = 2 * kSmallTagSet + 600;
  auto name_of = [&](ProjectId id) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "P%06zu", n - id);
    return std::string(buf);
  };
  cat.write([&](WriteTxn& t) {
    for (ProjectId id = 1; id <= n; ++id) {
      cat.put_project(t, Project{.id = id, .name = name_of(id), .dev = 1, .ino = id}, nullptr);
      REQUIRE(md.tag_project(t, id, "all"));
      if (id % 2) REQUIRE(md.tag_project(t, id, "odd"));
      if (id % 1000 == 0) REQUIRE(md.tag_project(t, id, "thousand"));
    }
    // A tombstone with every tag is never listed.
    auto gone = *cat.project(t, 1000);
    const auto before = gone;
    gone.state = ItemState::tombstone;
    cat.put_project(t, gone, &before);
  });
  ReadTxn t(cat.env());
  auto tag = [&](const char* name) { return *md.tag_id(t, name); };
  auto listed = [&](std::vector<TagId> tags, std::string after = "", std::size_t limit = 100000) {
    std::sort(tags.begin(), tags.end());
    std::vector<std::string> out;
    projects_with_tags(cat, t, tags, after, [&](const Project& p) {
      if (out.size() == limit) return false;
      out.push_back(p.name);
      return true;
    });
    return out;
  };
  auto expected = [&](auto pred, std::string after = "") {
    std::vector<std::string> out;
    for (ProjectId id = 1; id <= n; ++id)
      if (id != 1000 && pred(id) && name_of(id) > after) out.push_back(name_of(id));
    std::sort(out.begin(), out.end());
    return out;
  };
  // Small: "thousand" (4 live projects), with or without "all".
  CHECK(listed({tag("thousand")}) == expected([](ProjectId id) { return id % 1000 == 0; }));
  CHECK(listed({tag("thousand"), tag("all")}) == expected([](ProjectId id) { return id % 1000 == 0; }));
  CHECK(listed({tag("thousand"), tag("odd")}).empty());
  // Large: "all" and "odd" (more than kSmallTagSet in common): the name walk.
  const auto odd = expected([](ProjectId id) { return id % 2 == 1; });
  REQUIRE(odd.size() > kSmallTagSet);
  CHECK(listed({tag("all"), tag("odd")}) == odd);
  CHECK(listed({tag("all")}).size() == n - 1);
  // Pages resume after a name, in either plan.
  CHECK(listed({tag("all"), tag("odd")}, odd[99], 10) == std::vector<std::string>(odd.begin() + 100, odd.begin() + 110));
  const auto thousands = expected([](ProjectId id) { return id % 1000 == 0; });
  CHECK(listed({tag("thousand")}, thousands[0]) == std::vector<std::string>(thousands.begin() + 1, thousands.end()));
  CHECK(has_all_tags(cat, t, 3, std::vector<TagId>{tag("all"), tag("odd")}));
  CHECK_FALSE(has_all_tags(cat, t, 4, std::vector<TagId>{tag("all"), tag("odd")}));
}

TEST_CASE("project pages: every filter and the plan it picks give the same projects, a page at a time") {
  Fixture fx;
  Catalog& cat = *fx.cat;
  Metadata md(cat);
  // 30 projects "P00".."P29"; every third tagged "three", every second
  // "two"; P05 a tombstone; a collection of five in its own order.
  CollectionId col = 0;
  cat.write([&](WriteTxn& t) {
    for (ProjectId id = 1; id <= 30; ++id) {
      char name[8];
      std::snprintf(name, sizeof name, "P%02u", static_cast<unsigned>(id - 1));
      cat.put_project(t, Project{.id = id, .name = name, .dev = 1, .ino = id}, nullptr);
      if (id % 3 == 0) REQUIRE(md.tag_project(t, id, "three"));
      if (id % 2 == 0) REQUIRE(md.tag_project(t, id, "two"));
    }
    col = *md.create_collection(t, "picks");
    for (ProjectId id : {20, 3, 6, 12, 7}) REQUIRE(md.add_to_collection(t, col, id));
    auto gone = *cat.project(t, 6);
    const auto before = gone;
    gone.state = ItemState::tombstone;
    cat.put_project(t, gone, &before);
  });
  ReadTxn t(cat.env());
  const auto three = *md.tag_id(t, "three"), two = *md.tag_id(t, "two");
  using V = std::vector<std::string>;

  V every;
  for (int i = 0; i < 30; ++i)
    if (i != 5) every.push_back((i < 10 ? "P0" : "P") + std::to_string(i));
  CHECK(all_pages(cat, {}, 7) == every);
  CHECK(all_pages(cat, {}, 1000) == every);
  CHECK(all_pages(cat, {.tags = {two, three}}, 2) == V{"P11", "P17", "P23", "P29"});
  // A collection lists its live members in its order; its keys are positions.
  const auto picks = md.collection(t, col);
  CHECK(all_pages(cat, {.collection = picks}, 2) == V{"P19", "P02", "P11", "P06"});
  CHECK(all_pages(cat, {.tags = {three}, .collection = picks}, 1) == V{"P02", "P11"});
  auto first = query_projects(cat, t, {.collection = picks}, "", 2);
  REQUIRE(first.next);
  CHECK(*first.next == "3");  // after the tombstone at position 3, looked at last
  CHECK(names_of(query_projects(cat, t, {.collection = picks}, "3", 10)) == V{"P11", "P06"});
  // One project by its exact name, on a first page only.
  CHECK(names_of(query_projects(cat, t, {.name = "P07"}, "", 10)) == V{"P07"});
  CHECK(names_of(query_projects(cat, t, {.name = "P07"}, "P00", 10)).empty());
  CHECK(names_of(query_projects(cat, t, {.name = "P05"}, "", 10)).empty());  // a tombstone
  CHECK(names_of(query_projects(cat, t, {.tags = {three}, .name = "P07"}, "", 10)).empty());
  // A walk resumes after the last project it looked at, a tombstone skipped.
  auto walk = query_projects(cat, t, {}, "", 3);
  CHECK(names_of(walk) == V{"P00", "P01", "P02"});
  REQUIRE(walk.next);
  CHECK(*walk.next == "P02");
  CHECK(names_of(query_projects(cat, t, {}, *walk.next, 3)) == V{"P03", "P04", "P06"});
  // Search words with the other filters (as GET /projects?q=…&tag=… asks):
  // the search finds, the filters narrow, best first (all equally good
  // here: by name).
  auto searched = [&](const std::string& q, std::vector<TagId> tags) {
    SearchRequest r;
    r.scope = Scope::projects;
    r.limit = 0;
    r.keep = [&](ItemKey item) { return tags.empty() || has_all_tags(cat, t, id_of(item), tags); };
    auto page = search(cat, t, q, r);
    REQUIRE(page);
    V out;
    for (const auto& h : page->hits) out.push_back(h.name);
    return out;
  };
  CHECK(searched("p1", {}) == V{"P10", "P11", "P12", "P13", "P14", "P15", "P16", "P17", "P18", "P19"});
  CHECK(searched("p1", {three}) == V{"P11", "P14", "P17"});
  CHECK(searched("p0", {}) == V{"P00", "P01", "P02", "P03", "P04", "P06", "P07", "P08", "P09"});  // not the tombstone
}
