// A measured child process: spawn a command with stdin on /dev/null, stdout
// on /dev/null (or captured to a file) and stderr captured to a file, wait
// for it with wait4(), and report its exit status, wall-clock time, CPU time
// and peak resident set size.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace lima::bench {

/// The command could not be started at all (not its failure to succeed).
class SpawnError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// How a child ended and what it cost.
struct ChildResult {
  int exit_code = -1;     ///< -1 when killed by a signal
  int term_signal = 0;    ///< signal number when killed, else 0
  double seconds = 0;     ///< wall clock, spawn to reap (steady_clock)
  long max_rss_kib = 0;   ///< ru_maxrss of the command and its reaped descendants
  double cpu_s = 0;       ///< user + system time of the child and its reaped descendants

  bool ok() const { return exit_code == 0; }
  /// "exit status 3" or "killed by signal 9 (Killed)".
  std::string describe() const;
};

/// Runs argv (argv[0] is searched in PATH unless it contains a '/') to
/// completion. The command is started by a fresh limafs-bench process
/// (measured_exec_main): a process started straight from this one would
/// count this one's peak RSS as its own (Linux carries the peak of the
/// memory an exec replaces into ru_maxrss, and posix_spawn's child runs in
/// this process's memory until its exec). stderr goes to stderr_file, stdout to stdout_file when one is
/// given, else to /dev/null (both truncated first). Throws SpawnError when
/// the program cannot be executed.
ChildResult run_child(const std::vector<std::string>& argv, const std::filesystem::path& stderr_file,
                      const std::filesystem::path& stdout_file = {});

/// `limafs-bench --exec-measured FD COMMAND...`: forks, runs COMMAND, waits
/// for it, writes its ru_maxrss (KiB) to FD and ends as it ended. What
/// run_child starts.
int measured_exec_main(int argc, char** argv);
inline constexpr const char* kExecMeasured = "--exec-measured";

/// The last max_bytes of a file, trimmed of trailing newlines; "" if unreadable.
std::string file_tail(const std::filesystem::path& path, std::size_t max_bytes = 4096);

/// Finds an executable by name in PATH; empty when there is none.
std::filesystem::path find_in_path(const std::string& name);

/// Whether path names an executable regular file.
bool is_executable(const std::filesystem::path& path);

}  // namespace lima::bench
