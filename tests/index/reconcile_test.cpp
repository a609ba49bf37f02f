#include <catch2/catch.hpp>

#include "index/reconcile.h"

using namespace lima::index;

namespace {

ContentHash H(unsigned char b) {
  ContentHash h;
  h.bytes[0] = b;
  h.bytes[15] = 1;
  return h;
}

struct World {
  Snapshot snap;
  std::vector<SeenProject> seen;
  std::vector<SeenFile> files;
  Coverage cov;

  World() {
    // Index: project 1 "Benchy" (ino 100) with a.stl, b.png; project 2 "Dragon" (ino 200) with d.stl.
    snap.projects = {Project{.id = 1, .name = "Benchy", .dev = 1, .ino = 100},
                     Project{.id = 2, .name = "Dragon", .dev = 1, .ino = 200}};
    snap.assets = {
        Asset{.id = 10, .project = 1, .path = "a.stl", .dev = 1, .ino = 101, .size = 5, .mtime_ns = 7, .hash = H(1), .kind = Kind::model},
        Asset{.id = 11, .project = 1, .path = "img/b.png", .dev = 1, .ino = 102, .size = 6, .mtime_ns = 7, .hash = H(2), .kind = Kind::image},
        Asset{.id = 20, .project = 2, .path = "d.stl", .dev = 1, .ino = 201, .size = 8, .mtime_ns = 7, .hash = H(3), .kind = Kind::model},
    };
    snap.next_project_id = 3;
    snap.next_asset_id = 21;
  }
  std::uint32_t project(std::string name, std::uint64_t ino) {
    seen.push_back({std::move(name), 1, ino, 0});
    return static_cast<std::uint32_t>(seen.size() - 1);
  }
  void file(std::uint32_t p, std::string path, std::uint64_t ino, std::uint64_t size, ContentHash h) {
    files.push_back(SeenFile{.project = p, .path = std::move(path), .dev = 1, .ino = ino, .size = size, .mtime_ns = 7, .hash = h});
  }
  void unchanged_world() {
    auto b = project("Benchy", 100), d = project("Dragon", 200);
    file(b, "a.stl", 101, 5, H(1));
    file(b, "img/b.png", 102, 6, H(2));
    file(d, "d.stl", 201, 8, H(3));
  }
  Plan plan(Mode m = Mode::incremental) { return reconcile(snap, InodeIndex(snap.assets), seen, files, cov, m, 1000); }
};

const Asset* find_asset(const Plan& p, AssetId id) {
  for (const auto& c : p.assets)
    if (c.after.id == id) return &c.after;
  return nullptr;
}
const Project* find_project(const Plan& p, ProjectId id) {
  for (const auto& c : p.projects)
    if (c.after.id == id) return &c.after;
  return nullptr;
}

}  // namespace

TEST_CASE("reconcile: nothing changed means nothing to write") {
  World w;
  w.unchanged_world();
  auto p = w.plan();
  CHECK(p.projects.empty());
  CHECK(p.assets.empty());
  CHECK(p.counts.unchanged == 3);
  CHECK(p.counts.added + p.counts.removed + p.counts.moved + p.counts.changed == 0);
}

TEST_CASE("reconcile: a file moved to another project keeps its id (by inode)") {
  World w;
  auto b = w.project("Benchy", 100), d = w.project("Dragon", 200);
  w.file(b, "img/b.png", 102, 6, H(2));
  w.file(d, "d.stl", 201, 8, H(3));
  w.file(d, "from-benchy/a.stl", 101, 5, H(1));
  auto p = w.plan();
  REQUIRE(find_asset(p, 10));
  CHECK(find_asset(p, 10)->project == 2);
  CHECK(find_asset(p, 10)->path == "from-benchy/a.stl");
  CHECK(p.counts.moved == 1);
  CHECK(p.counts.added == 0);
  CHECK(p.counts.removed == 0);
}

TEST_CASE("reconcile: a file copied elsewhere and deleted keeps its id (by content)") {
  World w;
  auto b = w.project("Benchy", 100), d = w.project("Dragon", 200);
  w.file(b, "img/b.png", 102, 6, H(2));
  w.file(d, "d.stl", 201, 8, H(3));
  w.file(d, "copies/a.stl", 999, 5, H(1));  // new inode, same bytes, same name
  auto p = w.plan();
  REQUIRE(find_asset(p, 10));
  CHECK(find_asset(p, 10)->path == "copies/a.stl");
  CHECK(find_asset(p, 10)->state == ItemState::live);
  CHECK(p.counts.moved == 1);
  CHECK(p.counts.removed == 0);
}

