// The command line as a user meets it: help, errors, summaries, JSON, runs;
// and the client commands that edit metadata, find copies of a file and
// cancel a sync, against a real daemon.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <sys/file.h>

#include "e2e/daemon_fixture.h"
#include "e2e/run_limafs.h"
#include "index/hasher.h"
#include "index/picture_failures.h"
#include "test_support.h"

using lima::e2e::have_fuse;
using lima::e2e::is_one_line;
using lima::test::read_file;
using lima::test::run_limafs;
using lima::test::TempDir;
using namespace std::chrono_literals;
using lima::test::write_file;

namespace {

struct Setup {
  TempDir tmp;
  std::string lib = (tmp / "Models").string();
  std::string state = (tmp / "state").string();
  Setup() {
    write_file(tmp / "Models/Benchy/3DBenchy.stl", lima::test::random_bytes(5000, 1));
    write_file(tmp / "Models/Benchy/cover.png", lima::test::random_bytes(700, 2));
    write_file(tmp / "Models/Vase/vase.3mf", lima::test::random_bytes(9000, 3));
  }
};

std::string last_line(const std::string& s) {
  auto t = s;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  return t.substr(t.rfind('\n') == std::string::npos ? 0 : t.rfind('\n') + 1);
}

}  // namespace

TEST_CASE("help is there for the program and each command") {
  auto top = run_limafs({"--help"});
  CHECK(top.exit_code == 0);
  CHECK(top.out.find("scan LIBRARY") != std::string::npos);
  for (const char* cmd : {"scan", "runs"}) {
    auto h = run_limafs({cmd, "--help"});
    CHECK(h.exit_code == 0);
    CHECK(h.out.find(std::string("usage: limafs ") + cmd) != std::string::npos);
    CHECK(run_limafs({"help", cmd}).out == h.out);
  }
}

TEST_CASE("bad command lines get one clear line and a non-zero exit") {
  Setup s;
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string says;
  } cases[] = {
      {{}, 2, "usage"},
      {{"frobnicate"}, 2, "unknown command 'frobnicate'"},
      {{"scan"}, 2, "which library?"},
      {{"scan", s.lib, "--bogus"}, 2, "unknown option '--bogus'"},
      {{"scan", s.lib, "--state"}, 2, "needs a value"},
      {{"scan", s.lib, "--project", "a/b"}, 2, "--project takes a project folder name"},
      {{"scan", s.lib, "--project", "A", "--path", "B"}, 2, "not both"},
      {{"scan", s.lib, "--state", s.lib + "/Benchy"}, 2, "cannot be inside the library"},
      {{"scan", s.lib, "--state", s.state, "--path", "Benchy/.git"}, 2, "'Benchy/.git' is ignored"},
      {{"scan", s.lib, "--state", s.state, "--project", "@eaDir"}, 2, "'@eaDir' is ignored"},
      {{"scan", s.tmp.path().string() + "/missing"}, 1, "is not a directory"},
      {{"scan", s.lib, "--state", s.state, "--project", "Nope"}, 1, "no folder 'Nope'"},
      {{"runs", s.lib, "--state", s.tmp.path().string() + "/nostate"}, 1, "run `limafs scan LIBRARY` first"},
      {{"runs", s.lib, "abc"}, 2, "RUN is a run number"},
      {{"runs", s.lib, "--limit", "0"}, 2, "--limit takes a positive number"},
  };
  for (const auto& c : cases) {
    INFO(c.says);
    auto o = run_limafs(c.args);
    CHECK(o.exit_code == c.code);
    CHECK(o.err.find(c.says) != std::string::npos);
    CHECK(o.err.find("limafs: ") == 0);
  }
}

