#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <fstream>
#include <map>
#include <thread>

#include "index/hasher.h"
#include "index/metadata.h"
#include "index/runs.h"
#include "index/sync.h"
#include "support/indexed_library.h"
#include "test_support.h"

using namespace lima::index;
using lima::test::TempDir;
using lima::test::write_file;
namespace stdfs = std::filesystem;

namespace {

struct Lib : lima::test::IndexedLibrary {
  Lib() {
    write_file(root / "Benchy/models/3DBenchy.stl", lima::test::random_bytes(3000, 1));
    write_file(root / "Benchy/images/cover.png", lima::test::random_bytes(2000, 2));
    write_file(root / "Dragon/dragon.stl", lima::test::random_bytes(5000, 3));
    write_file(root / "Dragon/README.md", "# Dragon\n");
  }
  Run sync(Mode mode = Mode::incremental, std::string scope = "", std::vector<std::string> ignore = {}) {
    SyncOptions o;
    o.mode = mode;
    o.scope = std::move(scope);
    o.ignore_globs = std::move(ignore);
    return sync_with(std::move(o));
  }
  ProjectId project_id(const std::string& name) { return project_id_of(name).value_or(0); }
};

}  // namespace

TEST_CASE("sync: first index, then a rescan that finds nothing to do") {
  Lib lib;
  Run first = lib.sync();
  CHECK(first.status == RunStatus::ok);
  CHECK(first.counts.added == 4);
  CHECK(first.counts.projects_added == 2);
  CHECK(first.counts.files_hashed == 4);
  auto a = lib.asset_at("Benchy", "models/3DBenchy.stl");
  REQUIRE(a);
  CHECK(a->kind == Kind::model);
  CHECK(a->hash == *hash_path(lib.root / "Benchy/models/3DBenchy.stl"));
  CHECK(lib.asset_at("Dragon", "README.md")->kind == Kind::document);

  Run again = lib.sync();
  CHECK(again.status == RunStatus::ok);
  CHECK(again.counts.unchanged == 4);
  CHECK(again.counts.files_hashed == 0);
  CHECK(again.counts.added + again.counts.changed + again.counts.removed + again.counts.moved == 0);

  ReadTxn t(lib.cat->env());
  auto runs = RunLog(*lib.cat).list(t, 10);
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].id == again.id);  // newest first
}

TEST_CASE("sync: metadata follows moved files and renamed project folders") {
  Lib lib;
  lib.sync();
  Metadata md(*lib.cat);
  const AssetId benchy = lib.asset_at("Benchy", "models/3DBenchy.stl")->id;
  const ProjectId dragon = lib.project_id("Dragon");
  lib.cat->env().write([&](WriteTxn& t) {
    REQUIRE(md.tag_asset(t, benchy, "boat"));
    REQUIRE(md.tag_project(t, dragon, "fantasy"));
    REQUIRE(md.set_note(t, {NoteTarget::Type::project, dragon}, "print at 0.12"));
  });

  stdfs::rename(lib.root / "Benchy/models/3DBenchy.stl", lib.root / "Dragon/boat.stl");
  stdfs::rename(lib.root / "Dragon", lib.root / "Dragon (2024)");
  Run r = lib.sync();
  CHECK(r.counts.moved == 1);
  CHECK(r.counts.projects_renamed == 1);
  CHECK(r.counts.added == 0);
  CHECK(r.counts.removed == 0);

  auto moved = lib.asset_at("Dragon (2024)", "boat.stl");
  REQUIRE(moved);
  CHECK(moved->id == benchy);
  CHECK(lib.project_id("Dragon (2024)") == dragon);
  ReadTxn t(lib.cat->env());
  CHECK(md.asset_tags(t, benchy) == std::vector<std::string>{"boat"});
  CHECK(md.project_tags(t, dragon) == std::vector<std::string>{"fantasy"});
  CHECK(md.note(t, {NoteTarget::Type::project, dragon}) == "print at 0.12");
}