TEST_CASE("reconcile: a renamed project folder keeps its id (by inode)") {
  World w;
  auto b = w.project("Benchy v2", 100), d = w.project("Dragon", 200);
  w.file(b, "a.stl", 101, 5, H(1));
  w.file(b, "img/b.png", 102, 6, H(2));
  w.file(d, "d.stl", 201, 8, H(3));
  auto p = w.plan();
  REQUIRE(find_project(p, 1));
  CHECK(find_project(p, 1)->name == "Benchy v2");
  CHECK(p.counts.projects_renamed == 1);
  CHECK(p.counts.projects_added + p.counts.projects_removed == 0);
  CHECK(p.assets.empty());  // asset paths are relative to the project: nothing to rewrite
}

TEST_CASE("reconcile: a project copied to a new folder keeps its id (by its file hashes)") {
  World w;
  auto b = w.project("Benchy (restored)", 555), d = w.project("Dragon", 200);
  w.file(b, "a.stl", 601, 5, H(1));
  w.file(b, "img/b.png", 602, 6, H(2));
  w.file(b, "extra.txt", 603, 9, H(9));
  w.file(d, "d.stl", 201, 8, H(3));
  auto p = w.plan();
  REQUIRE(find_project(p, 1));
  CHECK(find_project(p, 1)->name == "Benchy (restored)");
  CHECK(find_asset(p, 10)->project == 1);
  CHECK(find_asset(p, 11)->project == 1);
  CHECK(p.counts.added == 1);  // extra.txt
  CHECK(p.counts.projects_removed == 0);
}

TEST_CASE("reconcile: vanished items become tombstones and come back with their ids") {
  World w;
  auto b = w.project("Benchy", 100);
  w.file(b, "a.stl", 101, 5, H(1));
  w.file(b, "img/b.png", 102, 6, H(2));
  auto p = w.plan();
  CHECK(p.counts.removed == 1);
  CHECK(p.counts.projects_removed == 1);
  CHECK(find_project(p, 2)->state == ItemState::tombstone);
  CHECK(find_asset(p, 20)->state == ItemState::tombstone);

  // Apply the plan to the snapshot, then restore the folder from a backup.
  World later;
  later.snap.projects = {later.snap.projects[0], *find_project(p, 2)};
  later.snap.assets[2] = *find_asset(p, 20);
  auto b2 = later.project("Benchy", 100), d2 = later.project("Dragon", 777);
  later.file(b2, "a.stl", 101, 5, H(1));
  later.file(b2, "img/b.png", 102, 6, H(2));
  later.file(d2, "d.stl", 778, 8, H(3));
  auto q = later.plan();
  REQUIRE(find_project(q, 2));
  CHECK(find_project(q, 2)->state == ItemState::live);
  REQUIRE(find_asset(q, 20));
  CHECK(find_asset(q, 20)->state == ItemState::live);
  CHECK(q.counts.revived == 1);
  CHECK(q.counts.projects_added == 1);
}

TEST_CASE("reconcile: a reused inode with another size is not mistaken for a move") {
  World w;
  auto b = w.project("Benchy", 100), d = w.project("Dragon", 200);
  w.file(b, "img/b.png", 102, 6, H(2));
  w.file(d, "d.stl", 201, 8, H(3));
  w.file(d, "new.stl", 101, 99, H(7));  // a.stl's inode, but different size and place
  auto p = w.plan();
  CHECK(find_asset(p, 10)->state == ItemState::tombstone);
  CHECK(find_asset(p, 21));
  CHECK(p.counts.added == 1);
  CHECK(p.counts.removed == 1);
}

TEST_CASE("reconcile: an edited file keeps its id and verify flags silent changes") {
  World w;
  auto b = w.project("Benchy", 100), d = w.project("Dragon", 200);
  w.file(b, "a.stl", 101, 5, H(42));  // same size and mtime, other bytes
  w.file(b, "img/b.png", 102, 6, H(2));
  w.file(d, "d.stl", 201, 8, H(3));
  auto p = w.plan(Mode::verify);
  CHECK(p.counts.changed == 1);
  CHECK(find_asset(p, 10)->hash == H(42));
  REQUIRE(p.notices.size() == 1);
  CHECK(p.notices[0].kind == ProblemKind::content_changed);
  CHECK(p.notices[0].path == "Benchy/a.stl");
}