TEST_CASE("a state directory reached through a symlink into the library is refused") {
  Setup s;
  std::filesystem::create_directory_symlink(s.tmp / "Models", s.tmp / "link");
  const std::string link = (s.tmp / "link").string();
  auto o = run_limafs({"scan", link, "--state", link + "/.limafs"});
  CHECK(o.exit_code == 2);
  CHECK(o.err.find("cannot be inside the library") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(s.tmp / "Models/.limafs"));
  auto ok = run_limafs({"scan", link, "--state", s.state});  // a symlinked library itself is fine
  CHECK(ok.exit_code == 0);
}

TEST_CASE("scan prints plain progress off a terminal and ends with a one-line summary") {
  Setup s;
  auto o = run_limafs({"scan", s.lib, "--state", s.state});
  REQUIRE(o.exit_code == 0);
  CHECK(o.err.find("limafs: scanning " + s.lib + " (incremental)") != std::string::npos);
  CHECK(o.err.find("\x1b[") == std::string::npos);  // no terminal escapes
  CHECK(last_line(o.out).find("ok: 3 added, 0 changed, 0 moved, 0 removed, 0 unchanged, 0 errors") == 0);
  CHECK(last_line(o.out).find("(run 1)") != std::string::npos);

  auto again = run_limafs({"scan", s.lib, "--state", s.state});
  CHECK(last_line(again.out).find("ok: 0 added, 0 changed, 0 moved, 0 removed, 3 unchanged") == 0);
}

TEST_CASE("scan with --json prints the run record and runs lists the history") {
  Setup s;
  REQUIRE(run_limafs({"scan", s.lib, "--state", s.state}).exit_code == 0);
  lima::test::write_file(s.tmp / "Models/Vase/vase-v2.3mf", "v2");
  auto o = run_limafs({"scan", s.lib, "--state", s.state, "--verify", "--json"});
  REQUIRE(o.exit_code == 0);
  auto j = nlohmann::json::parse(o.out);
  CHECK(j["id"] == 2);
  CHECK(j["status"] == "ok");
  CHECK(j["mode"] == "verify");
  CHECK(j["trigger"] == "cli");
  CHECK(j["counts"]["added"] == 1);
  CHECK(j["counts"]["unchanged"] == 3);
  CHECK(j["counts"]["files_hashed"] == 4);

  auto runs = run_limafs({"runs", s.lib, "--state", s.state, "--json"});
  REQUIRE(runs.exit_code == 0);
  auto arr = nlohmann::json::parse(runs.out);
  REQUIRE(arr.size() == 2);
  CHECK(arr[0]["id"] == 2);
  CHECK(arr[1]["id"] == 1);

  auto table = run_limafs({"runs", s.lib, "--state", s.state});
  CHECK(table.out.find("RUN") == 0);
  CHECK(table.out.find("verify") != std::string::npos);
  auto one = run_limafs({"runs", s.lib, "2", "--state", s.state});
  CHECK(one.out.find("run 2: ok") == 0);
  auto none = run_limafs({"runs", s.lib, "99", "--state", s.state});
  CHECK(none.exit_code == 1);
  CHECK(none.err.find("no run 99") != std::string::npos);
}

TEST_CASE("the default state directory follows XDG and is per library") {
  Setup s;
  const std::string xdg = (s.tmp / "xdg").string();
  ::setenv("XDG_STATE_HOME", xdg.c_str(), 1);
  auto o = run_limafs({"scan", s.lib});
  ::unsetenv("XDG_STATE_HOME");
  REQUIRE(o.exit_code == 0);
  bool found = false;
  for (const auto& e : std::filesystem::directory_iterator(s.tmp / "xdg/limafs"))
    found |= e.path().filename().string().rfind("Models-", 0) == 0 &&
             std::filesystem::exists(e.path() / "index/data.mdb");
  CHECK(found);
}