TEST_CASE("sync: deleted items keep their metadata and get it back when they return") {
  Lib lib;
  lib.sync();
  Metadata md(*lib.cat);
  const ProjectId dragon = lib.project_id("Dragon");
  const AssetId stl = lib.asset_at("Dragon", "dragon.stl")->id;
  lib.cat->env().write([&](WriteTxn& t) {
    REQUIRE(md.tag_project(t, dragon, "fantasy"));
    REQUIRE(md.tag_asset(t, stl, "supports"));
  });
  const std::string backup = lima::test::read_file(lib.root / "Dragon/dragon.stl");
  stdfs::remove_all(lib.root / "Dragon");
  Run gone = lib.sync();
  CHECK(gone.counts.removed == 2);
  CHECK(gone.counts.projects_removed == 1);
  {
    ReadTxn t(lib.cat->env());
    CHECK(lib.cat->project(t, dragon)->state == ItemState::tombstone);
    CHECK(md.project_tags(t, dragon) == std::vector<std::string>{"fantasy"});
  }
  // Restored from a backup under another name: same content, new inodes.
  write_file(lib.root / "Dragon restored/dragon.stl", backup);
  write_file(lib.root / "Dragon restored/README.md", "# Dragon\n");
  Run back = lib.sync();
  CHECK(back.counts.revived == 2);
  CHECK(lib.project_id("Dragon restored") == dragon);
  CHECK(lib.asset_at("Dragon restored", "dragon.stl")->id == stl);
  ReadTxn t(lib.cat->env());
  CHECK(md.asset_tags(t, stl) == std::vector<std::string>{"supports"});
}

TEST_CASE("sync: an offline library removes nothing") {
  Lib lib;
  lib.sync();
  SECTION("root missing") {
    stdfs::rename(lib.root, lib.tmp / "elsewhere");
    Run r = lib.sync();
    CHECK(r.status == RunStatus::offline);
    CHECK(r.message.find("does not exist") != std::string::npos);
  }
  SECTION("root empty while the index has projects") {
    stdfs::rename(lib.root, lib.tmp / "elsewhere");
    stdfs::create_directory(lib.root);
    Run r = lib.sync();
    CHECK(r.status == RunStatus::offline);
    CHECK(r.message.find("empty") != std::string::npos);
  }
  ReadTxn t(lib.cat->env());
  CHECK(lib.cat->counts(t).assets == 4);
  CHECK(lib.cat->counts(t).projects == 2);
}

TEST_CASE("sync: scoped runs touch only their scope") {
  Lib lib;
  lib.sync();
  stdfs::remove(lib.root / "Benchy/images/cover.png");
  write_file(lib.root / "Dragon/new.stl", "new");
  Run r = lib.sync(Mode::incremental, "Dragon");
  CHECK(r.scope == "Dragon");
  CHECK(r.counts.added == 1);
  CHECK(r.counts.removed == 0);  // Benchy is out of scope
  CHECK(lib.asset_at("Benchy", "images/cover.png"));

  Run sub = lib.sync(Mode::incremental, "Benchy/images/");
  CHECK(sub.scope == "Benchy/images");
  CHECK(sub.counts.removed == 1);

  // Progress expects the scope's files, not the library's.
  SyncOptions o;
  o.library = lib.root;
  SyncProgress progress;
  o.progress = &progress;
  o.scope = "Benchy/models";
  REQUIRE(run_sync(*lib.cat, o));
  CHECK(progress.files_expected == 1);
  o.scope = "Dragon";
  REQUIRE(run_sync(*lib.cat, o));
  CHECK(progress.files_expected == 3);
  o.progress = nullptr;

  o.scope = "Nope";
  auto missing = run_sync(*lib.cat, o);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::not_found);
  o.scope = "../etc";
  auto bad = run_sync(*lib.cat, o);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::invalid_argument);
}

