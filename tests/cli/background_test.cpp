// detach(): a "launcher" process forked by the test plays `limafs mount
// --background`; its daemon child reports (or not) and the test checks the
// launcher's exit status and standard error. The test process is a child
// subreaper, so the daemon, orphaned when the launcher exits, is reaped here.
// notify_systemd(): datagrams to sockets the test binds.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cerrno>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "cli/background.h"
#include "test_support.h"

using namespace lima::cli;
using lima::test::TempDir;
namespace stdfs = std::filesystem;

namespace {

/// waitpid with a deadline; kills the process when it is exceeded.
std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return std::nullopt;
}

bool wait_for_file(const stdfs::path& p, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!stdfs::exists(p)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

struct Launch {
  int status = -1;       ///< the launcher's exit status (-1: it did not exit normally in time)
  std::string stderr_;   ///< what the launcher and its daemon wrote to standard error
  pid_t daemon = 0;      ///< the daemon's pid, as it wrote it
  std::chrono::milliseconds took{0};
};

/// Forks a launcher that calls detach(); its daemon writes its pid to
/// DIR/pid, runs `daemon_body` and _exits with what that returns.
Launch launch(const TempDir& dir, const std::function<int(Detached&)>& daemon_body) {
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  const auto err_path = dir / "stderr";
  const auto start = std::chrono::steady_clock::now();
  const pid_t launcher = ::fork();
  REQUIRE(launcher >= 0);
  if (launcher == 0) {
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(err, STDERR_FILENO);
    auto d = detach();
    if (!d) {
      std::fprintf(stderr, "detach failed: %s\n", d.error().message.c_str());
      ::_exit(99);
    }
    if (d->exit_status) ::_exit(*d->exit_status);  // the starting process
    lima::test::write_file(dir / "pid.tmp", std::to_string(::getpid()));
    stdfs::rename(dir / "pid.tmp", dir / "pid");
    ::_exit(daemon_body(d->daemon));  // the daemon; no destructor of this frame runs
  }
  Launch out;
  if (auto st = wait_for(launcher); st && WIFEXITED(*st)) out.status = WEXITSTATUS(*st);
  out.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  out.stderr_ = lima::test::read_file(err_path);
  if (wait_for_file(dir / "pid", std::chrono::milliseconds(2000)))
    out.daemon = std::stoi(lima::test::read_file(dir / "pid"));
  return out;
}

/// Reaps the (orphaned, reparented to us) daemon.
std::optional<int> reap(pid_t daemon) {
  if (daemon <= 0) return std::nullopt;
  return wait_for(daemon);
}

/// True once the process is gone (reaped by the starting process, which
/// waited for its exit status).
bool gone(pid_t pid) { return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH; }

}  // namespace

TEST_CASE("detach: the starting process exits 0 once the daemon is ready, the daemon goes on") {
  TempDir dir;
  const auto cwd = stdfs::current_path();
  auto r = launch(dir, [&](Detached& d) {
    // What a daemon should find: its own session, no terminal input, the same cwd.
    struct stat in {}, null {};
    ::fstat(STDIN_FILENO, &in);
    ::stat("/dev/null", &null);
    const bool stdin_null = S_ISCHR(in.st_mode) && in.st_rdev == null.st_rdev;
    lima::test::write_file(dir / "facts", std::string(::getsid(0) == ::getpid() ? "session " : "no-session ") +
                                              (stdin_null ? "stdin-null " : "stdin-other ") +
                                              stdfs::current_path().string());
    std::fprintf(stderr, "limafs: serving\n");
    if (!d.pending()) return 3;
    d.ready();
    if (d.pending()) return 4;
    // Serve until the test says stop.
    return wait_for_file(dir / "stop") ? 0 : 5;
  });
  REQUIRE(r.daemon > 0);
  CHECK(r.status == 0);
  CHECK(r.stderr_ == "limafs: serving\n");  // the starting process added nothing
  CHECK(lima::test::read_file(dir / "facts") == "session stdin-null " + cwd.string());
  // The daemon still runs after the starting process exited.
  int st = 0;
  CHECK(::waitpid(r.daemon, &st, WNOHANG) == 0);
  lima::test::write_file(dir / "stop", "");
  auto ended = reap(r.daemon);
  REQUIRE(ended);
  CHECK(WIFEXITED(*ended));
  CHECK(WEXITSTATUS(*ended) == 0);
}

TEST_CASE("detach: a reported failure is printed by the starting process, which exits with its status") {
  TempDir dir;
  SECTION("default status 1") {
    auto r = launch(dir, [&](Detached& d) {
      d.failed("mountpoint /mnt/x is not empty");
      d.failed("a second report is ignored");
      return wait_for_file(dir / "stop") ? 0 : 5;  // still running: the starter must not wait for it
    });
    CHECK(r.status == 1);
    CHECK(r.stderr_ == "limafs: mountpoint /mnt/x is not empty\n");
    lima::test::write_file(dir / "stop", "");
    CHECK(reap(r.daemon));
  }
  SECTION("a chosen status, an empty message prints nothing") {
    auto r = launch(dir, [&](Detached& d) {
      std::fprintf(stderr, "limafs: mount: bad option\n");
      d.failed("", 2);
      return 2;
    });
    CHECK(r.status == 2);
    CHECK(r.stderr_ == "limafs: mount: bad option\n");
    CHECK(reap(r.daemon));
  }
}