TEST_CASE("ignore globs and a project scope narrow what a scan sees") {
  Setup s;
  lima::test::write_file(s.tmp / "Models/Benchy/old.bak", "x");
  auto o = run_limafs({"scan", s.lib, "--state", s.state, "--ignore", "*.bak", "--json"});
  REQUIRE(o.exit_code == 0);
  CHECK(nlohmann::json::parse(o.out)["counts"]["added"] == 3);
  lima::test::write_file(s.tmp / "Models/Vase/v2.stl", "x");
  lima::test::write_file(s.tmp / "Models/Benchy/b2.stl", "x");
  auto p = run_limafs({"scan", s.lib, "--state", s.state, "--project", "Vase", "--ignore", "*.bak", "--json"});
  auto j = nlohmann::json::parse(p.out);
  CHECK(j["scope"] == "Vase");
  CHECK(j["counts"]["added"] == 1);
}

TEST_CASE("a second scan of the same index while one runs is refused clearly") {
  Setup s;
  REQUIRE(run_limafs({"scan", s.lib, "--state", s.state}).exit_code == 0);
  // Hold the writer lock the way a running limafs does.
  int fd = ::open((s.tmp / "state/lock").c_str(), O_RDWR);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX) == 0);
  auto o = run_limafs({"scan", s.lib, "--state", s.state});
  ::close(fd);
  CHECK(o.exit_code == 1);
  CHECK(o.err.find("in use by another limafs process") != std::string::npos);
}

TEST_CASE("on a terminal scan draws a progress line and clears it before the summary") {
  Setup s;
  const std::string out = lima::test::run_limafs_on_tty({"scan", s.lib, "--state", s.state});
  CHECK(out.find("\x1b[K") != std::string::npos);  // the status line is redrawn in place
  CHECK(out.find(" files") != std::string::npos);
  CHECK(out.find("limafs: scanning") == std::string::npos);  // no plain progress lines on a terminal
  CHECK(out.find("ok: 3 added") != std::string::npos);
}

// -- client commands against a real daemon --

