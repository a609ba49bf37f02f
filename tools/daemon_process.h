// A `limafs mount` daemon run as a child of the benchmark: started with its
// stderr kept in a file, its API found by the line it prints once it
// listens ("limafs: control API on http://HOST:PORT"), and stopped the way a user
// stops it (SIGTERM), checking that it exits and takes its mount with it.
// It gets SIGTERM too when the benchmark dies first, so an interrupted run
// leaves no daemon and no mount behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace lima::bench {

/// How a stop went.
struct DaemonStop {
  int exit_code = -1;        ///< -1 when it had to be killed or died of a signal
  double seconds = 0;        ///< SIGTERM to exit
  bool killed = false;       ///< did not exit in time and got SIGKILL
  bool mount_left = false;   ///< its mount was still there after it exited (then detached)

  bool clean() const { return exit_code == 0 && !killed && !mount_left; }
  /// "exit 0 after 0.12 s, mount gone", or what went wrong.
  std::string text() const;
};

class DaemonProcess {
 public:
  /// Starts `limafs mount LIBRARY MOUNTPOINT --state STATE --listen
  /// 127.0.0.1:0` (any free port), then extra_args. stderr goes to
  /// log_file. Throws std::runtime_error when it cannot be started.
  DaemonProcess(const std::filesystem::path& limafs, const std::filesystem::path& library,
                std::filesystem::path mountpoint, const std::filesystem::path& state,
                std::filesystem::path log_file, const std::vector<std::string>& extra_args = {});
  /// Stops the daemon if it still runs (see stop()).
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  /// Waits until the daemon announces its control API and returns the URL
  /// ("http://127.0.0.1:PORT"). Throws std::runtime_error, with the tail of
  /// its stderr, when it exits first or `timeout` passes. (The API comes up
  /// before the startup sync, so the view may not be mounted yet.)
  std::string wait_for_api(std::chrono::seconds timeout);

  /// Throws std::runtime_error, with the tail of its stderr, when the
  /// daemon has exited.
  void check_running();

  /// SIGTERM, up to `timeout` for it to exit, else SIGKILL; then checks the
  /// mount point and detaches a mount left on it. Calling it again returns
  /// the first stop.
  DaemonStop stop(std::chrono::seconds timeout = std::chrono::seconds(30));

  pid_t pid() const { return pid_; }
  const std::filesystem::path& log_file() const { return log_file_; }

 private:
  bool reaped();

  std::filesystem::path mountpoint_, log_file_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
  bool stopped_ = false;
  DaemonStop stop_;
};

/// Whether something is mounted exactly on dir (per /proc/self/mountinfo).
bool mounted_on(const std::filesystem::path& dir);

}  // namespace lima::bench
