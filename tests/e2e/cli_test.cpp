// The command line as a user meets it: help, errors, summaries, JSON, runs.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <sys/file.h>

#include "e2e/run_limafs.h"
#include "test_support.h"

using lima::test::run_limafs;
using lima::test::TempDir;
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
