// The problem report on real libraries: what syncs store (files and folders
// gone since the last sync) and what is read off the index (duplicates
// across projects, projects without images or models).
#include <catch2/catch.hpp>

#include <chrono>
#include <tuple>

#include "index/problems.h"
#include "index/runs.h"
#include "index/sync.h"
#include "support/indexed_library.h"
#include "test_support.h"

using namespace lima::index;
using lima::test::random_bytes;
using lima::test::TempDir;
using lima::test::write_file;
namespace stdfs = std::filesystem;

namespace {

struct Lib : lima::test::IndexedLibrary {
  Run sync(std::string scope = "") {
    SyncOptions o;
    o.scope = std::move(scope);
    return sync_with(std::move(o));
  }
  std::vector<Problem> report() {
    ReadTxn t(cat->env());
    return library_problems(*cat, t);
  }
  std::vector<Problem> stored() {
    ReadTxn t(cat->env());
    return RunLog(*cat).problems(t);
  }
};

using Row = std::tuple<std::string, std::string>;  // path, kind

std::vector<Row> rows(const std::vector<Problem>& ps) {
  std::vector<Row> out;
  for (const auto& p : ps) out.emplace_back(p.path, std::string(to_string(p.kind)));
  return out;
}

const Problem* find(const std::vector<Problem>& ps, std::string_view path, ProblemKind kind) {
  for (const auto& p : ps)
    if (p.path == path && p.kind == kind) return &p;
  return nullptr;
}

}  // namespace

TEST_CASE("problems: kinds have stable names and only sync failures are errors") {
  CHECK(to_string(ProblemKind::loose_file) == "loose_file");
  CHECK(to_string(ProblemKind::empty_project) == "empty_project");
  CHECK(to_string(ProblemKind::removed) == "removed");
  CHECK(to_string(ProblemKind::duplicate_content) == "duplicate_content");
  CHECK(to_string(ProblemKind::no_images) == "no_images");
  CHECK(to_string(ProblemKind::no_models) == "no_models");
  CHECK(static_cast<int>(ProblemKind::removed) == 10);  // persisted in runs and the problems table
  for (ProblemKind k : kProblemKinds) CHECK(parse_problem_kind(to_string(k)) == k);
  CHECK_FALSE(parse_problem_kind("Loose_File"));
  CHECK_FALSE(parse_problem_kind(""));
  for (ProblemKind k : {ProblemKind::removed, ProblemKind::duplicate_content, ProblemKind::no_images,
                        ProblemKind::no_models, ProblemKind::loose_file})
    CHECK_FALSE(is_error(k));
  CHECK(is_error(ProblemKind::unreadable));
}

TEST_CASE("problems: files and folders gone are reported until the next sync") {
  Lib lib;
  write_file(lib.root / "Benchy/benchy.stl", random_bytes(3000, 1));
  write_file(lib.root / "Benchy/cover.png", random_bytes(2000, 2));
  write_file(lib.root / "Benchy/old.stl", random_bytes(1000, 3));
  write_file(lib.root / "Dragon/dragon.stl", random_bytes(5000, 4));
  write_file(lib.root / "Dragon/render.png", random_bytes(900, 5));
  write_file(lib.root / "Dragon/parts/wing.stl", random_bytes(700, 6));
  REQUIRE(lib.sync().status == RunStatus::ok);
  CHECK(lib.report().empty());

  stdfs::remove(lib.root / "Benchy/old.stl");
  stdfs::remove_all(lib.root / "Dragon");
  const Run r = lib.sync();
  CHECK(r.status == RunStatus::ok);  // a notice, not an error
  CHECK(r.counts.errors == 0);
  CHECK(r.counts.removed == 4);
  CHECK(r.counts.projects_removed == 1);
  CHECK(rows(lib.report()) == std::vector<Row>{{"Benchy/old.stl", "removed"}, {"Dragon", "removed"}});
  const auto report = lib.report();
  CHECK(report[0].detail.find("tags and notes are kept") != std::string::npos);
  CHECK(report[1].detail == "the folder is gone; its 3 files and their tags, notes and collections are kept in "
                            "case it comes back");
  CHECK(report[1].run == r.id);
  CHECK(rows(r.problems) == rows(report));  // the run's record lists them too

  // The next sync finds nothing new gone: the list is "since the last sync".
  CHECK(lib.sync().counts.removed == 0);
  CHECK(lib.report().empty());

  // A scoped sync replaces only what lies in its scope.
  stdfs::remove(lib.root / "Benchy/cover.png");
  lib.sync("Benchy");
  CHECK(rows(lib.report()) == std::vector<Row>{{"Benchy", "no_images"}, {"Benchy/cover.png", "removed"}});
  lib.sync("Benchy");
  CHECK(rows(lib.report()) == std::vector<Row>{{"Benchy", "no_images"}});
}

