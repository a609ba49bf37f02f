// A sync reconciles the library a batch of projects at a time and reads
// only what each batch may be (sync.h, sync_snapshot.h). Identity must not
// depend on where the batches fall: these tests sync with one project per
// batch, where every move between projects crosses batches in one order or
// the other, and compare with one batch for the whole library.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "index/problems.h"
#include "index/runs.h"
#include "index/sync.h"
#include "support/indexed_library.h"
#include "test_support.h"

using namespace lima::index;
using lima::test::write_file;
namespace stdfs = std::filesystem;

namespace {

constexpr std::size_t kOnePerBatch = 1;  // a batch closes once it holds a file: one project each

struct Lib : lima::test::IndexedLibrary {
  Run sync(std::size_t batch_files = kOnePerBatch, std::string scope = "") {
    SyncOptions o;
    o.batch_files = batch_files;
    o.scope = std::move(scope);
    return sync_with(std::move(o));
  }
  std::vector<Problem> problems() {
    ReadTxn t(cat->env());
    return RunLog(*cat).problems(t);
  }
  bool reported_removed(const std::string& path) {
    for (const auto& p : problems())
      if (p.path == path && p.kind == ProblemKind::removed) return true;
    return false;
  }
};

// Large enough to be recognised by content anywhere (reconcile.h).
std::string big(unsigned seed) { return lima::test::random_bytes(80 * 1024, seed); }

}  // namespace

TEST_CASE("sync batches: a file moved to a project synced later keeps its id and counts as moved") {
  Lib lib;
  write_file(lib.root / "A/part.stl", "part");
  write_file(lib.root / "Z/other.stl", "other");
  lib.sync();
  const AssetId part = lib.asset_at("A", "part.stl")->id;
  stdfs::rename(lib.root / "A/part.stl", lib.root / "Z/part.stl");
  Run r = lib.sync();
  CHECK(r.counts.moved == 1);
  CHECK(r.counts.removed == 0);
  CHECK(r.counts.added == 0);
  REQUIRE(lib.asset_at("Z", "part.stl"));
  CHECK(lib.asset_at("Z", "part.stl")->id == part);
  CHECK_FALSE(lib.reported_removed("A/part.stl"));
}

TEST_CASE("sync batches: a file moved to a project synced earlier keeps its id and counts as moved") {
  Lib lib;
  write_file(lib.root / "A/other.stl", "other");
  write_file(lib.root / "Z/part.stl", "part");
  lib.sync();
  const AssetId part = lib.asset_at("Z", "part.stl")->id;
  stdfs::rename(lib.root / "Z/part.stl", lib.root / "A/part.stl");
  Run r = lib.sync();
  CHECK(r.counts.moved == 1);
  CHECK(r.counts.removed == 0);
  CHECK(r.counts.added == 0);
  CHECK(r.counts.revived == 0);
  REQUIRE(lib.asset_at("A", "part.stl"));
  CHECK(lib.asset_at("A", "part.stl")->id == part);
  CHECK_FALSE(lib.reported_removed("Z/part.stl"));
}

TEST_CASE("sync batches: a file copied to another project and deleted keeps its id, in either order") {
  for (const auto& [from, to] : {std::pair{"A", "Z"}, std::pair{"Z", "A"}}) {
    CAPTURE(from, to);
    Lib lib;
    write_file(lib.root / from / "hull.stl", big(7));
    write_file(lib.root / from / "keep.stl", "keep");
    write_file(lib.root / to / "deck.stl", "deck");
    lib.sync();
    const AssetId hull = lib.asset_at(from, "hull.stl")->id;
    // Another inode: the content tells.
    write_file(lib.root / to / "hull.stl", big(7));
    stdfs::remove(lib.root / from / "hull.stl");
    Run r = lib.sync();
    CHECK(r.counts.moved == 1);
    CHECK(r.counts.added == 0);
    CHECK(r.counts.removed == 0);
    REQUIRE(lib.asset_at(to, "hull.stl"));
    CHECK(lib.asset_at(to, "hull.stl")->id == hull);
    CHECK_FALSE(lib.reported_removed(std::string(from) + "/hull.stl"));
  }
}