TEST_CASE("sync: verify rehashes everything and finds silent changes") {
  Lib lib;
  lib.sync();
  const auto p = lib.root / "Dragon/dragon.stl";
  const auto mtime = stdfs::last_write_time(p);
  std::string bytes = lima::test::read_file(p);
  bytes[100] ^= 0x55;
  write_file(p, bytes);
  stdfs::last_write_time(p, mtime);
  CHECK(lib.sync().counts.changed == 0);  // the gate cannot see it
  Run v = lib.sync(Mode::verify);
  CHECK(v.counts.files_hashed == 4);
  CHECK(v.counts.changed == 1);
  bool flagged = false;
  for (const auto& pr : v.problems) flagged |= pr.kind == ProblemKind::content_changed && pr.path == "Dragon/dragon.stl";
  CHECK(flagged);
}

TEST_CASE("sync: ignored names and user globs are never indexed") {
  Lib lib;
  write_file(lib.root / "Benchy/.hidden/x.stl", "x");
  write_file(lib.root / "Benchy/@eaDir/thumb.jpg", "x");
  write_file(lib.root / "Benchy/model.stl.part", "x");
  write_file(lib.root / "Benchy/old.bak", "x");
  write_file(lib.root / ".Trash/junk.stl", "x");
  Run r = lib.sync(Mode::incremental, "", {"*.bak"});
  CHECK(r.counts.added == 4);
  CHECK_FALSE(lib.asset_at("Benchy", "old.bak"));
}

TEST_CASE("sync: a hostile library is indexed as far as possible, every oddity recorded") {
  Lib lib;
  const auto h = lib.root / "Hostile";
  write_file(h / "new\nline.stl", "a");
  write_file(h / std::string("bad\xff\xfe utf8.stl"), "b");
  write_file(h / (std::string(251, 'n') + ".stl"), "c");
  stdfs::path deep = h;
  for (int i = 0; i < 100; ++i) deep /= "d" + std::to_string(i);
  stdfs::create_directories(deep);
  write_file(deep / "bottom.stl", "deep");
  stdfs::create_symlink("loop", h / "loop");
  stdfs::create_directory_symlink("..", h / "up");
  REQUIRE(::mkfifo((h / "fifo").c_str(), 0644) == 0);
  int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string sock = (h / "sock").string();
  REQUIRE(sock.size() < sizeof addr.sun_path);
  std::memcpy(addr.sun_path, sock.c_str(), sock.size());
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  stdfs::create_directories(lib.root / "Empty Project");
  write_file(lib.root / "loose.stl", "loose");

  Run r = lib.sync();
  ::close(s);
  CHECK(r.status == RunStatus::ok);
  CHECK(r.counts.added == 4 + 4 + 1);  // the four fixtures, four hostile files, one loose file
  CHECK(r.counts.skipped == 4);        // two symlinks, a FIFO, a socket
  std::map<ProblemKind, int> kinds;
  for (const auto& p : r.problems) ++kinds[p.kind];
  CHECK(kinds[ProblemKind::symlink] == 2);
  CHECK(kinds[ProblemKind::special_file] == 2);
  CHECK(kinds[ProblemKind::empty_project] == 1);
  CHECK(kinds[ProblemKind::loose_file] == 1);
  CHECK(lib.asset_at("Hostile", "new\nline.stl"));
  CHECK(lib.asset_at("Hostile", "bad\xff\xfe utf8.stl"));
  std::string deep_rel;
  for (int i = 0; i < 100; ++i) deep_rel += "d" + std::to_string(i) + "/";
  CHECK(lib.asset_at("Hostile", deep_rel + "bottom.stl"));
  {
    ReadTxn t(lib.cat->env());
    CHECK(RunLog(*lib.cat).problems(t).size() == r.problems.size());
  }
  // And it is stable: nothing changes on the next run.
  Run again = lib.sync();
  CHECK(again.counts.unchanged == 9);
  CHECK(again.counts.added + again.counts.removed == 0);
}