TEST_CASE("reconcile: a scoped run removes nothing outside its scope") {
  World w;
  w.cov.scope = "Benchy";
  auto b = w.project("Benchy", 100);
  w.file(b, "a.stl", 101, 5, H(1));
  auto p = w.plan();
  CHECK(p.counts.removed == 1);  // img/b.png
  CHECK(find_asset(p, 11)->state == ItemState::tombstone);
  CHECK_FALSE(find_asset(p, 20));
  CHECK_FALSE(find_project(p, 2));
}

TEST_CASE("reconcile: nothing under an unreadable directory is removed") {
  World w;
  w.cov.unlisted = {"Benchy/img", "Dragon"};
  auto b = w.project("Benchy", 100);
  w.project("Dragon", 200);
  w.file(b, "a.stl", 101, 5, H(1));
  auto p = w.plan();
  CHECK(p.counts.removed == 0);
  CHECK(p.counts.projects_removed == 0);
  CHECK(p.assets.empty());
}

TEST_CASE("reconcile: files that could not be hashed keep their record") {
  World w;
  w.unchanged_world();
  w.files[0].ok = false;  // a.stl unreadable this time
  auto p = w.plan();
  CHECK(p.assets.empty());
  CHECK(p.counts.removed == 0);
}

TEST_CASE("reconcile: loose files belong to the root, hard links get their own ids") {
  World w;
  w.unchanged_world();
  w.file(kLooseFiles, "loose.stl", 300, 1, H(5));
  w.file(1, "hardlink.stl", 201, 8, H(3));  // same inode as Dragon/d.stl
  auto p = w.plan();
  CHECK(p.counts.added == 2);
  CHECK(p.counts.unchanged == 3);
  bool loose = false;
  for (const auto& c : p.assets) loose |= c.after.project == kRootProject && c.after.path == "loose.stl";
  CHECK(loose);
}

TEST_CASE("reconcile: two new projects get distinct fresh ids and empty ones are noticed") {
  World w;
  w.unchanged_world();
  w.project("New A", 900);
  auto nb = w.project("New B", 901);
  w.file(nb, "x.stl", 902, 1, H(8));
  auto p = w.plan();
  CHECK(p.counts.projects_added == 2);
  CHECK(find_project(p, 3));
  CHECK(find_project(p, 4));
  CHECK(p.next_project_id == 5);
  REQUIRE(p.notices.size() == 1);
  CHECK(p.notices[0].kind == ProblemKind::empty_project);
  CHECK(p.notices[0].path == "New A");
}

TEST_CASE("reconcile: a new folder that reuses a deleted project's inode is a new project") {
  World w;
  auto fresh = w.project("Fresh Download", 100);  // Benchy's folder inode, reused
  auto d = w.project("Dragon", 200);
  w.file(fresh, "other.stl", 700, 77, H(70));
  w.file(d, "d.stl", 201, 8, H(3));
  auto p = w.plan();
  CHECK(p.counts.projects_added == 1);
  CHECK(p.counts.projects_removed == 1);
  CHECK(p.counts.projects_renamed == 0);
  CHECK(find_project(p, 1)->state == ItemState::tombstone);  // Benchy keeps its metadata
  CHECK(find_project(p, 3)->name == "Fresh Download");
}

TEST_CASE("reconcile: a new hard link does not take the original's id") {
  World w;
  auto b = w.project("Benchy", 100), d = w.project("Dragon", 200);
  w.file(b, "aaa-link.stl", 201, 8, H(3));  // listed first, same inode as Dragon/d.stl
  w.file(b, "a.stl", 101, 5, H(1));
  w.file(b, "img/b.png", 102, 6, H(2));
  w.file(d, "d.stl", 201, 8, H(3));
  auto p = w.plan();
  CHECK(p.counts.unchanged == 3);
  CHECK(p.counts.added == 1);
  CHECK(p.counts.moved == 0);
  CHECK_FALSE(find_asset(p, 20));  // d.stl untouched
}