namespace {

// A private runtime directory for the daemon registry, so daemons of other
// tests running at the same time are not seen.
struct PrivateRuntime {
  explicit PrivateRuntime(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
    ::setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
  }
  ~PrivateRuntime() { ::unsetenv("XDG_RUNTIME_DIR"); }
};

bool present(const std::filesystem::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("every metadata edit has a client command: tags renamed, merged and deleted, notes, main images", "[api]") {
  RETURN_WITHOUT_FUSE();
  lima::e2e::Setup s;
  write_file(s.lib / "Benchy/images/side.jpg", lima::test::random_bytes(2500, 9));
  PrivateRuntime runtime(s.root / "run");
  auto d = s.start({"--listen", "127.0.0.1:0"});
  REQUIRE(d->serving());
  for (const char* cmd : {"tags", "note", "main-image", "have", "problems"}) {
    auto h = run_limafs({cmd, "--help"});
    CHECK(h.exit_code == 0);
    CHECK(h.out.find(std::string("usage: limafs ") + cmd) == 0);
    CHECK(run_limafs({"help", cmd}).out == h.out);
  }
  REQUIRE(run_limafs({"tag", "Benchy", "boat", "pla"}).exit_code == 0);
  REQUIRE(run_limafs({"tag", "Vase", "boat"}).exit_code == 0);
  REQUIRE(run_limafs({"tag", "Vase/vase.3mf", "spiral"}).exit_code == 0);

  SECTION("tags") {
    auto list = run_limafs({"tags"});
    REQUIRE(list.exit_code == 0);
    CHECK(list.out == "PROJECTS    FILES  TAG\n"
                      "       2        0  boat\n"
                      "       1        0  pla\n"
                      "       0        1  spiral\n");
    auto js = run_limafs({"tags", "--json"});
    REQUIRE(js.exit_code == 0);
    CHECK(nlohmann::json::parse(js.out).size() == 3);

    auto renamed = run_limafs({"tags", "rename", "boat", "ship"});
    REQUIRE(renamed.exit_code == 0);
    CHECK(renamed.out == "renamed tag boat to ship (2 projects, 0 files)\n");
    CHECK_FALSE(present(s.mnt / "tags/boat"));
    CHECK(present(s.mnt / "tags/ship/Benchy"));
    auto taken = run_limafs({"tags", "rename", "ship", "pla"});
    CHECK(taken.exit_code == 1);
    CHECK(taken.err.find("limafs: ") == 0);
    CHECK(taken.err.find("(conflict)\n") != std::string::npos);

    auto merged = run_limafs({"tags", "merge", "ship", "pla"});
    REQUIRE(merged.exit_code == 0);
    CHECK(merged.out == "merged tag ship into pla (2 projects, 0 files)\n");
    CHECK_FALSE(present(s.mnt / "tags/ship"));
    CHECK(present(s.mnt / "tags/pla/Vase"));

    // An emptied tag stays until it is deleted; now the command line can.
    REQUIRE(run_limafs({"untag", "Vase/vase.3mf", "spiral"}).exit_code == 0);
    CHECK(present(s.mnt / "tags/spiral"));
    auto deleted = run_limafs({"tags", "delete", "spiral"});
    REQUIRE(deleted.exit_code == 0);
    CHECK(deleted.out == "deleted tag spiral\n");
    CHECK_FALSE(present(s.mnt / "tags/spiral"));
    // A tag in use goes only with --force.
    auto in_use = run_limafs({"tags", "delete", "pla"});
    CHECK(in_use.exit_code == 1);
    CHECK(in_use.err.find("--force") != std::string::npos);
    CHECK(present(s.mnt / "tags/pla/Benchy"));
    REQUIRE(run_limafs({"tags", "delete", "pla", "--force"}).exit_code == 0);
    CHECK_FALSE(present(s.mnt / "tags/pla"));
    CHECK(run_limafs({"tags"}).out.empty());

    auto unknown = run_limafs({"tags", "delete", "nosuch"});
    CHECK(unknown.exit_code == 1);
    CHECK(unknown.err.find("(not_found)") != std::string::npos);
    CHECK(run_limafs({"tags", "frob"}).exit_code == 2);
    CHECK(run_limafs({"tags", "rename", "a"}).exit_code == 2);
    CHECK(run_limafs({"tags", "--force"}).exit_code == 2);
  }

  SECTION("notes") {
    auto set = run_limafs({"note", "Benchy", "print at 0.2 mm"});
    REQUIRE(set.exit_code == 0);
    CHECK(set.out == "Benchy: note set\n");
    CHECK(run_limafs({"note", "Benchy"}).out == "print at 0.2 mm\n");
    REQUIRE(run_limafs({"note", "Benchy/models/3DBenchy.stl", "needs", "supports"}).exit_code == 0);
    CHECK(run_limafs({"note", "Benchy/models/3DBenchy.stl"}).out == "needs supports\n");
    auto js = run_limafs({"note", "Benchy", "--json"});
    CHECK(nlohmann::json::parse(js.out)["note"] == "print at 0.2 mm");
    auto cleared = run_limafs({"note", "Benchy", "--clear"});
    REQUIRE(cleared.exit_code == 0);
    CHECK(cleared.out == "Benchy: note removed\n");
    auto empty = run_limafs({"note", "Benchy"});
    CHECK(empty.exit_code == 0);
    CHECK(empty.out.empty());
    CHECK(run_limafs({"note", "Benchy/models/3DBenchy.stl"}).out == "needs supports\n");  // the file's is its own

    auto missing = run_limafs({"note", "Nope", "x"});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err == "limafs: no project named 'Nope'\n");
    CHECK(run_limafs({"note", "Benchy", "--clear", "text"}).exit_code == 2);
    CHECK(run_limafs({"note", "Benchy", "-"}).exit_code == 2);  // an empty standard input is no note
    CHECK(run_limafs({"note"}).exit_code == 2);
  }

  SECTION("main image") {
    CHECK(run_limafs({"main-image", "Benchy"}).out == "Benchy: images/cover.png (automatic)\n");
    auto chosen = run_limafs({"main-image", "Benchy", "images/side.jpg"});
    REQUIRE(chosen.exit_code == 0);
    CHECK(chosen.out == "Benchy: images/side.jpg (chosen)\n");
    CHECK(run_limafs({"main-image", "Benchy"}).out == "Benchy: images/side.jpg (chosen)\n");
    auto not_image = run_limafs({"main-image", "Benchy", "models/3DBenchy.stl"});
    CHECK(not_image.exit_code == 1);
    CHECK(is_one_line(not_image.err));
    CHECK(run_limafs({"main-image", "Benchy"}).out == "Benchy: images/side.jpg (chosen)\n");  // unchanged
    auto no_file = run_limafs({"main-image", "Benchy", "nope.png"});
    CHECK(no_file.exit_code == 1);
    CHECK(no_file.err == "limafs: project 'Benchy' has no file 'nope.png'\n");
    auto automatic = run_limafs({"main-image", "Benchy", "--auto"});
    REQUIRE(automatic.exit_code == 0);
    CHECK(automatic.out == "Benchy: images/cover.png (automatic)\n");
    CHECK(run_limafs({"main-image", "Vase"}).out == "Vase: no image\n");
    CHECK(run_limafs({"main-image", "Benchy", "a", "b"}).exit_code == 2);
    CHECK(run_limafs({"main-image", "Benchy", "images/side.jpg", "--auto"}).exit_code == 2);
  }
  REQUIRE(d->stop() == 0);
}

TEST_CASE("limafs have finds a local file's copies in the library by content, and says so in its exit status", "[api]") {
  RETURN_WITHOUT_FUSE();
  lima::e2e::Setup s;
  write_file(s.lib / "Gears/spare/boat.stl", read_file(s.lib / "Benchy/models/3DBenchy.stl"));
  const auto copy = s.root / "Downloads/benchy (1).stl", other = s.root / "Downloads/new.stl";
  write_file(copy, read_file(s.lib / "Benchy/models/3DBenchy.stl"));
  write_file(other, "never seen before\n");
  PrivateRuntime runtime(s.root / "run");
  auto d = s.start({"--listen", "127.0.0.1:0"});
  REQUIRE(d->serving());

  auto found = run_limafs({"have", copy.string()});
  INFO(found.err);
  REQUIRE(found.exit_code == 0);
  CHECK(found.out == copy.string() + ": Benchy/models/3DBenchy.stl\n" + copy.string() + ": Gears/spare/boat.stl\n");
  auto none = run_limafs({"have", other.string()});
  CHECK(none.exit_code == 1);
  CHECK(none.out == other.string() + ": no copy in the library\n");
  auto both = run_limafs({"have", other.string(), copy.string()});
  CHECK(both.exit_code == 1);
  CHECK(both.out.find(other.string() + ": no copy in the library\n") == 0);
  CHECK(both.out.find(copy.string() + ": Gears/spare/boat.stl\n") != std::string::npos);
  // Through a link of the view too, and with the hash xxhsum prints.
  CHECK(run_limafs({"have", (s.mnt / "projects/Vase/vase.3mf").string()}).exit_code == 0);
  auto js = run_limafs({"have", copy.string(), "--json"});
  REQUIRE(js.exit_code == 0);
  const auto report = nlohmann::json::parse(js.out);
  REQUIRE(report.size() == 1);
  CHECK(report[0]["copies"].size() == 2);
  const auto xxhsum = lima::e2e::sh("xxhsum -H2 " + lima::e2e::quoted(copy) + " 2>/dev/null");
  if (xxhsum.exit_code == 0)
    CHECK("xxh3:" + xxhsum.output.substr(0, 32) == report[0]["hash"].get<std::string>());

  auto unreadable = run_limafs({"have", (s.root / "missing.stl").string(), copy.string()});
  CHECK(unreadable.exit_code == 1);
  CHECK(unreadable.err.find("limafs: cannot read " + (s.root / "missing.stl").string()) == 0);
  CHECK(unreadable.out.find(copy.string() + ": Benchy/models/3DBenchy.stl\n") != std::string::npos);
  auto dir = run_limafs({"have", s.root.string()});
  CHECK(dir.exit_code == 1);
  CHECK(dir.err.find("not a regular file") != std::string::npos);
  CHECK(run_limafs({"have"}).exit_code == 2);
  REQUIRE(d->stop() == 0);
}

TEST_CASE("limafs problems prints the daemon's problem report, one line per problem, some kinds if asked", "[api]") {
  RETURN_WITHOUT_FUSE();
  lima::e2e::Setup s;  // its models and image are random bytes: no picture can be made of them
  PrivateRuntime runtime(s.root / "run");
  auto d = s.start({"--listen", "127.0.0.1:0"});
  REQUIRE(d->serving());
  // The picture worker has tried every file.
  REQUIRE(lima::e2e::wait_until(
      [&] {
        auto st = run_limafs({"status", "--json"});
        if (st.exit_code != 0) return false;
        const auto p = nlohmann::json::parse(st.out)["pictures"];
        return p["made"].get<int>() + p["failed"].get<int>() >= 6 && p["queued"] == 0 && p["running"] == 0;
      },
      60s));

  auto all = run_limafs({"problems"});
  INFO(all.err);
  REQUIRE(all.exit_code == 0);
  INFO(all.out);
  const std::vector<std::string> lines = [&] {
    std::vector<std::string> out;
    std::istringstream in(all.out);
    for (std::string l; std::getline(in, l);) out.push_back(l + "\n");
    return out;
  }();
  // In path order: the picture problems of the broken files among the rest.
  const std::vector<std::string> starts = {
      "undecodable_image\tBenchy/images/cover.png\t",
      "unparsable_model\tBenchy/models/3DBenchy.stl\ttruncated binary STL",
      "unparsable_model\tBenchy/models/parts/hull/hull.stl\ttruncated binary STL",
      "empty_project\tEmpty\tproject folder holds no files\n",
      "no_images\tGears\tnone of its 2 files is an image\n",
      "unparsable_model\tGears/set/large/gear-40.stl\ttruncated binary STL",
      "unparsable_model\tGears/set/small/gear-10.stl\ttruncated binary STL",
      "no_images\tVase\tnone of its 2 files is an image\n",
      "unparsable_model\tVase/vase.3mf\tnot a zip archive",
  };
  REQUIRE(lines.size() == starts.size());
  for (std::size_t i = 0; i < starts.size(); ++i) CHECK(lines[i].starts_with(starts[i]));
  const std::string &empty = lines[3], &gears = lines[4], &vase = lines[7];
  // The same lines as the mount's report.
  const std::string text = read_file(s.mnt / ".limafs/problems.txt");
  for (const auto& line : lines) CHECK(text.find(line) != std::string::npos);

  CHECK(run_limafs({"problems", "--kind", "unparsable_model"}).out == lines[1] + lines[2] + lines[5] + lines[6] + lines[8]);
  CHECK(run_limafs({"problems", "--kind", "undecodable_image"}).out == lines[0]);
  CHECK(run_limafs({"problems", "--kind", "no_images,empty_project"}).out == empty + gears + vase);
  CHECK(run_limafs({"problems", "--kind", "picture_over_cap", "--kind", "empty_project"}).out == empty);
  auto none = run_limafs({"problems", "--kind", "too_deep"});
  CHECK(none.exit_code == 0);
  CHECK(none.out.empty());

  auto js = run_limafs({"problems", "--json"});
  REQUIRE(js.exit_code == 0);
  const auto report = nlohmann::json::parse(js.out);
  CHECK(report["items"].size() == 9);
  CHECK(report["items"][0]["kind"] == "undecodable_image");
  CHECK(report["counts"]["unparsable_model"] == 5);
  CHECK(report["counts"]["no_images"] == 2);

  auto bad = run_limafs({"problems", "--kind", "nope"});
  CHECK(bad.exit_code == 2);
  CHECK(is_one_line(bad.err));
  CHECK(bad.err.find("no problem kind 'nope'") != std::string::npos);
  CHECK(run_limafs({"problems", "extra"}).exit_code == 2);
  auto help = run_limafs({"problems", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("usage: limafs problems") == 0);
  REQUIRE(d->stop() == 0);
}

TEST_CASE("limafs sync --cancel stops the running sync; it ends cancelled and the history says so", "[api]") {
  RETURN_WITHOUT_FUSE();
  lima::e2e::Setup s;
  // Enough files that a verify run takes a while.
  for (int p = 0; p < 20; ++p)
    for (int f = 0; f < 1000; ++f)
      write_file(s.lib / ("Batch " + std::to_string(p)) / ("part" + std::to_string(f) + ".stl"),
                 lima::test::random_bytes(512, static_cast<unsigned>(p * 1000 + f)));
  PrivateRuntime runtime(s.root / "run");
  auto d = s.start({"--listen", "127.0.0.1:0"});
  REQUIRE(d->serving());

  auto idle = run_limafs({"sync", "--cancel"});
  CHECK(idle.exit_code == 1);
  CHECK(idle.err == "limafs: no sync run is going on; nothing to cancel\n");
  CHECK(run_limafs({"sync", "Benchy", "--cancel"}).exit_code == 2);
  CHECK(run_limafs({"sync", "--verify", "--cancel"}).exit_code == 2);

  // A run can end before the cancel reaches it: then try again.
  std::string cancelled;
  for (int attempt = 0; attempt < 5 && cancelled.empty(); ++attempt) {
    auto started = run_limafs({"sync", "--verify", "--no-wait"});
    REQUIRE(started.exit_code == 0);
    auto stop = run_limafs({"sync", "--cancel"});
    if (stop.exit_code == 0 && stop.out.find(": cancelled (") != std::string::npos) cancelled = stop.out;
    else if (stop.exit_code == 0) CHECK(stop.out.find(": ok (") != std::string::npos);  // it had finished its work
    else CHECK(stop.err == "limafs: no sync run is going on; nothing to cancel\n");
    run_limafs({"sync"});  // lets any run end before the next try
  }
  REQUIRE_FALSE(cancelled.empty());
  CHECK(cancelled.starts_with("sync run "));
  CHECK(cancelled.find("  the sync was cancelled") != std::string::npos);
  const auto id = cancelled.substr(9, cancelled.find(':') - 9);
  auto history = run_limafs({"runs", s.lib.string(), id, "--state", s.state.string(), "--json"});
  REQUIRE(history.exit_code == 0);
  CHECK(nlohmann::json::parse(history.out)["status"] == "cancelled");
  REQUIRE(d->stop() == 0);
}

TEST_CASE("saved searches from the command line: saved, listed, shown in the mount, renamed, changed and deleted",
          "[api]") {
  RETURN_WITHOUT_FUSE();
  lima::e2e::Setup s;
  PrivateRuntime runtime(s.root / "run");
  auto d = s.start({"--listen", "127.0.0.1:0"});
  REQUIRE(d->serving());
  auto h = run_limafs({"searches", "--help"});
  CHECK(h.exit_code == 0);
  CHECK(h.out.find("usage: limafs searches") == 0);
  CHECK(run_limafs({"help", "searches"}).out == h.out);
  CHECK(read_file(s.mnt / "README.txt").find("searches/<name>/") != std::string::npos);
  CHECK(lima::e2e::listing(s.mnt / "searches").empty());

  REQUIRE(run_limafs({"tag", "Benchy", "petg"}).exit_code == 0);
  auto saved = run_limafs({"search", "--save", "petg todo", "petg"});
  REQUIRE(saved.exit_code == 0);
  CHECK(saved.out == "saved search petg todo: petg\n");
  REQUIRE(run_limafs({"searches", "create", "gears", "gear"}).exit_code == 0);
  auto list = run_limafs({"searches"});
  REQUIRE(list.exit_code == 0);
  CHECK(list.out == "gears      gear\n"
                    "petg todo  petg\n");
  auto js = run_limafs({"searches", "--json"});
  REQUIRE(js.exit_code == 0);
  const auto all = nlohmann::json::parse(js.out);
  REQUIRE(all.size() == 2);
  CHECK(all[1]["name"] == "petg todo");
  CHECK(all[1]["query"] == "petg");

  // The mount lists them, each with what its query finds now.
  CHECK(lima::e2e::listing(s.mnt / "searches") == std::set<std::string>{"gears", "petg todo"});
  CHECK(lima::e2e::listing(s.mnt / "searches/petg todo").count("Benchy") == 1);
  CHECK(present(s.mnt / "searches/petg todo/Benchy/models/3DBenchy.stl"));
  CHECK(lima::e2e::listing(s.mnt / "searches/gears").count("Gears") == 1);
  REQUIRE(run_limafs({"tag", "Vase", "petg"}).exit_code == 0);
  CHECK(lima::e2e::listing(s.mnt / "searches/petg todo").count("Vase") == 1);
  auto shown = run_limafs({"searches", "show", "petg todo"});
  REQUIRE(shown.exit_code == 0);
  CHECK(shown.out.find("project  Benchy\n") != std::string::npos);
  CHECK(shown.out.find("project  Vase\n") != std::string::npos);

  auto renamed = run_limafs({"searches", "rename", "petg todo", "petg"});
  REQUIRE(renamed.exit_code == 0);
  CHECK(renamed.out == "petg: petg\n");
  CHECK(lima::e2e::listing(s.mnt / "searches") == std::set<std::string>{"gears", "petg"});
  CHECK_FALSE(present(s.mnt / "searches/petg todo"));
  auto changed = run_limafs({"searches", "set", "petg", "vase", "-benchy"});
  REQUIRE(changed.exit_code == 0);
  CHECK(changed.out == "petg: vase -benchy\n");
  const auto now = lima::e2e::listing(s.mnt / "searches/petg");
  CHECK(now.count("Vase") == 1);
  CHECK(now.count("Benchy") == 0);

  auto bad = run_limafs({"searches", "create", "broken", "(vase"});
  CHECK(bad.exit_code == 1);
  CHECK(is_one_line(bad.err));
  CHECK(bad.err.find("(invalid_query)") != std::string::npos);
  auto bad_line = run_limafs({"search", "--save", "broken", "(vase"});  // refused before any request
  CHECK(bad_line.exit_code == 2);
  CHECK(is_one_line(bad_line.err));
  CHECK(run_limafs({"searches"}).out.find("broken") == std::string::npos);
  auto taken = run_limafs({"searches", "create", "gears", "cog"});
  CHECK(taken.exit_code == 1);
  CHECK(taken.err.find("(conflict)") != std::string::npos);
  auto missing = run_limafs({"searches", "delete", "nosuch"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("(not_found)") != std::string::npos);
  CHECK(run_limafs({"searches", "frob"}).exit_code == 2);
  CHECK(run_limafs({"searches", "rename", "gears"}).exit_code == 2);

  auto deleted = run_limafs({"searches", "delete", "petg", "gears"});
  REQUIRE(deleted.exit_code == 0);
  CHECK(deleted.out == "deleted saved search petg\ndeleted saved search gears\n");
  CHECK(lima::e2e::listing(s.mnt / "searches").empty());
  CHECK_FALSE(present(s.mnt / "searches/petg"));
  CHECK(run_limafs({"searches"}).out.empty());
  REQUIRE(d->stop() == 0);
}