TEST_CASE("sync: a file written during the sync is reported and keeps its old record") {
  Lib lib;
  const auto p = lib.root / "Benchy/growing.bin";
  write_file(p, lima::test::random_bytes(64u << 20, 5));
  lib.sync();
  const auto before = lib.asset_at("Benchy", "growing.bin");
  REQUIRE(before);
  Run r;
  {
    lima::test::AppendingWriter writer(p);
    r = lib.sync(Mode::verify);
  }
  CHECK(r.status == RunStatus::partial);
  CHECK(r.counts.errors >= 1);
  REQUIRE_FALSE(r.problems.empty());
  CHECK(r.problems[0].kind == ProblemKind::changed_while_hashing);
  CHECK(r.problems[0].path == "Benchy/growing.bin");
  CHECK(lib.asset_at("Benchy", "growing.bin")->hash == before->hash);
}

TEST_CASE("sync: an index belongs to one library") {
  Lib lib;
  lib.sync();
  TempDir other;
  SyncOptions o;
  o.library = other.path();
  auto r = run_sync(*lib.cat, o);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::conflict);
  CHECK(r.error().message.find("belongs to the library") != std::string::npos);
}

TEST_CASE("sync: a cancelled sync changes nothing and says so") {
  Lib lib;
  std::atomic<bool> cancel{true};
  SyncOptions o;
  o.library = lib.root;
  o.cancel = &cancel;
  auto r = run_sync(*lib.cat, o);
  REQUIRE(r);
  CHECK(r->status == RunStatus::interrupted);
  ReadTxn t(lib.cat->env());
  CHECK(lib.cat->counts(t).assets == 0);
  CHECK(RunLog(*lib.cat).get(t, r->id)->status == RunStatus::interrupted);
}

TEST_CASE("sync: a cancelled run removes nothing it did not reach, and the history says cancelled") {
  Lib lib;
  lib.sync();
  const ProjectId dragon = lib.project_id("Dragon");
  const AssetId cover = lib.asset_at("Benchy", "images/cover.png")->id;
  // A whole run would remove a project and a file, and add one.
  stdfs::remove_all(lib.root / "Dragon");
  stdfs::remove(lib.root / "Benchy/images/cover.png");
  write_file(lib.root / "Benchy/new.stl", "new");

  std::atomic<bool> cancel{false};
  SyncOptions o;
  o.library = lib.root;
  o.cancel_run = &cancel;
  o.on_begin = [&](const Run&) { cancel = true; };  // before the walk reaches anything
  auto r = run_sync(*lib.cat, o);
  REQUIRE(r);
  CHECK(r->status == RunStatus::cancelled);
  CHECK(r->message.find("cancelled before it changed anything") != std::string::npos);
  CHECK(r->counts.removed == 0);
  CHECK(r->counts.projects_removed == 0);
  {
    ReadTxn t(lib.cat->env());
    CHECK(lib.cat->project(t, dragon)->state == ItemState::live);
    CHECK(lib.cat->asset(t, cover)->state == ItemState::live);
    CHECK(lib.cat->counts(t).assets == 4);
    const auto recorded = RunLog(*lib.cat).get(t, r->id);
    REQUIRE(recorded);
    CHECK(recorded->status == RunStatus::cancelled);
    CHECK(to_string(recorded->status) == "cancelled");
    CHECK(recorded->ended_ns >= recorded->started_ns);
  }
  // The next whole run does what the cancelled one did not.
  Run next = lib.sync();
  CHECK(next.status == RunStatus::ok);
  CHECK(next.counts.removed == 3);
  CHECK(next.counts.added == 1);
  CHECK(next.counts.projects_removed == 1);
}

