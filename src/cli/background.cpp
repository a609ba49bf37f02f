#include "cli/background.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace lima::cli {

// The handshake, over a pipe from the daemon to the starting process:
//   "R"                          the view serves
//   "F" STATUS "\n" MESSAGE      startup failed
//   end of file, nothing sent    the daemon ended (or is ending): wait for it
namespace {

constexpr char kReady = 'R';
constexpr char kFailed = 'F';

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// Threads of this process, from /proc/self/task; 0 when unknown.
int thread_count() {
  DIR* d = ::opendir("/proc/self/task");
  if (!d) return 0;
  int n = 0;
  while (const dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

volatile sig_atomic_t g_interrupted = 0;
extern "C" void on_interrupt(int) { g_interrupted = 1; }

/// The starting process's side: waits for the daemon's word (or its end)
/// and turns it into an exit status.
// Called with the stop signals blocked since before the fork (`old_mask` is
// the mask to go back to), so a Ctrl-C the moment after the fork is not
// lost to the default action: it waits for the handler.
int await_daemon(int fd, pid_t daemon, const sigset_t& old_mask) {
  struct sigaction sa {}, old_int {}, old_term {}, old_hup {};
  sa.sa_handler = on_interrupt;  // no SA_RESTART: a signal wakes the wait
  sigemptyset(&sa.sa_mask);
  g_interrupted = 0;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  sigaction(SIGHUP, &sa, &old_hup);
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  bool forwarded = false;
  const auto forward = [&] {
    if (g_interrupted && !forwarded) {
      ::kill(daemon, SIGTERM);
      forwarded = true;
    }
  };

  std::string got;
  for (;;) {
    forward();
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;  // timeout or EINTR: look at signals again
    char buf[512];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
    if (got.front() == kReady) break;
  }
  ::close(fd);

  int result = 1;
  if (!got.empty() && got.front() == kReady) {
    result = 0;
  } else if (!got.empty() && got.front() == kFailed) {
    const auto nl = got.find('\n');
    result = std::atoi(got.substr(1, nl == std::string::npos ? std::string::npos : nl - 1).c_str());
    if (result < 1 || result > 255) result = 1;
    const std::string message = nl == std::string::npos ? "" : got.substr(nl + 1);
    if (!message.empty()) std::fprintf(stderr, "limafs: %s\n", message.c_str());
  } else {
    // The daemon ended without a word: it printed its own error, or died.
    int status = 0;
    pid_t r;
    while ((r = ::waitpid(daemon, &status, 0)) < 0 && errno == EINTR) forward();
    if (r != daemon) {
      std::fprintf(stderr, "limafs: lost track of the daemon (pid %d) before it served\n", static_cast<int>(daemon));
    } else if (WIFSIGNALED(status) && !forwarded) {
      std::fprintf(stderr, "limafs: the daemon was killed by signal %d (%s) before it served\n", WTERMSIG(status),
                   ::strsignal(WTERMSIG(status)));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
      result = WEXITSTATUS(status);
    } else if (!forwarded) {
      std::fprintf(stderr, "limafs: the daemon ended before the view was mounted\n");
    }
  }
  if (result != 0 && forwarded) {
    std::fprintf(stderr, "limafs: interrupted before the view was mounted\n");
    result = 130;
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGHUP, &old_hup, nullptr);
  return result;
}

}  // namespace

Detached::Detached(Detached&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

Detached& Detached::operator=(Detached&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

Detached::~Detached() {
  // Closing without a word: the starting process waits for our exit status.
  if (fd_ >= 0) ::close(fd_);
}

void Detached::ready() {
  if (fd_ < 0) return;
  write_all(fd_, std::string_view(&kReady, 1));
  ::close(fd_);
  fd_ = -1;
}

void Detached::failed(std::string_view message, int status) {
  if (fd_ < 0) return;
  if (status < 1 || status > 255) status = 1;
  std::string word(1, kFailed);
  word += std::to_string(status);
  word += '\n';
  word += message;
  write_all(fd_, word);
  ::close(fd_);
  fd_ = -1;
}

index::Result<Detach> detach() {
  if (thread_count() > 1)
    return index::fail(index::Errc::invalid_argument,
                       "cannot go to the background once threads run (detach before starting any)");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return index::fail(index::Errc::io, std::string("cannot go to the background: pipe: ") + std::strerror(errno));
  std::fflush(nullptr);  // nothing buffered may be written twice
  sigset_t stop_signals, old_mask;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  sigprocmask(SIG_BLOCK, &stop_signals, &old_mask);
  const pid_t pid = ::fork();
  if (pid <= 0) sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  if (pid < 0) {
    const int e = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return index::fail(index::Errc::io, std::string("cannot go to the background: fork: ") + std::strerror(e));
  }
  if (pid > 0) {
    ::close(fds[1]);
    Detach parent;
    parent.exit_status = await_daemon(fds[0], pid, old_mask);
    return parent;
  }

  // The daemon. Its own session: no terminal signals (Ctrl-C, hangup) reach it.
  ::close(fds[0]);
  ::setsid();
  if (int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC); null >= 0) {
    ::dup2(null, STDIN_FILENO);
    ::close(null);
  }
  // Standard output may be a pipe the caller reads to its end ($(...)):
  // holding it would keep the caller waiting for the daemon's exit.
  ::dup2(STDERR_FILENO, STDOUT_FILENO);
  Detach child;
  child.daemon = Detached(fds[1]);
  return child;
}

bool notify_systemd(std::string_view state) {
  const char* env = std::getenv("NOTIFY_SOCKET");
  if (!env || (env[0] != '/' && env[0] != '@')) return false;
  const std::string_view path(env);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() < 2 || path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.data(), path.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  if (path[0] == '@')
    addr.sun_path[0] = '\0';  // abstract: the name is exactly the bytes after '@', no terminator
  else
    len += 1;  // the path and its terminating NUL
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ssize_t n;
  do {
    n = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr), len);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  return n == static_cast<ssize_t>(state.size());
}

}  // namespace lima::cli
