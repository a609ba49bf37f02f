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
#include "e2e/library_snapshot.h"
#include "test_support.h"

using lima::test::read_file;
using lima::test::run_limafs;
using lima::test::TempDir;
using lima::test::write_file;
namespace stdfs = std::filesystem;
using lima::test::snapshot;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kStartTimeout = 30s;  // sync + mount of a small library
constexpr auto kStopTimeout = 30s;   // unmount and exit after a signal
constexpr auto kPoll = 20ms;

bool have_fuse() { return ::access("/dev/fuse", R_OK | W_OK) == 0; }

// Without /dev/fuse the daemon cannot mount: such a test passes with a warning.
#define RETURN_WITHOUT_FUSE()                                             \
  do {                                                                    \
    if (!have_fuse()) {                                                   \
      WARN("/dev/fuse is missing: limafs mount cannot be exercised here"); \
      return;                                                             \
    }                                                                     \
  } while (false)

/// Undoes the octal escapes (\040 for a space...) of /proc/self/mountinfo.
std::string unescape_mountinfo(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const std::string oct = s.substr(i + 1, 3);
      if (std::all_of(oct.begin(), oct.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        out.push_back(static_cast<char>(std::stoi(oct, nullptr, 8)));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

struct MountEntry {
  std::string point, fstype;
};

/// Every mount of this process's namespace, in mount order.
std::vector<MountEntry> mounts() {
  std::vector<MountEntry> out;
  std::ifstream f("/proc/self/mountinfo");
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream ss(line);
    std::string id, parent, devno, root, point, field;
    ss >> id >> parent >> devno >> root >> point;
    while (ss >> field && field != "-") {
    }
    std::string fstype;
    ss >> fstype;
    out.push_back({unescape_mountinfo(point), fstype});
  }
  return out;
}

/// How many mounts sit exactly on `p` (stacked mounts count each).
int mounts_on(const stdfs::path& p) {
  const auto all = mounts();
  return static_cast<int>(
      std::count_if(all.begin(), all.end(), [&](const MountEntry& m) { return m.point == p.string(); }));
}

/// Mount points at or below `dir`.
std::vector<std::string> mounts_under(const stdfs::path& dir) {
  std::vector<std::string> out;
  const std::string d = dir.string();
  for (const auto& m : mounts())
    if (m.point == d || m.point.starts_with(d + "/")) out.push_back(m.point);
  return out;
}

/// Lazily detaches whatever is still mounted at or below `dir` when it goes
/// away, so a failed test never leaves a mount behind in a temp directory.
class MountSweeper {
 public:
  explicit MountSweeper(stdfs::path dir) : dir_(std::move(dir)) {}
  ~MountSweeper() {
    for (int round = 0; round < 8; ++round) {
      auto left = mounts_under(dir_);
      if (left.empty()) return;
      std::sort(left.begin(), left.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
      for (const auto& p : left) ::umount2(p.c_str(), MNT_DETACH);
    }
  }
  MountSweeper(const MountSweeper&) = delete;
  MountSweeper& operator=(const MountSweeper&) = delete;

 private:
  stdfs::path dir_;
};

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

/// `limafs mount ARGS...` running in the background, with its stderr kept in
/// a file. Destroying it always stops the daemon and leaves no mount behind:
/// SIGTERM, then SIGKILL and a lazy unmount if it does not go in time. A
/// watchdog kills the daemon if a test gets stuck on its mount, so a hung
/// view makes the test fail instead of hanging it.
class Daemon {
 public:
  Daemon(const std::vector<std::string>& args, stdfs::path mountpoint, stdfs::path err_file)
      : mountpoint_(std::move(mountpoint)), err_file_(std::move(err_file)) {
    std::vector<std::string> argv_s{LIMAFS_BIN, "mount"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test program
      if (::getppid() != parent) ::_exit(125);
      int in = ::open("/dev/null", O_RDONLY);
      int out = ::open("/dev/null", O_WRONLY);
      int err = ::open(err_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(in, 0), ::dup2(out, 1), ::dup2(err, 2);
      ::setsid();
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    watchdog_ = std::thread([this] {
      std::unique_lock lock(mu_);
      if (!cv_.wait_for(lock, 150s, [this] { return done_; }) && !reaped_) ::kill(pid_, SIGKILL);
    });
  }

  ~Daemon() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    watchdog_.join();
    if (!reaped()) {
      ::kill(pid_, SIGTERM);
      if (!wait_exit(kStopTimeout)) {
        ::kill(pid_, SIGKILL);
        wait_exit(10s);
      }
    }
    if (mounts_on(mountpoint_) > 0) ::umount2(mountpoint_.c_str(), MNT_DETACH);
  }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  /// Waits until the daemon says it serves and the view answers (README.txt
  /// there); false if the daemon exited or did not get there in time. A dead
  /// mount left on the same place does not count: statfs() always reaches
  /// the daemon, where stat() may be answered from the kernel's caches.
  bool serving() {
    const auto deadline = Clock::now() + kStartTimeout;
    while (Clock::now() < deadline) {
      if (reaped()) return false;
      struct stat st {};
      struct statvfs vfs {};
      if (log().find("limafs: serving ") != std::string::npos && mounts_on(mountpoint_) > 0 &&
          ::statvfs(mountpoint_.c_str(), &vfs) == 0 && ::stat((mountpoint_ / "README.txt").c_str(), &st) == 0)
        return true;
      std::this_thread::sleep_for(kPoll);
    }
    return false;
  }

  /// Sends `sig` and waits for the exit code; -1 if it did not exit in time
  /// (it is then killed).
  int stop(int sig = SIGTERM) {
    if (!reaped()) ::kill(pid_, sig);
    if (!wait_exit(kStopTimeout)) {
      ::kill(pid_, SIGKILL);
      wait_exit(10s);
      return -1;
    }
    return exit_code_of(status_);
  }

  /// kill -9: the daemon gets no chance to unmount.
  int kill9() {
    ::kill(pid_, SIGKILL);
    return wait_exit(kStopTimeout) ? exit_code_of(status_) : -1;
  }

  /// What the daemon wrote on stderr so far.
  std::string log() const { return read_file(err_file_); }

 private:
  bool reaped() {
    std::lock_guard lock(mu_);
    if (!reaped_ && ::waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
    return reaped_;
  }
  bool wait_exit(std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!reaped()) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(kPoll);
    }
    return true;
  }

  stdfs::path mountpoint_, err_file_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false, done_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread watchdog_;
};

struct ShellOutcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

/// Runs `sh -c CMD` (at most `timeout`), as a user at a terminal would.
ShellOutcome sh(const std::string& cmd, std::chrono::seconds timeout = 60s) {
  TempDir io;
  const auto out_path = io / "out";
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(in, 0), ::dup2(out, 1), ::dup2(out, 2);
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  const auto deadline = Clock::now() + timeout;
  while (::waitpid(pid, &status, WNOHANG) != pid) {
    if (Clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  return {exit_code_of(status), read_file(out_path)};
}

std::string quoted(const stdfs::path& p) { return "'" + p.string() + "'"; }


/// Names in a directory, sorted.
std::set<std::string> listing(const stdfs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : stdfs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

std::size_t count_of(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

bool is_one_line(const std::string& s) { return !s.empty() && s.back() == '\n' && count_of(s, "\n") == 1; }

/// True when `p` is an ordinary directory of its parent's filesystem again.
bool same_fs_as_parent(const stdfs::path& p) {
  struct stat a {}, b {};
  return ::stat(p.c_str(), &a) == 0 && ::stat(p.parent_path().c_str(), &b) == 0 && a.st_dev == b.st_dev;
}

/// A temporary library of a few projects with nested folders, a mountpoint
/// and a state directory, all on real paths (no symlink in between).
struct Setup {
  TempDir tmp;
  stdfs::path root = stdfs::canonical(tmp.path());
  stdfs::path lib = root / "Models";
  stdfs::path mnt = root / "mnt";
  stdfs::path state = root / "state";
  MountSweeper sweeper{root};
  int daemons = 0;

  Setup() {
    write_file(lib / "Benchy/models/3DBenchy.stl", lima::test::random_bytes(20000, 1));
    write_file(lib / "Benchy/models/parts/hull/hull.stl", lima::test::random_bytes(4000, 2));
    write_file(lib / "Benchy/images/cover.png", lima::test::random_bytes(3000, 3));
    write_file(lib / "Benchy/README.md", "print at 0.2 mm\n");
    write_file(lib / "Vase/vase.3mf", lima::test::random_bytes(7000, 4));
    write_file(lib / "Vase/notes.md", "spiral mode\n");
    write_file(lib / "Gears/set/small/gear-10.stl", lima::test::random_bytes(1500, 5));
    write_file(lib / "Gears/set/large/gear-40.stl", lima::test::random_bytes(6000, 6));
    stdfs::create_directories(lib / "Empty");
    stdfs::create_directories(mnt);
    lima::test::set_mtime(lib / "Vase/vase.3mf", 1'600'000'000);
  }

  std::unique_ptr<Daemon> start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{lib.string(), mnt.string(), "--state", state.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<Daemon>(args, mnt, root / ("daemon-" + std::to_string(++daemons) + ".err"));
  }

  /// Indexes the library, then tags Benchy `x`, puts it in the collection
  /// "Boats", and tags the file Vase/vase.3mf `x` too.
  void tag_and_collect() {
    REQUIRE(run_limafs({"scan", lib.string(), "--state", state.string()}).exit_code == 0);
    namespace ix = lima::index;
    auto c = ix::Catalog::open(state, ix::OpenMode::read_write);
    REQUIRE(c);
    std::optional<ix::ProjectId> benchy, vase;
    std::optional<ix::AssetId> vase_file;
    {
      ix::ReadTxn t((*c)->env());
      benchy = (*c)->project_id_by_name(t, "Benchy");
      vase = (*c)->project_id_by_name(t, "Vase");
      if (vase) vase_file = (*c)->asset_id_by_path(t, *vase, "vase.3mf");
    }
    REQUIRE(benchy);
    REQUIRE(vase_file);
    bool tagged = false, created = false, added = false, asset_tagged = false;
    (*c)->write([&](ix::WriteTxn& t) {
      ix::Metadata m(**c);
      tagged = m.tag_project(t, *benchy, "x").has_value();
      asset_tagged = m.tag_asset(t, *vase_file, "x").has_value();
      auto coll = m.create_collection(t, "Boats");
      created = coll.has_value();
      if (coll) added = m.add_to_collection(t, *coll, *benchy).has_value();
    });
    CHECK(tagged);
    CHECK(asset_tagged);
    CHECK(created);
    CHECK(added);
  }
};

}  // namespace

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
  auto d = s.start();
  REQUIRE(d->serving());
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