TEST_CASE("sync: a first index cancelled part way keeps every file it wrote with its project") {
  Lib lib;
  for (int p = 0; p < 20; ++p)
    for (int f = 0; f < 10; ++f)
      write_file(lib.root / ("Project " + std::to_string(p)) / ("part" + std::to_string(f) + ".stl"),
                 lima::test::random_bytes(2048, static_cast<unsigned>(p * 100 + f)));
  constexpr std::uint64_t kProjectFiles = 204;
  // A loose file that takes long to read (a sparse 256 MiB): a first index
  // writes each project's files once they are hashed, and the loose files
  // last, so a cancel while this one is read stops the run after every
  // project's files are written and before the loose one is.
  {
    std::ofstream big(lib.root / "big.bin");
  }
  stdfs::resize_file(lib.root / "big.bin", std::uintmax_t{256} << 20);
  bool part_way = false;
  for (int attempt = 0; attempt < 3 && !part_way; ++attempt) {
    TempDir state;
    auto c = Catalog::open(state.path(), OpenMode::read_write);
    REQUIRE(c);
    std::atomic<bool> cancel{false}, done{false};
    SyncProgress progress;
    SyncOptions o;
    o.library = lib.root;
    o.progress = &progress;
    o.cancel_run = &cancel;
    std::thread canceller([&] {
      // Once the writing has begun (it has a plan) and every project's
      // files are hashed.
      while (!done && !(progress.items_to_write.load() > 0 && progress.files_hashed.load() >= kProjectFiles))
        std::this_thread::yield();
      cancel = true;
    });
    auto r = run_sync(**c, o);
    done = true;
    canceller.join();
    REQUIRE(r);
    if (r->status != RunStatus::cancelled) continue;  // the big file was read before the cancel came
    part_way = r->counts.added > 0;
    CHECK(r->counts.added == kProjectFiles);  // every project's files were hashed by then
    CHECK(r->message.find(" files read so far are indexed") != std::string::npos);
    ReadTxn t((*c)->env());
    // What it wrote is whole: each indexed file has its live project, and
    // the run counts exactly the files indexed.
    CHECK((*c)->counts(t).assets == r->counts.added);
    CHECK((*c)->counts(t).projects == 22);
    CHECK_FALSE((*c)->asset_id_by_path(t, kRootProject, "big.bin"));
    (*c)->for_each_asset(t, [&](const Asset& a) {
      const auto p = (*c)->project(t, a.project);
      REQUIRE(p);
      CHECK(p->state == ItemState::live);
      CHECK(a.state == ItemState::live);
    });
    CHECK(RunLog(**c).get(t, r->id)->status == RunStatus::cancelled);
    t.commit();
    // The next run indexes the rest.
    o.cancel_run = nullptr;
    o.progress = nullptr;
    auto rest = run_sync(**c, o);
    REQUIRE(rest);
    CHECK(rest->status == RunStatus::ok);
    CHECK(rest->counts.added + r->counts.added == kProjectFiles + 1);
    CHECK(rest->counts.unchanged == r->counts.added);
  }
  CHECK(part_way);
}

TEST_CASE("sync: a scoped run on a project that vanished makes it a tombstone") {
  Lib lib;
  lib.sync();
  const ProjectId dragon = lib.project_id("Dragon");
  stdfs::remove_all(lib.root / "Dragon");
  Run r = lib.sync(Mode::incremental, "Dragon");
  CHECK(r.status == RunStatus::ok);
  CHECK(r.counts.projects_removed == 1);
  CHECK(r.counts.removed == 2);
  ReadTxn t(lib.cat->env());
  CHECK(lib.cat->project(t, dragon)->state == ItemState::tombstone);
  CHECK(lib.cat->counts(t).projects == 1);
}

TEST_CASE("sync: a scoped run by a renamed project's old name follows the rename") {
  Lib lib;
  lib.sync();
  const ProjectId dragon = lib.project_id("Dragon");
  stdfs::rename(lib.root / "Dragon", lib.root / "Wyvern");
  Run r = lib.sync(Mode::incremental, "Dragon");
  CHECK(r.status == RunStatus::ok);
  CHECK(r.scope == "Wyvern");
  CHECK(r.message.find("is now 'Wyvern'") != std::string::npos);
  CHECK(r.counts.projects_renamed == 1);
  CHECK(r.counts.projects_removed == 0);
  CHECK(r.counts.removed == 0);
  CHECK(lib.project_id("Wyvern") == dragon);
}