TEST_CASE("reconcile: small files are not matched by content alone across projects") {
  World w;
  w.snap.assets.push_back(Asset{.id = 30, .project = 2, .path = "LICENSE.txt", .ino = 300, .size = 100, .hash = H(9),
                                .kind = Kind::document, .state = ItemState::tombstone});
  w.snap.assets.push_back(Asset{.id = 31, .project = 2, .path = "empty.txt", .ino = 301, .size = 0, .hash = H(0),
                                .kind = Kind::document, .state = ItemState::tombstone});
  w.unchanged_world();
  w.file(0, "COPYING", 400, 100, H(9));  // same bytes as Dragon's old licence, other name, other project
  w.file(0, "blank.txt", 401, 0, H(0));
  w.file(0, "LICENSE.txt", 402, 100, H(9));  // same name: this one may take the id
  auto p = w.plan();
  CHECK(p.counts.revived == 1);
  REQUIRE(find_asset(p, 30));
  CHECK(find_asset(p, 30)->path == "LICENSE.txt");
  CHECK_FALSE(find_asset(p, 31));
}

TEST_CASE("reconcile: a renamed project keeps its id when its files cannot prove it") {
  SECTION("an empty project renamed, then filled") {
    World w;
    w.snap.projects.push_back(Project{.id = 5, .name = "Empty", .dev = 1, .ino = 500});
    w.unchanged_world();
    auto e = w.project("Not Empty Anymore", 500);
    w.file(e, "new.stl", 501, 3, H(50));
    auto p = w.plan();
    CHECK(p.counts.projects_renamed == 1);
    CHECK(find_project(p, 5)->name == "Not Empty Anymore");
  }
  SECTION("a renamed project whose remaining files sit in an unreadable folder") {
    World w;
    w.cov.unlisted = {"Benchy v2/img"};
    auto b = w.project("Benchy v2", 100), d = w.project("Dragon", 200);
    w.file(b, "a.stl", 101, 99, H(77));  // edited meanwhile: no proof from it
    w.file(d, "d.stl", 201, 8, H(3));
    auto p = w.plan();
    CHECK(find_project(p, 1)->name == "Benchy v2");
    CHECK(p.counts.projects_removed == 0);
    CHECK_FALSE(find_asset(p, 11));  // img/b.png kept as it was
  }
  SECTION("but an empty new folder is not taken for a project that had files") {
    World w;
    w.project("Fresh", 100);  // Benchy's inode, reused
    auto d = w.project("Dragon", 200);
    w.file(d, "d.stl", 201, 8, H(3));
    auto p = w.plan();
    CHECK(find_project(p, 1)->state == ItemState::tombstone);
    CHECK(p.counts.projects_added == 1);
  }
}

namespace {

std::vector<const Problem*> removals(const Plan& p) {
  std::vector<const Problem*> out;
  for (const auto& n : p.notices)
    if (n.kind == ProblemKind::removed) out.push_back(&n);
  return out;
}

}  // namespace

TEST_CASE("reconcile: a gone file is noticed, a gone project folder once for all its files") {
  World w;
  w.snap.assets.push_back(Asset{.id = 21, .project = 2, .path = "parts/wing.stl", .dev = 1, .ino = 202, .size = 9,
                                .mtime_ns = 7, .hash = H(4), .kind = Kind::model});
  auto b = w.project("Benchy", 100);
  w.file(b, "a.stl", 101, 5, H(1));  // img/b.png is gone, and all of Dragon
  auto p = w.plan();
  CHECK(p.counts.removed == 3);
  CHECK(p.counts.projects_removed == 1);
  const auto gone = removals(p);
  REQUIRE(gone.size() == 2);
  CHECK(gone[0]->path == "Benchy/img/b.png");
  CHECK(gone[0]->detail.find("tags and notes are kept") != std::string::npos);
  CHECK_FALSE(is_error(gone[0]->kind));
  CHECK(gone[1]->path == "Dragon");
  CHECK(gone[1]->detail.find("the folder is gone") != std::string::npos);
  CHECK(gone[1]->detail.find("its 2 files") != std::string::npos);
}

TEST_CASE("reconcile: moved, renamed and unreadable files are not noticed as removed") {
  SECTION("a move and a project rename") {
    World w;
    auto b = w.project("Benchy v2", 100), d = w.project("Dragon", 200);
    w.file(b, "img/b.png", 102, 6, H(2));
    w.file(d, "d.stl", 201, 8, H(3));
    w.file(d, "from-benchy/a.stl", 101, 5, H(1));
    const auto p = w.plan();
    CHECK(removals(p).empty());
  }
  SECTION("a file that could not be read, a folder that could not be listed") {
    World w;
    w.cov.unlisted = {"Dragon"};
    auto b = w.project("Benchy", 100);
    w.project("Dragon", 200);
    w.file(b, "a.stl", 101, 5, H(1));
    w.file(b, "img/b.png", 102, 6, H(2));
    w.files[0].ok = false;
    const auto p = w.plan();
    CHECK(removals(p).empty());
  }
  SECTION("a gone file in a renamed project is named by the project's new name") {
    World w;
    auto b = w.project("Benchy v2", 100), d = w.project("Dragon", 200);
    w.file(b, "a.stl", 101, 5, H(1));
    w.file(d, "d.stl", 201, 8, H(3));
    const auto p = w.plan();
    const auto gone = removals(p);
    REQUIRE(gone.size() == 1);
    CHECK(gone[0]->path == "Benchy v2/img/b.png");
  }
}

