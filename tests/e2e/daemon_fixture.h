// The real daemon in end-to-end tests: `limafs mount` run in the background
// (always stopped and unmounted afterwards), a temporary library to serve,
// and helpers to look at mounts and run shell commands.
#pragma once

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
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "e2e/run_limafs.h"
#include "index/catalog.h"
#include "index/metadata.h"
#include "support/skip.h"
#include "test_support.h"

namespace lima::e2e {

namespace stdfs = std::filesystem;
using lima::test::read_file;
using lima::test::run_limafs;
using lima::test::TempDir;
using lima::test::write_file;
using namespace std::chrono_literals;


using Clock = std::chrono::steady_clock;

inline constexpr auto kStartTimeout = 30s;  // sync + mount of a small library
inline constexpr auto kStopTimeout = 30s;   // unmount and exit after a signal
inline constexpr auto kPoll = 20ms;

inline bool have_fuse() { return lima::test::fuse_available(); }

/// Asks `pred` every kPoll until it holds (true) or `timeout` has passed
/// (false, after one last look at the deadline). For changes that happen in
/// the background: every wait has a timeout, none is a fixed sleep.
template <class Pred>
bool wait_until(Pred&& pred, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPoll);
  }
}

// Without /dev/fuse the daemon cannot mount: such a test is skipped.
#define RETURN_WITHOUT_FUSE()                                                        \
  do {                                                                               \
    if (!have_fuse()) LIMA_SKIP("/dev/fuse is missing: limafs cannot mount here"); \
  } while (false)

/// Undoes the octal escapes (\040 for a space...) of /proc/self/mountinfo.
inline std::string unescape_mountinfo(const std::string& s) {
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
inline std::vector<MountEntry> mounts() {
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
inline int mounts_on(const stdfs::path& p) {
  const auto all = mounts();
  return static_cast<int>(
      std::count_if(all.begin(), all.end(), [&](const MountEntry& m) { return m.point == p.string(); }));
}

/// Mount points at or below `dir`.
inline std::vector<std::string> mounts_under(const stdfs::path& dir) {
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

inline int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

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
      if (log().find("limafs: serving ") != std::string::npos && startup_synced() && mounts_on(mountpoint_) > 0 &&
          ::statvfs(mountpoint_.c_str(), &vfs) == 0 && ::stat((mountpoint_ / "README.txt").c_str(), &st) == 0)
        return true;
      std::this_thread::sleep_for(kPoll);
    }
    return false;
  }

  /// Whether the startup sync has ended (an index from an earlier run is
  /// served while it runs).
  bool startup_synced() {
    const std::string l = log();
    for (const char* end : {"limafs: sync ", "limafs: warning: library offline", "limafs: error: sync failed"})
      if (l.find(end) != std::string::npos) return true;
    return false;
  }

  pid_t pid() const { return pid_; }

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

  /// The control API's URL, as the daemon announced it ("" before that).
  std::string api_url() const {
    const std::string text = log(), marker = "limafs: control API on ";
    const auto at = text.find(marker);
    if (at == std::string::npos) return {};
    const auto start = at + marker.size();
    return text.substr(start, text.find('\n', start) - start);
  }

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
inline ShellOutcome sh(const std::string& cmd, std::chrono::seconds timeout = 60s) {
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

inline std::string quoted(const stdfs::path& p) { return "'" + p.string() + "'"; }


/// Names in a directory, sorted.
inline std::set<std::string> listing(const stdfs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : stdfs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

inline std::size_t count_of(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

inline bool is_one_line(const std::string& s) { return !s.empty() && s.back() == '\n' && count_of(s, "\n") == 1; }

/// True when `p` is an ordinary directory of its parent's filesystem again.
inline bool same_fs_as_parent(const stdfs::path& p) {
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
    write_file(lib / "Benchy/images/cover.png", lima::test::png_start(640, 480, 3000, 3));
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


}  // namespace lima::e2e
