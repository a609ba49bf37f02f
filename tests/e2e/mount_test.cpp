// `limafs mount` as a user meets it: it serves the view until told to stop,
// recovers from a killed daemon, refuses dangerous or impossible paths, and
// nothing done through the mount can touch the library.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "e2e/run_limafs.h"
#include "index/catalog.h"
#include "index/hasher.h"
#include "index/metadata.h"
#include "e2e/daemon_fixture.h"
#include "support/library_snapshot.h"
#include "test_support.h"

using lima::test::read_file;
using lima::test::run_limafs;
using lima::test::TempDir;
using lima::test::write_file;
namespace stdfs = std::filesystem;
using lima::test::snapshot;
using namespace std::chrono_literals;

using namespace lima::e2e;


TEST_CASE("mount serves the view until SIGTERM, SIGINT or SIGHUP, then unmounts and exits 0", "[mount]") {
  RETURN_WITHOUT_FUSE();
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
    INFO("stopped with signal " << sig);
    Setup s;
    auto d = s.start();
    REQUIRE(d->serving());

    CHECK(read_file(s.mnt / "README.txt").find("read-only") != std::string::npos);
    CHECK(listing(s.mnt / "projects") == std::set<std::string>{"Benchy", "Empty", "Gears", "Vase"});
    // Projects are directories; their files are links to the real files.
    CHECK(stdfs::is_directory(stdfs::symlink_status(s.mnt / "projects/Benchy")));
    CHECK(stdfs::is_directory(stdfs::symlink_status(s.mnt / "projects/Benchy/models/parts/hull")));
    const auto link = s.mnt / "projects/Benchy/models/3DBenchy.stl";
    REQUIRE(stdfs::is_symlink(stdfs::symlink_status(link)));
    CHECK(stdfs::read_symlink(link) == s.lib / "Benchy/models/3DBenchy.stl");
    CHECK(read_file(link) == read_file(s.lib / "Benchy/models/3DBenchy.stl"));
    CHECK(stdfs::read_symlink(s.mnt / "projects/Gears/set/large/gear-40.stl") == s.lib / "Gears/set/large/gear-40.stl");
    CHECK(read_file(s.mnt / ".limafs/status").find("library: " + s.lib.string()) != std::string::npos);

    CHECK(d->stop(sig) == 0);
    const auto log = d->log();
    CHECK(count_of(log, "limafs: serving " + s.lib.string() + " on " + s.mnt.string()) == 1);
    CHECK(log.find("limafs: unmounted " + s.mnt.string()) != std::string::npos);
    CHECK(mounts_on(s.mnt) == 0);
    CHECK(same_fs_as_parent(s.mnt));
    CHECK(stdfs::is_empty(s.mnt));
  }
}

TEST_CASE("SIGTERM ends the daemon even while a shell sits inside the mount", "[mount]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  auto d = s.start();
  REQUIRE(d->serving());
  // A process whose working directory is in the view keeps the mount busy.
  const pid_t shell = ::fork();
  REQUIRE(shell >= 0);
  if (shell == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::chdir((s.mnt / "projects/Benchy").c_str()) != 0) ::_exit(1);
    ::pause();
    ::_exit(0);
  }
  struct Reap {
    pid_t pid;
    ~Reap() {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } reap{shell};
  std::this_thread::sleep_for(200ms);
  const auto start = Clock::now();
  CHECK(d->stop(SIGTERM) == 0);
  CHECK(Clock::now() - start < 15s);
  CHECK(mounts_on(s.mnt) == 0);  // detached from the tree at once
  CHECK(d->log().find("limafs: unmounted " + s.mnt.string()) != std::string::npos);
}

TEST_CASE("after kill -9 the next mount clears the dead mount and serves again", "[mount]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  auto first = s.start();
  REQUIRE(first->serving());
  CHECK(first->kill9() == 128 + SIGKILL);

  // What a user finds after the crash: the mount is still there, but dead
  // ("Transport endpoint is not connected").
  CHECK(mounts_on(s.mnt) == 1);
  struct statvfs vfs {};
  CHECK(::statvfs(s.mnt.c_str(), &vfs) != 0);
  CHECK(errno == ENOTCONN);
  CHECK(sh("ls " + quoted(s.mnt / "projects")).exit_code != 0);

  auto second = s.start();
  REQUIRE(second->serving());
  CHECK(second->log().find("limafs: cleared a dead mount left on " + s.mnt.string() + "\n") != std::string::npos);
  CHECK(mounts_on(s.mnt) == 1);  // replaced, not stacked on the dead one
  CHECK(read_file(s.mnt / "README.txt").find("read-only") != std::string::npos);
  CHECK(stdfs::read_symlink(s.mnt / "projects/Vase/vase.3mf") == s.lib / "Vase/vase.3mf");

  CHECK(second->stop() == 0);
  CHECK(second->log().find("limafs: unmounted " + s.mnt.string()) != std::string::npos);
  CHECK(mounts_on(s.mnt) == 0);
  CHECK(same_fs_as_parent(s.mnt));
  CHECK(stdfs::is_empty(s.mnt));
}