TEST_CASE("reconcile: removals are noticed only inside a scoped run's scope, loose files too") {
  World w;
  w.snap.assets.push_back(
      Asset{.id = 30, .project = kRootProject, .path = "loose.stl", .dev = 1, .ino = 300, .size = 4, .hash = H(30)});
  SECTION("whole library") {
    w.unchanged_world();
    const auto p = w.plan();
    const auto gone = removals(p);
    REQUIRE(gone.size() == 1);
    CHECK(gone[0]->path == "loose.stl");
  }
  SECTION("scoped to one project") {
    w.cov.scope = "Benchy";
    auto b = w.project("Benchy", 100);
    w.file(b, "a.stl", 101, 5, H(1));
    const auto p = w.plan();
    const auto gone = removals(p);
    REQUIRE(gone.size() == 1);
    CHECK(gone[0]->path == "Benchy/img/b.png");  // not loose.stl, not Dragon
  }
  SECTION("scoped to a project whose folder is gone") {
    w.cov.scope = "Dragon";
    const auto p = w.plan();
    const auto gone = removals(p);
    REQUIRE(gone.size() == 1);
    CHECK(gone[0]->path == "Dragon");
    CHECK(gone[0]->detail.find("its 1 file ") != std::string::npos);
  }
}

TEST_CASE("reconcile: empty files and folders of empty files that come back keep their ids (by inode)") {
  // Indexed before: "Empty" (ino 300) whose only file is empty, and an empty
  // file beside Benchy's files; both went away (tombstones) and came back.
  World w;
  w.snap.projects.push_back(Project{.id = 3, .name = "Empty", .dev = 1, .ino = 300, .state = ItemState::tombstone});
  w.snap.assets.push_back(Asset{.id = 30, .project = 3, .path = "empty.stl", .dev = 1, .ino = 301, .size = 0,
                                .mtime_ns = 7, .hash = H(0), .kind = Kind::model, .state = ItemState::tombstone});
  w.snap.assets.push_back(Asset{.id = 12, .project = 1, .path = "empty.stl", .dev = 1, .ino = 103, .size = 0,
                                .mtime_ns = 7, .hash = H(0), .kind = Kind::model, .state = ItemState::tombstone});
  w.snap.next_project_id = 4;
  w.snap.next_asset_id = 31;
  w.unchanged_world();
  SECTION("moved back under their names") {
    auto e = w.project("Empty", 300);
    w.file(e, "empty.stl", 301, 0, H(0));
  }
  SECTION("moved back under another folder name: its file proves it") {
    auto e = w.project("Empty (restored)", 300);
    w.file(e, "empty.stl", 301, 0, H(0));
  }
  w.file(0, "empty.stl", 103, 0, H(0));  // Benchy's
  auto p = w.plan();
  REQUIRE(find_project(p, 3));
  CHECK(find_project(p, 3)->state == ItemState::live);
  REQUIRE(find_asset(p, 30));
  CHECK(find_asset(p, 30)->state == ItemState::live);
  REQUIRE(find_asset(p, 12));
  CHECK(find_asset(p, 12)->state == ItemState::live);
  CHECK(p.counts.projects_added == 1);  // the revival
  CHECK(p.counts.revived == 2);
  CHECK(p.next_project_id == 4);  // nothing new
  CHECK(p.next_asset_id == 31);
}

TEST_CASE("reconcile: a new empty folder on a deleted project's inode, under another name, is a new project") {
  World w;
  w.snap.projects.push_back(Project{.id = 3, .name = "Empty", .dev = 1, .ino = 300, .state = ItemState::tombstone});
  w.snap.next_project_id = 4;
  w.unchanged_world();
  w.project("Something else", 300);
  auto p = w.plan();
  CHECK_FALSE(find_project(p, 3));
  REQUIRE(find_project(p, 4));
  CHECK(find_project(p, 4)->name == "Something else");
}