TEST_CASE("sync: a new hard link to an indexed file gets its own id") {
  Lib lib;
  lib.sync();
  const AssetId original = lib.asset_at("Dragon", "dragon.stl")->id;
  stdfs::create_hard_link(lib.root / "Dragon/dragon.stl", lib.root / "Benchy/aaa-dragon-link.stl");
  Run r = lib.sync();
  CHECK(r.counts.added == 1);
  CHECK(r.counts.moved == 0);
  CHECK(lib.asset_at("Dragon", "dragon.stl")->id == original);
}

namespace {
// (library path → kind, size, hash) of every live asset.
std::map<std::string, std::tuple<Kind, std::uint64_t, std::string>> live_assets(Catalog& cat) {
  std::map<std::string, std::tuple<Kind, std::uint64_t, std::string>> out;
  ReadTxn t(cat.env());
  for (const auto& p : cat.projects(t))
    for (const auto& a : cat.assets_of(t, p.id)) out[p.name + "/" + a.path] = {a.kind, a.size, a.hash.hex()};
  return out;
}
}  // namespace

TEST_CASE("sync: a first index (written while hashing) equals one built up incrementally") {
  Lib lib;
  for (int p = 0; p < 30; ++p)
    for (int f = 0; f < 20; ++f)
      write_file(lib.root / ("Project " + std::to_string(p)) / ("part" + std::to_string(f) + ".stl"),
                 lima::test::random_bytes(static_cast<std::size_t>(100 + p * 37 + f), static_cast<unsigned>(p * 100 + f)));
  Run first = lib.sync();
  CHECK(first.counts.added == 604);
  CHECK(first.counts.projects_added == 32);

  // The same library indexed in two steps, the second through the general path.
  auto c = Catalog::open(lib.tmp / "state2", OpenMode::read_write);
  REQUIRE(c);
  SyncOptions o;
  o.library = lib.root;
  o.scope = "Benchy";
  REQUIRE(run_sync(**c, o)->counts.added == 2);
  o.scope = "";
  Run rest = *run_sync(**c, o);
  CHECK(rest.counts.added == 602);
  CHECK(live_assets(*lib.cat) == live_assets(**c));
  CHECK(lib.sync().counts.unchanged == 604);
}

TEST_CASE("sync: a file that cannot be read during a first index is left out and counted") {
  Lib lib;
  const auto p = lib.root / "Dragon/growing.bin";
  write_file(p, lima::test::random_bytes(64u << 20, 9));
  Run r;
  {
    lima::test::AppendingWriter writer(p);
    r = lib.sync();
  }
  CHECK(r.status == RunStatus::partial);
  CHECK(r.counts.added == 4);
  CHECK(r.counts.errors == 1);
  CHECK_FALSE(lib.asset_at("Dragon", "growing.bin"));
  Run next = lib.sync();
  CHECK(next.counts.added == 1);
  CHECK(next.counts.unchanged == 4);
}

TEST_CASE("sync: removing one of two hard links keeps the other's id") {
  Lib lib;
  stdfs::create_hard_link(lib.root / "Dragon/dragon.stl", lib.root / "Dragon/aaa-link.stl");
  lib.sync();
  const AssetId original = lib.asset_at("Dragon", "dragon.stl")->id;
  const AssetId link = lib.asset_at("Dragon", "aaa-link.stl")->id;
  REQUIRE(original != link);
  stdfs::remove(lib.root / "Dragon/aaa-link.stl");
  Run r = lib.sync();
  CHECK(r.counts.removed == 1);
  CHECK(r.counts.moved == 0);
  CHECK(lib.asset_at("Dragon", "dragon.stl")->id == original);
}