TEST_CASE("sync batches: a copy of a file that stays is a new file, wherever it lands") {
  Lib lib;
  write_file(lib.root / "M/hull.stl", big(9));
  lib.sync();
  const AssetId hull = lib.asset_at("M", "hull.stl")->id;
  write_file(lib.root / "A/hull.stl", big(9));
  write_file(lib.root / "Z/hull.stl", big(9));
  Run r = lib.sync();
  CHECK(r.counts.added == 2);
  CHECK(r.counts.moved == 0);
  CHECK(r.counts.projects_added == 2);
  CHECK(lib.asset_at("M", "hull.stl")->id == hull);
  CHECK(lib.asset_at("A", "hull.stl")->id != hull);
  CHECK(lib.asset_at("Z", "hull.stl")->id != hull);
}

TEST_CASE("sync batches: a project folder copied under a new name and deleted keeps its id and metadata") {
  Lib lib;
  for (unsigned i = 0; i < 4; ++i) write_file(lib.root / "Old" / ("part" + std::to_string(i) + ".stl"), big(20 + i));
  write_file(lib.root / "B/x.stl", "x");
  lib.sync();
  const ProjectId old = *lib.project_id_of("Old");
  const AssetId part0 = lib.asset_at("Old", "part0.stl")->id;
  // Copied (new inodes), the original deleted: the new name sorts first.
  for (unsigned i = 0; i < 4; ++i) write_file(lib.root / "Aaa" / ("part" + std::to_string(i) + ".stl"), big(20 + i));
  stdfs::remove_all(lib.root / "Old");
  Run r = lib.sync();
  CHECK(r.counts.projects_renamed == 1);
  CHECK(r.counts.projects_removed == 0);
  CHECK(lib.project_id_of("Aaa") == old);
  REQUIRE(lib.asset_at("Aaa", "part0.stl"));
  CHECK(lib.asset_at("Aaa", "part0.stl")->id == part0);
}

TEST_CASE("sync batches: a scoped sync finds a file moved in from another project by its inode") {
  Lib lib;
  write_file(lib.root / "A/part.stl", "part");
  write_file(lib.root / "Z/other.stl", "other");
  lib.sync();
  const AssetId part = lib.asset_at("A", "part.stl")->id;
  stdfs::rename(lib.root / "A/part.stl", lib.root / "Z/part.stl");
  Run r = lib.sync(0, "Z");
  CHECK(r.counts.moved == 1);
  CHECK(r.counts.added == 0);
  CHECK(lib.asset_at("Z", "part.stl")->id == part);
  CHECK_FALSE(lib.asset_at("A", "part.stl"));
  // The other project's sync has nothing left to do.
  Run a = lib.sync(0, "A");
  CHECK(a.counts.removed == 0);
}

TEST_CASE("sync batches: a scoped sync revives a file removed from another project by its content") {
  Lib lib;
  write_file(lib.root / "A/hull.stl", big(3));
  write_file(lib.root / "Z/other.stl", "other");
  lib.sync();
  const AssetId hull = lib.asset_at("A", "hull.stl")->id;
  stdfs::remove(lib.root / "A/hull.stl");
  lib.sync(0, "A");
  write_file(lib.root / "Z/hull.stl", big(3));
  Run r = lib.sync(0, "Z");
  CHECK(r.counts.revived == 1);
  CHECK(lib.asset_at("Z", "hull.stl")->id == hull);
}