TEST_CASE("problems: the report adds duplicates across projects and projects without images or models") {
  Lib lib;
  const std::string boat = random_bytes(4000, 1);
  write_file(lib.root / "A/model.stl", boat);
  write_file(lib.root / "A/cover.png", random_bytes(1000, 2));
  write_file(lib.root / "B/copy.stl", boat);
  write_file(lib.root / "B/again.stl", boat);
  write_file(lib.root / "C/plate.stl", random_bytes(500, 3));  // twice in one project: not reported
  write_file(lib.root / "C/plate copy.stl", random_bytes(500, 3));
  write_file(lib.root / "D/notes.txt", "just notes\n");
  stdfs::create_directories(lib.root / "E");
  write_file(lib.root / "F/empty.stl", "");  // empty files are alike everywhere: not duplicates
  write_file(lib.root / "G/empty.stl", "");
  write_file(lib.root / "loose.stl", boat);
  REQUIRE(lib.sync().status == RunStatus::ok);

  const auto report = lib.report();
  CHECK(rows(report) == std::vector<Row>{
                            {"A/model.stl", "duplicate_content"},
                            {"B", "no_images"},
                            {"B/again.stl", "duplicate_content"},
                            {"B/copy.stl", "duplicate_content"},
                            {"C", "no_images"},
                            {"D", "no_images"},
                            {"D", "no_models"},
                            {"E", "empty_project"},  // not no_images / no_models as well
                            {"F", "no_images"},
                            {"G", "no_images"},
                            {"loose.stl", "duplicate_content"},
                            {"loose.stl", "loose_file"},
                        });
  CHECK(find(report, "A/model.stl", ProblemKind::duplicate_content)->detail ==
        "same content as B/again.stl (+2 more)");
  CHECK(find(report, "B/copy.stl", ProblemKind::duplicate_content)->detail == "same content as A/model.stl (+1 more)");
  CHECK(find(report, "loose.stl", ProblemKind::duplicate_content)->detail == "same content as A/model.stl (+2 more)");
  CHECK(find(report, "D", ProblemKind::no_models)->detail == "its only file is not a 3D model");
  CHECK(find(report, "C", ProblemKind::no_images)->detail == "none of its 2 files is an image");
  // Derived problems are not stored: the table holds what the sync found.
  CHECK(rows(lib.stored()) == std::vector<Row>{{"E", "empty_project"}, {"loose.stl", "loose_file"}});

  CHECK(count_by_kind(report) == std::vector<std::pair<ProblemKind, std::size_t>>{{ProblemKind::empty_project, 1},
                                                                                  {ProblemKind::loose_file, 1},
                                                                                  {ProblemKind::duplicate_content, 4},
                                                                                  {ProblemKind::no_images, 5},
                                                                                  {ProblemKind::no_models, 1}});

  // Fixing the library fixes the report (nothing fixes the library itself).
  stdfs::remove(lib.root / "B/copy.stl");
  stdfs::remove(lib.root / "B/again.stl");
  write_file(lib.root / "D/part.stl", random_bytes(300, 4));
  lib.sync();
  const auto after = lib.report();
  CHECK_FALSE(find(after, "A/model.stl", ProblemKind::duplicate_content) == nullptr);  // still in the root
  CHECK(find(after, "A/model.stl", ProblemKind::duplicate_content)->detail == "same content as loose.stl");
  CHECK(find(after, "D", ProblemKind::no_models) == nullptr);
  CHECK(find(after, "B/copy.stl", ProblemKind::removed));
}

TEST_CASE("problems: the report over 100,000 assets takes one pass") {
  Lib lib;
  constexpr std::uint64_t kProjects = 1000, kPerProject = 100;
  lib.cat->write([&](WriteTxn& t) {
    std::vector<AssetChange> changes;
    changes.reserve(kProjects * kPerProject);
    for (std::uint64_t p = 1; p <= kProjects; ++p) {
      lib.cat->put_project(t, Project{.id = p, .name = "Project " + std::to_string(p), .ino = p}, nullptr);
      for (std::uint64_t i = 0; i < kPerProject; ++i) {
        Asset a;
        a.id = (p - 1) * kPerProject + i + 1;
        a.project = p;
        a.path = "file" + std::to_string(i) + (i == 0 && p % 2 ? ".png" : ".stl");
        a.size = 100 + i;
        a.ino = a.id;
        // Every project's file 99 has the same bytes as its neighbour's.
        const std::uint64_t content = i == 99 ? (p + 1) / 2 : p * 1000 + i + 1'000'000;
        for (int b = 0; b < 8; ++b) a.hash.bytes[b] = static_cast<unsigned char>(content >> (8 * b));
        a.hash.bytes[15] = 1;
        a.kind = i == 0 && p % 2 ? Kind::image : Kind::model;
        changes.push_back({nullptr, std::move(a)});
      }
    }
    lib.cat->put_assets(t, changes);
  });
  const auto start = std::chrono::steady_clock::now();
  const auto report = lib.report();
  const auto took = std::chrono::steady_clock::now() - start;
  const auto counts = count_by_kind(report);
  CHECK(counts == std::vector<std::pair<ProblemKind, std::size_t>>{{ProblemKind::duplicate_content, kProjects},
                                                                   {ProblemKind::no_images, kProjects / 2}});
  INFO("library_problems over " << kProjects * kPerProject << " assets: "
                                << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  CHECK(took < std::chrono::seconds(3));
}