TEST_CASE("detach: a daemon that returns without reporting passes on its own exit status") {
  TempDir dir;
  SECTION("an error it printed itself is not repeated") {
    auto r = launch(dir, [&](Detached&) {
      std::fprintf(stderr, "limafs: the library /x does not exist\n");
      return 1;  // the destructor never ran: _exit closes the pipe all the same
    });
    CHECK(r.status == 1);
    CHECK(r.stderr_ == "limafs: the library /x does not exist\n");
    CHECK(gone(r.daemon));
  }
  SECTION("usage errors keep their status") {
    auto r = launch(dir, [&](Detached& d) {
      { Detached gone = std::move(d); }  // destroyed unreported
      return 2;
    });
    CHECK(r.status == 2);
    CHECK(r.stderr_.empty());
    CHECK(gone(r.daemon));
  }
  SECTION("ending with 0 before serving is still a failure") {
    auto r = launch(dir, [&](Detached&) { return 0; });
    CHECK(r.status == 1);
    CHECK(r.stderr_ == "limafs: the daemon ended before the view was mounted\n");
    CHECK(gone(r.daemon));
  }
  SECTION("a daemon killed by a signal") {
    auto r = launch(dir, [&](Detached&) {
      ::raise(SIGKILL);
      return 0;
    });
    CHECK(r.status == 1);
    CHECK_THAT(r.stderr_, Catch::Contains("the daemon was killed by signal 9"));
    CHECK(gone(r.daemon));
  }
}

TEST_CASE("detach: a signal to the waiting starter stops the daemon") {
  TempDir dir;
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  const auto err_path = dir / "stderr";
  const pid_t launcher = ::fork();
  REQUIRE(launcher >= 0);
  if (launcher == 0) {
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(err, STDERR_FILENO);
    auto d = detach();
    if (!d) ::_exit(99);
    if (d->exit_status) ::_exit(*d->exit_status);
    lima::test::write_file(dir / "pid", std::to_string(::getpid()));
    // A daemon still syncing: SIGTERM makes it stop before serving.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    lima::test::write_file(dir / "syncing", "");
    const timespec limit{10, 0};
    ::_exit(sigtimedwait(&set, nullptr, &limit) == SIGTERM ? 0 : 7);
  }
  REQUIRE(wait_for_file(dir / "syncing"));
  ::kill(launcher, SIGINT);  // Ctrl-C on the waiting `limafs mount --background`
  auto st = wait_for(launcher);
  REQUIRE(st);
  REQUIRE(WIFEXITED(*st));
  CHECK(WEXITSTATUS(*st) == 130);
  CHECK(lima::test::read_file(err_path) == "limafs: interrupted before the view was mounted\n");
  // The daemon was told (SIGTERM) and ended; the starter waited for it.
  CHECK(gone(std::stoi(lima::test::read_file(dir / "pid"))));
}

TEST_CASE("detach is refused once a thread runs, and forks nothing") {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread t([&] {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done; });
  });
  auto d = detach();
  {
    std::lock_guard lock(mu);
    done = true;
  }
  cv.notify_all();
  t.join();
  REQUIRE_FALSE(d);
  CHECK_THAT(d.error().message, Catch::Contains("threads"));
}

TEST_CASE("a default Detached (foreground) ignores reports") {
  Detached d;
  CHECK_FALSE(d.pending());
  d.ready();
  d.failed("nothing happens");
  CHECK_FALSE(d.pending());
}

namespace {

/// A datagram socket bound to `name` (a path, or "\0..." abstract), with the
/// environment pointing $NOTIFY_SOCKET at it while it lives.
class NotifyListener {
 public:
  NotifyListener(const std::string& bind_name, const std::string& env_value) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(bind_name.size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, bind_name.data(), bind_name.size());
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + bind_name.size());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    ::setenv("NOTIFY_SOCKET", env_value.c_str(), 1);
  }
  ~NotifyListener() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
  }
  /// The next datagram, or "<none>" after a second.
  std::string receive() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 1000) != 1) return "<none>";
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n < 0 ? "<error>" : std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  int fd_ = -1;
};

}  // namespace

TEST_CASE("notify_systemd sends each state as one datagram to $NOTIFY_SOCKET") {
  SECTION("a socket path") {
    TempDir dir;
    const std::string path = (dir / "notify").string();
    NotifyListener listener(path, path);
    CHECK(notify_systemd("READY=1\nSTATUS=serving /srv/models on /run/limafs/srv-models"));
    CHECK(notify_systemd("STOPPING=1"));
    CHECK(listener.receive() == "READY=1\nSTATUS=serving /srv/models on /run/limafs/srv-models");
    CHECK(listener.receive() == "STOPPING=1");
  }
  SECTION("an abstract socket, written with '@'") {
    const std::string name = "limafs-test-notify-" + std::to_string(::getpid());
    NotifyListener listener(std::string(1, '\0') + name, "@" + name);
    CHECK(notify_systemd("READY=1"));
    CHECK(listener.receive() == "READY=1");
  }
}

TEST_CASE("notify_systemd does nothing without a usable $NOTIFY_SOCKET") {
  ::unsetenv("NOTIFY_SOCKET");
  CHECK_FALSE(notify_systemd("READY=1"));
  ::setenv("NOTIFY_SOCKET", "relative/notify", 1);
  CHECK_FALSE(notify_systemd("READY=1"));
  TempDir dir;
  ::setenv("NOTIFY_SOCKET", (dir / "nobody-listens").c_str(), 1);
  CHECK_FALSE(notify_systemd("READY=1"));
  ::unsetenv("NOTIFY_SOCKET");
}