// Random edits to a library of a few projects, each applied to two copies
// of the index: one synced a project per batch, one in a single batch.
// After each sync every live file must have come from the same place in
// both: the same file before the sync (whatever its path then), or none.
TEST_CASE("sync batches: batch boundaries change nothing (random edits, compared with one batch)") {
  // What the problem report says (duplicates, projects lacking images), by path.
  auto report_of = [](Lib& lib) {
    std::vector<std::tuple<std::string, std::string, std::string>> out;
    ReadTxn t(lib.cat->env());
    for (const auto& p : library_problems(*lib.cat, t))
      out.emplace_back(p.path, std::string(to_string(p.kind)), p.detail);
    return out;
  };
  using Paths = std::map<AssetId, std::string>;  // live assets: id → "Project/path"
  auto live_of = [](Lib& lib) {
    Paths out;
    ReadTxn t(lib.cat->env());
    std::map<ProjectId, std::string> names;
    for (const auto& p : lib.cat->projects(t, true)) names[p.id] = p.name;
    lib.cat->for_each_asset(t, [&](const Asset& a) {
      if (a.state == ItemState::live) out[a.id] = names[a.project] + "/" + a.path;
    });
    return out;
  };
  // Each live path now → the path its asset had before ("" when new).
  auto origins = [](const Paths& before, const Paths& now) {
    std::map<std::string, std::string> out;
    for (const auto& [id, path] : now) {
      auto it = before.find(id);
      out[path] = it == before.end() ? std::string() : it->second;
    }
    return out;
  };
  for (unsigned seed = 1; seed <= 4; ++seed) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    Lib one, batched;
    auto both = [&](auto&& edit) {
      edit(one.root);
      edit(batched.root);
    };
    const char* projects[] = {"A", "F", "K", "P", "U", "Z"};
    both([&](const stdfs::path& root) {
      for (unsigned p = 0; p < 6; ++p)
        for (unsigned f = 0; f < 3; ++f)
          write_file(root / projects[p] / ("f" + std::to_string(f) + ".stl"), big(seed * 100 + p * 10 + f));
    });
    one.sync(1000000);
    batched.sync(kOnePerBatch);
    for (int round = 0; round < 6; ++round) {
      CAPTURE(round);
      const Paths one_before = live_of(one), batched_before = live_of(batched);
      // A few moves, copy-and-deletes, copies, deletions and new files.
      for (int edit = 0; edit < 4; ++edit) {
        const std::string from = projects[rng() % 6], to = projects[rng() % 6];
        const std::string name = "f" + std::to_string(rng() % 3) + ".stl";
        const std::string target = "r" + std::to_string(round) + "e" + std::to_string(edit) + ".stl";
        const unsigned op = static_cast<unsigned>(rng() % 5);
        const unsigned content = seed * 1000 + static_cast<unsigned>(round * 10 + edit);
        both([&](const stdfs::path& root) {
          if (!stdfs::exists(root / from / name) && op != 3) return;
          if (op == 0) stdfs::rename(root / from / name, root / to / target);
          if (op == 1) {
            stdfs::copy_file(root / from / name, root / to / target);
            stdfs::remove(root / from / name);
          }
          if (op == 2) stdfs::remove(root / from / name);
          if (op == 3) write_file(root / to / target, big(content));
          if (op == 4) stdfs::copy_file(root / from / name, root / to / target);
        });
      }
      const Run r1 = one.sync(1000000);
      const Run r2 = batched.sync(kOnePerBatch);
      CHECK(r1.counts.moved == r2.counts.moved);
      CHECK(r1.counts.added == r2.counts.added);
      CHECK(r1.counts.removed == r2.counts.removed);
      auto on_disk = [](const stdfs::path& root) {
        std::set<std::string> out;
        for (const auto& e : stdfs::recursive_directory_iterator(root))
          if (e.is_regular_file()) out.insert(stdfs::relative(e.path(), root).string());
        return out;
      };
      auto live_paths = [&](Lib& lib) {
        std::set<std::string> out;
        for (const auto& [id, path] : live_of(lib)) out.insert(path);
        return out;
      };
      CHECK(live_paths(one) == on_disk(one.root));
      CHECK(live_paths(batched) == on_disk(batched.root));
      const auto a = origins(one_before, live_of(one)), b = origins(batched_before, live_of(batched));
      REQUIRE(a.size() == b.size());
      for (const auto& [path, origin] : a) {
        CAPTURE(path);
        REQUIRE(b.count(path));
        CHECK(b.at(path) == origin);
      }
      CHECK(report_of(one) == report_of(batched));
    }
  }
}

TEST_CASE("sync batches: a project whose walk a cancel cut short is left as it was") {
  Lib lib;
  for (unsigned d = 0; d < 1500; ++d) write_file(lib.root / "Wide" / ("d" + std::to_string(d)) / "part.stl", "p");
  write_file(lib.root / "Other/x.stl", "x");
  lib.sync(0);
  bool cut = false;
  for (int attempt = 0; attempt < 5 && !cut; ++attempt) {
    std::atomic<bool> cancel{false}, done{false};
    SyncProgress progress;
    std::thread canceller([&] {
      while (!done && progress.files_seen.load() < 20) std::this_thread::yield();
      cancel = true;
    });
    SyncOptions o;
    o.cancel_run = &cancel;
    o.progress = &progress;
    const Run r = lib.sync_with(o);
    done = true;
    canceller.join();
    if (r.status != RunStatus::cancelled) continue;  // the walk was over first
    cut = progress.files_seen.load() < 1501;
    CHECK(r.counts.removed == 0);
    ReadTxn t(lib.cat->env());
    CHECK(lib.cat->counts(t).assets == 1501);
  }
}