TEST_CASE("sync: empty files and a project of only empty files moved out and back keep their metadata") {
  Lib lib;
  write_file(lib.root / "Dragon/empty.stl", "");
  write_file(lib.root / "Blank/empty.stl", "");
  lib.sync();
  Metadata md(*lib.cat);
  const ProjectId blank = lib.project_id("Blank"), dragon = lib.project_id("Dragon");
  const AssetId empty = lib.asset_at("Dragon", "empty.stl")->id, blank_file = lib.asset_at("Blank", "empty.stl")->id;
  lib.cat->env().write([&](WriteTxn& t) {
    REQUIRE(md.tag_project(t, blank, "placeholder"));
    REQUIRE(md.tag_asset(t, empty, "todo"));
    REQUIRE(md.tag_asset(t, blank_file, "todo"));
    REQUIRE(md.set_note(t, {NoteTarget::Type::asset, blank_file}, "fill me"));
  });
  // Both folders leave the library (same filesystem, so the inodes stay)…
  stdfs::rename(lib.root / "Dragon", lib.tmp / "Dragon");
  stdfs::rename(lib.root / "Blank", lib.tmp / "Blank");
  Run gone = lib.sync();
  CHECK(gone.counts.projects_removed == 2);
  // …and come back, one of them under a new name.
  stdfs::rename(lib.tmp / "Dragon", lib.root / "Dragon");
  stdfs::rename(lib.tmp / "Blank", lib.root / "Blank (kept)");
  Run back = lib.sync();
  CHECK(back.counts.projects_added == 2);
  CHECK(back.counts.revived == 4);
  CHECK(lib.project_id("Dragon") == dragon);
  CHECK(lib.project_id("Blank (kept)") == blank);
  CHECK(lib.asset_at("Dragon", "empty.stl")->id == empty);
  CHECK(lib.asset_at("Blank (kept)", "empty.stl")->id == blank_file);
  ReadTxn t(lib.cat->env());
  CHECK(md.project_tags(t, blank) == std::vector<std::string>{"placeholder"});
  CHECK(md.asset_tags(t, empty) == std::vector<std::string>{"todo"});
  CHECK(md.asset_tags(t, blank_file) == std::vector<std::string>{"todo"});
  CHECK(md.note(t, {NoteTarget::Type::asset, blank_file}) == "fill me");
}

TEST_CASE("sync: what comes back loses its 'removed' line, also when a scoped run finds it under another name") {
  Lib lib;
  write_file(lib.root / "Dragon/sub/wing.stl", lima::test::random_bytes(4000, 9));
  lib.sync();
  auto removed_paths = [&] {
    ReadTxn t(lib.cat->env());
    std::vector<std::string> out;
    for (const auto& p : RunLog(*lib.cat).problems(t))
      if (p.kind == ProblemKind::removed) out.push_back(p.path);
    return out;
  };
  // A project folder moved out, a file moved out of another project.
  stdfs::rename(lib.root / "Dragon", lib.tmp / "Dragon");
  stdfs::rename(lib.root / "Benchy/images/cover.png", lib.tmp / "cover.png");
  lib.sync(Mode::incremental, "Dragon");
  lib.sync(Mode::incremental, "Benchy/images");
  CHECK(removed_paths() == std::vector<std::string>{"Benchy/images/cover.png", "Dragon"});
  // Both back under another name, in one folder: the scoped run covers
  // only where they are now.
  stdfs::rename(lib.tmp / "Dragon", lib.root / "Dragon (returned)");
  stdfs::rename(lib.tmp / "cover.png", lib.root / "Dragon (returned)/cover.png");
  const Run back = lib.sync(Mode::incremental, "Dragon (returned)");
  CHECK(back.counts.projects_added == 1);
  CHECK(back.counts.revived == 4);
  CHECK(lib.asset_at("Dragon (returned)", "cover.png"));
  CHECK(removed_paths().empty());
}
