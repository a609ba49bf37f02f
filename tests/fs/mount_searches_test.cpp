// Saved searches in the mount: searches/ lists them, searches/<name>/ holds
// what the query finds now, the same as search/<query>/, and both follow
// every change of the index at once.
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>

#include "index/saved_searches.h"
#include "mount_fixture.h"

using namespace lima::test;
using namespace std::chrono_literals;
using Names = std::vector<std::string>;

namespace {

bool has(const Names& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

void save(MountedLibrary& m, const std::string& name, const std::string& query) {
  m.write([&](lima::index::WriteTxn& t, lima::index::Metadata&) {
    REQUIRE(lima::index::SavedSearches(m.catalog()).create(t, name, query));
  });
}

}  // namespace

TEST_CASE("searches/ lists the saved searches, each holding what its query finds like search/", "[mount][searches]") {
  MountedLibrary m;
  CHECK(sorted_names(m / "searches").empty());
  m.tag_project("Benchy", "boat");
  m.tag_asset("Dragon", "parts/head.stl", "boat");
  save(m, "boats", "boat");
  save(m, "castle things", "castle");

  // The daemon's invalidator pushes each change out on its own thread.
  CHECK(wait_until([&] { return sorted_names(m / "searches") == Names{"boats", "castle things"}; }, 5s));
  CHECK(sorted_names(m / "searches/boats") == (Names{"Benchy", "Dragon - head.stl"}));
  CHECK(sorted_names(m / "searches/boats") == sorted_names(m / "search/boat"));  // one listing serves both
  CHECK(stdfs::is_directory(stdfs::symlink_status(m / "searches/boats/Benchy/sub")));
  CHECK(link_target(m / "searches/boats/Benchy/sub/3DBenchy.stl") == (m.lib() / "Benchy/sub/3DBenchy.stl").string());
  CHECK(link_target(m / "searches/boats/Dragon - head.stl") == (m.lib() / "Dragon/parts/head.stl").string());
  CHECK(has(sorted_names(m / "searches/castle things"), "Schloß Drache - castle.stl"));
  CHECK(lstat_errno(m / "searches/nosuch") == ENOENT);
  CHECK(lstat_errno(m / "searches/boats/Cube") == ENOENT);
  CHECK(::mkdir((m / "searches/new").c_str(), 0755) == -1);
  CHECK(errno == EROFS);
  // A cold cache finds the same.
  m.remount();
  CHECK(sorted_names(m / "searches") == (Names{"boats", "castle things"}));
  CHECK(sorted_names(m / "searches/boats") == (Names{"Benchy", "Dragon - head.stl"}));
}

TEST_CASE("searches/ follows tag edits, renames, new queries and deletions at once", "[mount][searches][fresh]") {
  MountedLibrary m;
  m.tag_project("Benchy", "boat");
  save(m, "boats", "boat");
  // Warm: the kernel and the daemon keep these listings.
  REQUIRE(sorted_names(m / "searches") == (Names{"boats"}));
  REQUIRE(sorted_names(m / "searches/boats") == (Names{"Benchy"}));
  REQUIRE(lstat_errno(m / "searches/boats/Benchy") == 0);

  m.tag_project("Cube", "boat");
  CHECK(wait_until([&] { return sorted_names(m / "searches/boats") == Names{"Benchy", "Cube"}; }, 5s));
  m.untag_project("Benchy", "boat");
  CHECK(wait_until([&] { return sorted_names(m / "searches/boats") == Names{"Cube"} &&
                                lstat_errno(m / "searches/boats/Benchy") == ENOENT; }, 5s));

  m.write([&](lima::index::WriteTxn& t, lima::index::Metadata&) {
    REQUIRE(lima::index::SavedSearches(m.catalog()).rename(t, "boats", "ships"));
  });
  CHECK(wait_until([&] { return sorted_names(m / "searches") == Names{"ships"} &&
                                lstat_errno(m / "searches/boats") == ENOENT; }, 5s));
  CHECK(wait_until([&] { return sorted_names(m / "searches/ships") == Names{"Cube"}; }, 5s));

  m.write([&](lima::index::WriteTxn& t, lima::index::Metadata&) {
    REQUIRE(lima::index::SavedSearches(m.catalog()).set_query(t, "ships", "dragon"));
  });
  CHECK(wait_until([&] {
    const auto now = sorted_names(m / "searches/ships");
    return has(now, "Dragon") && !has(now, "Cube") && lstat_errno(m / "searches/ships/Cube") == ENOENT;
  }, 5s));

  m.write([&](lima::index::WriteTxn& t, lima::index::Metadata&) {
    REQUIRE(lima::index::SavedSearches(m.catalog()).remove(t, "ships"));
  });
  // The listing and the name each get their own invalidation, pushed by the
  // daemon's invalidator: both come, in either order.
  CHECK(wait_until([&] { return sorted_names(m / "searches").empty() && lstat_errno(m / "searches/ships") == ENOENT; },
                   5s));
}
