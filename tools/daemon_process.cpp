#include "daemon_process.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "child_process.h"
#include "text_table.h"

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kPoll = std::chrono::milliseconds(20);
constexpr std::string_view kApiLine = "limafs: control API on ";

std::string read_all(const stdfs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// A mountinfo path field with its octal escapes ("\040" for a space) undone.
std::string unescape_mountinfo(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    const auto octal = [&](std::size_t k) { return k < field.size() && field[k] >= '0' && field[k] <= '7'; };
    if (field[i] == '\\' && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0'));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

std::string with_log(const std::string& message, const stdfs::path& log_file) {
  const std::string tail = file_tail(log_file);
  return message + (tail.empty() ? "; it printed nothing on stderr" : "; its stderr (" + log_file.string() + "):\n" + tail);
}

}  // namespace

std::string DaemonStop::text() const {
  std::string out = killed ? "did not exit " + fmt("%.0f s", seconds) + " after SIGTERM, killed"
                    : exit_code < 0 ? "died of a signal after " + fmt("%.2f s", seconds)
                                    : "exit " + std::to_string(exit_code) + " after " + fmt("%.2f s", seconds);
  return out + (mount_left ? ", mount left behind (detached)" : ", mount gone");
}

bool mounted_on(const stdfs::path& dir) {
  std::ifstream in("/proc/self/mountinfo");
  const std::string want = dir.lexically_normal().string();
  for (std::string line; std::getline(in, line);) {
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT ...
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    if (fields >> id >> parent >> dev >> root >> point && unescape_mountinfo(point) == want) return true;
  }
  return false;
}

DaemonProcess::DaemonProcess(const stdfs::path& limafs, const stdfs::path& library, stdfs::path mountpoint,
                             const stdfs::path& state, stdfs::path log_file,
                             const std::vector<std::string>& extra_args)
    : mountpoint_(std::move(mountpoint)), log_file_(std::move(log_file)) {
  std::vector<std::string> args = {limafs.string(), "mount",  library.string(), mountpoint_.string(),
                                   "--state",       state.string(), "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int err = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (err < 0) throw std::runtime_error("cannot create " + log_file_.string() + ": " + std::strerror(errno));
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    // Only async-signal-safe calls from here on.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // unmounts and exits if the benchmark dies
    if (::getppid() != parent) ::_exit(125);
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open("/dev/null", O_WRONLY);
    if (in < 0 || out < 0 || ::dup2(in, STDIN_FILENO) < 0 || ::dup2(out, STDOUT_FILENO) < 0 ||
        ::dup2(err, STDERR_FILENO) < 0)
      ::_exit(126);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::close(err);
  if (pid_ < 0) throw std::runtime_error(std::string("cannot start limafs: fork failed: ") + std::strerror(fork_errno));
}

DaemonProcess::~DaemonProcess() { stop(); }

bool DaemonProcess::reaped() {
  if (!reaped_ && ::waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
  return reaped_;
}

std::string DaemonProcess::wait_for_api(std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const bool exited = reaped();
    const std::string log = read_all(log_file_);
    if (const auto at = log.find(kApiLine); at != std::string::npos) {
      const auto start = at + kApiLine.size();
      if (const auto end = log.find('\n', start); end != std::string::npos) return log.substr(start, end - start);
    }
    if (exited) check_running();
    if (Clock::now() > deadline) {
      throw std::runtime_error(with_log("limafs mount did not announce its API within " +
                                            std::to_string(timeout.count()) + " s",
                                        log_file_));
    }
    std::this_thread::sleep_for(kPoll);
  }
}

void DaemonProcess::check_running() {
  if (!reaped()) return;
  const std::string how = WIFEXITED(status_) ? "exit status " + std::to_string(WEXITSTATUS(status_))
                                             : "signal " + std::to_string(WTERMSIG(status_));
  throw std::runtime_error(with_log("limafs mount ended (" + how + ")", log_file_));
}

DaemonStop DaemonProcess::stop(std::chrono::seconds timeout) {
  if (stopped_) return stop_;
  stopped_ = true;
  const auto start = Clock::now();
  if (!reaped()) {
    ::kill(pid_, SIGTERM);
    while (!reaped() && Clock::now() - start < timeout) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!reaped()) {
      ::kill(pid_, SIGKILL);
      stop_.killed = true;
      while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
      }
      reaped_ = true;
    }
  }
  stop_.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  stop_.exit_code = !stop_.killed && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  if (mounted_on(mountpoint_)) {
    stop_.mount_left = true;
    ::umount2(mountpoint_.c_str(), MNT_DETACH);
  }
  return stop_;
}

}  // namespace lima::bench
