#include "child_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

extern char** environ;

namespace lima::bench {
namespace {

/// The descriptor on which measured_exec_main reports.
constexpr int kMeasuredFd = 3;

/// posix_spawn file actions, released on every path out.
class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&fa_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&fa_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &fa_; }

 private:
  posix_spawn_file_actions_t fa_;
};

}  // namespace

std::string ChildResult::describe() const {
  if (term_signal != 0) {
    return "killed by signal " + std::to_string(term_signal) + " (" + strsignal(term_signal) + ")";
  }
  return "exit status " + std::to_string(exit_code);
}

int measured_exec_main(int argc, char** argv) {
  if (argc < 4) return 127;
  const int out = std::atoi(argv[2]);
  const pid_t pid = ::fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    ::close(out);
    ::execvp(argv[3], argv + 3);
    std::fprintf(stderr, "cannot run %s: %s\n", argv[3], std::strerror(errno));
    ::_exit(127);
  }
  int status = 0;
  struct rusage usage {};
  while (::wait4(pid, &status, 0, &usage) < 0)
    if (errno != EINTR) return 127;
  const std::string rss = std::to_string(usage.ru_maxrss) + "\n";
  (void)!::write(out, rss.data(), rss.size());
  ::close(out);
  if (WIFSIGNALED(status)) {
    ::signal(WTERMSIG(status), SIG_DFL);
    ::raise(WTERMSIG(status));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 127;
}

ChildResult run_child(const std::vector<std::string>& argv, const std::filesystem::path& stderr_file,
                      const std::filesystem::path& stdout_file) {
  if (argv.empty()) throw SpawnError("empty command");
  // The command's peak RSS comes back on a pipe from the process that
  // started it.
  int rss_pipe[2];
  if (::pipe2(rss_pipe, O_CLOEXEC) != 0) throw SpawnError(std::string("pipe: ") + std::strerror(errno));
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string fd_text = std::to_string(kMeasuredFd);
  const bool search = argv[0].find('/') == std::string::npos;
  std::string command = argv[0];
  if (search) {
    const auto found = find_in_path(argv[0]);
    if (found.empty()) {
      ::close(rss_pipe[0]);
      ::close(rss_pipe[1]);
      throw SpawnError("cannot run " + argv[0] + ": not found in PATH");
    }
    command = found.string();
  } else if (::access(command.c_str(), X_OK) != 0) {
    const int e = errno;
    ::close(rss_pipe[0]);
    ::close(rss_pipe[1]);
    throw SpawnError("cannot run " + argv[0] + ": " + std::strerror(e));
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 4);
  args.push_back(const_cast<char*>(self.c_str()));
  args.push_back(const_cast<char*>(kExecMeasured));
  args.push_back(const_cast<char*>(fd_text.c_str()));
  args.push_back(const_cast<char*>(command.c_str()));
  for (std::size_t i = 1; i < argv.size(); ++i) args.push_back(const_cast<char*>(argv[i].c_str()));
  args.push_back(nullptr);

  FileActions fa;
  posix_spawn_file_actions_adddup2(fa.get(), rss_pipe[1], kMeasuredFd);
  posix_spawn_file_actions_addopen(fa.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (stdout_file.empty()) {
    posix_spawn_file_actions_addopen(fa.get(), STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  } else {
    posix_spawn_file_actions_addopen(fa.get(), STDOUT_FILENO, stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
  }
  posix_spawn_file_actions_addopen(fa.get(), STDERR_FILENO, stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);

  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], fa.get(), nullptr, args.data(), environ);
  ::close(rss_pipe[1]);
  if (rc != 0) {
    ::close(rss_pipe[0]);
    throw SpawnError("cannot run " + argv[0] + ": " + std::strerror(rc));
  }

  int status = 0;
  struct rusage usage {};
  while (::wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) throw SpawnError("wait4 failed for " + argv[0] + ": " + std::strerror(errno));
  }
  ChildResult result;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char text[32] = {};
  const ssize_t n = ::read(rss_pipe[0], text, sizeof text - 1);
  ::close(rss_pipe[0]);
  result.max_rss_kib = n > 0 ? std::atol(text) : usage.ru_maxrss;
  const auto tv = [](const struct timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  result.cpu_s = tv(usage.ru_utime) + tv(usage.ru_stime);
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  return result;
}

std::string file_tail(const std::filesystem::path& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(std::max<std::streamoff>(in.tellg(), 0));
  const std::size_t from = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::ostringstream out;
  out << in.rdbuf();
  std::string text = out.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return from > 0 ? "..." + text : text;
}

std::filesystem::path find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t begin = 0;
  while (begin <= dirs.size()) {
    std::size_t end = dirs.find(':', begin);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = end > begin ? dirs.substr(begin, end - begin) : ".";
    const std::filesystem::path candidate = std::filesystem::path(dir) / name;
    if (is_executable(candidate)) return candidate;
    begin = end + 1;
  }
  return {};
}

bool is_executable(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace lima::bench