TEST_CASE("mount refuses paths it must not or cannot use, with one clear line", "[mount]") {
  Setup s;
  // A library inside the would-be mountpoint, and a way into the library
  // that does not look like one.
  write_file(s.root / "outer/lib/Thing/thing.stl", "solid t\nendsolid t\n");
  stdfs::create_directories(s.root / "outer/mnt-sibling");
  stdfs::create_directory_symlink(s.lib / "Empty", s.root / "sneaky");
  write_file(s.root / "full/leftover.txt", "mine\n");
  write_file(s.root / "plain-file", "not a directory\n");
  stdfs::create_directories(s.root / "busy");
  lima::test::TmpfsMount tmpfs(s.root / "busy");
  const auto before = snapshot(s.lib);
  const auto mounts_before = mounts_under(s.root);

  struct Case {
    std::string what, library, mountpoint, says;
  } cases[] = {
      {"missing library", (s.root / "nope").string(), s.mnt.string(), "does not exist"},
      {"library is a file", (s.root / "plain-file").string(), s.mnt.string(), "does not exist or is not a directory"},
      {"missing mountpoint", s.lib.string(), (s.root / "nope").string(), "does not exist"},
      {"mountpoint is a file", s.lib.string(), (s.root / "plain-file").string(), "is not a directory"},
      {"mountpoint inside the library", s.lib.string(), (s.lib / "Empty").string(), "inside the library"},
      {"mountpoint is the library", s.lib.string(), s.lib.string(), "inside the library"},
      {"mountpoint reached through a symlink into the library", s.lib.string(), (s.root / "sneaky").string(),
       "inside the library"},
      {"library inside the mountpoint", (s.root / "outer/lib").string(), (s.root / "outer").string(),
       "inside the mountpoint"},
      {"mountpoint not empty", s.lib.string(), (s.root / "full").string(), "not empty"},
      {"mountpoint already a mount point", s.lib.string(), (s.root / "busy").string(), "already a mount point"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    if (c.what == "mountpoint already a mount point" && !tmpfs.ok()) {
      WARN("cannot mount a tmpfs here: 'already a mount point' not checked");
      continue;
    }
    auto o = run_limafs({"mount", c.library, c.mountpoint, "--state", s.state.string()}, std::nullopt, 30);
    CHECK(o.exit_code == 1);
    CHECK(o.err.starts_with("limafs: "));
    CHECK(is_one_line(o.err));
    CHECK(o.err.find(c.says) != std::string::npos);
    CHECK(o.out.empty());
    CHECK(mounts_under(s.root) == mounts_before);
    CHECK_FALSE(stdfs::exists(s.state));  // refused before touching the index
  }
  CHECK(read_file(s.root / "full/leftover.txt") == "mine\n");
  CHECK(snapshot(s.lib) == before);

  struct Usage {
    std::string what;
    std::vector<std::string> args;
  } usages[] = {
      {"no arguments", {"mount"}},
      {"only a library", {"mount", s.lib.string()}},
      {"three paths", {"mount", s.lib.string(), s.mnt.string(), (s.root / "other").string()}},
      {"-o rw", {"mount", s.lib.string(), s.mnt.string(), "--state", s.state.string(), "-o", "rw"}},
      {"rw among other options",
       {"mount", s.lib.string(), s.mnt.string(), "--state", s.state.string(), "-o", "allow_other,rw"}},
      {"unknown option", {"mount", s.lib.string(), s.mnt.string(), "--bogus"}},
  };
  for (const auto& u : usages) {
    INFO(u.what);
    auto o = run_limafs(u.args, std::nullopt, 30);
    CHECK(o.exit_code == 2);
    CHECK(o.err.starts_with("limafs: "));
    CHECK(is_one_line(o.err));
    CHECK(mounts_under(s.root) == mounts_before);
    CHECK_FALSE(stdfs::exists(s.state));
  }
  CHECK(stdfs::is_empty(s.mnt));
  CHECK(snapshot(s.lib) == before);
}

TEST_CASE("rm -rf and find -delete through the mount fail and leave the library exactly as it was", "[mount]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  s.tag_and_collect();
  const auto before = snapshot(s.lib);
  auto d = s.start();
  REQUIRE(d->serving());
  REQUIRE(mounts_on(s.mnt) == 1);  // never run these on the bare directory

  // The tagged project and file are where a user would look for them.
  CHECK(listing(s.mnt / "tags/x") == std::set<std::string>{"Benchy", "Vase - vase.3mf"});
  CHECK(stdfs::read_symlink(s.mnt / "tags/x/Vase - vase.3mf") == s.lib / "Vase/vase.3mf");
  CHECK(stdfs::is_directory(stdfs::symlink_status(s.mnt / "tags/x/Benchy")));
  CHECK(listing(s.mnt / "collections/Boats") == std::set<std::string>{"Benchy"});
  const auto tagged_file = s.mnt / "tags/x/Benchy/models/3DBenchy.stl";
  CHECK(stdfs::read_symlink(tagged_file) == s.lib / "Benchy/models/3DBenchy.stl");

  const std::string m = s.mnt.string();
  const std::string commands[] = {
      "rm -rf " + quoted(s.mnt / "tags/x/Benchy") + "/",
      "rm -f " + quoted(s.mnt / "tags/x/Vase - vase.3mf"),
      "rm -rf " + quoted(s.mnt / "collections/Boats/Benchy"),
      "rm -rf " + quoted(s.mnt / "projects/Gears/set"),
      "rm -rf " + quoted(s.mnt) + "/*",
      "find " + quoted(s.mnt) + " -delete",
  };
  for (const auto& cmd : commands) {
    INFO(cmd);
    auto o = sh(cmd);
    CHECK(o.exit_code != 0);
    CHECK(o.output.find("Read-only file system") != std::string::npos);
    CHECK(snapshot(s.lib) == before);
  }

  // The view is intact and still served.
  CHECK(mounts_on(s.mnt) == 1);
  CHECK(read_file(s.mnt / "README.txt").find("read-only") != std::string::npos);
  CHECK(listing(s.mnt / "tags/x") == std::set<std::string>{"Benchy", "Vase - vase.3mf"});
  CHECK(stdfs::read_symlink(tagged_file) == s.lib / "Benchy/models/3DBenchy.stl");
  CHECK(read_file(tagged_file) == read_file(s.lib / "Benchy/models/3DBenchy.stl"));
  CHECK(listing(s.mnt / "projects") == std::set<std::string>{"Benchy", "Empty", "Gears", "Vase"});

  CHECK(d->stop() == 0);
  CHECK(mounts_on(s.mnt) == 0);
  CHECK(stdfs::is_empty(s.mnt));
  CHECK(snapshot(s.lib) == before);
}

TEST_CASE("while mounted, a scan or a second mount of the same index is refused and changes nothing", "[mount]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  // Not watching: nothing but the refused commands could sync.
  auto d = s.start({"--no-watch", "--poll-interval", "off"});
  REQUIRE(d->serving());
  // The picture worker has tried its six files (random bytes: none gives a picture).
  REQUIRE(wait_until(
      [&] {
        return read_file(s.mnt / ".limafs/status").find("pictures: 0 queued, 0 being made, 0 made, 6 failed") !=
               std::string::npos;
      },
      60s));
  // Something a scan would pick up, had it run.
  write_file(s.lib / "Vase/vase-v2.3mf", lima::test::random_bytes(8000, 7));
  const auto before = snapshot(s.lib);
  const auto status_before = read_file(s.mnt / ".limafs/status");
  REQUIRE(status_before.find("last run: #1 ") != std::string::npos);
  const auto runs_before = run_limafs({"runs", s.lib.string(), "--state", s.state.string()}, std::nullopt, 30);
  REQUIRE(runs_before.exit_code == 0);  // the run history stays readable while mounted

  SECTION("limafs scan") {
    auto o = run_limafs({"scan", s.lib.string(), "--state", s.state.string()}, std::nullopt, 60);
    CHECK(o.exit_code == 1);
    CHECK(is_one_line(o.err));
    CHECK(o.err.find("in use by another limafs process") != std::string::npos);
  }
  SECTION("a second limafs mount on another mountpoint") {
    stdfs::create_directories(s.root / "mnt2");
    auto o = run_limafs({"mount", s.lib.string(), (s.root / "mnt2").string(), "--state", s.state.string()},
                        std::nullopt, 60);
    CHECK(o.exit_code == 1);
    CHECK(is_one_line(o.err));
    CHECK(o.err.find("in use by another limafs process") != std::string::npos);
    CHECK(mounts_on(s.root / "mnt2") == 0);
  }
  SECTION("the same limafs mount again") {
    auto o = run_limafs({"mount", s.lib.string(), s.mnt.string(), "--state", s.state.string()}, std::nullopt, 60);
    CHECK(o.exit_code == 1);
    CHECK(is_one_line(o.err));
    CHECK(o.err.find("already a mount point") != std::string::npos);
    CHECK(mounts_on(s.mnt) == 1);
  }

  CHECK(snapshot(s.lib) == before);
  CHECK(read_file(s.mnt / ".limafs/status") == status_before);
  CHECK_FALSE(stdfs::exists(stdfs::symlink_status(s.mnt / "projects/Vase/vase-v2.3mf")));
  auto runs_after = run_limafs({"runs", s.lib.string(), "--state", s.state.string()}, std::nullopt, 30);
  CHECK(runs_after.exit_code == 0);
  CHECK(runs_after.out == runs_before.out);
  // The running daemon did not notice a thing.
  CHECK(read_file(s.mnt / "README.txt").find("read-only") != std::string::npos);
  CHECK(d->stop() == 0);
  CHECK(mounts_on(s.mnt) == 0);
}
