// Running the daemon as a service. Two ways a service manager learns that
// `limafs mount` serves:
//
// - `--background`: detach() forks before any thread starts. The starting
//   process waits until the daemon reports that the view serves (it exits
//   with 0) or that it failed (it exits non-zero), so its exit status tells
//   whether the mount happened: what mount(8) and fstab helpers expect.
// - systemd `Type=notify`: notify_systemd("READY=1") over $NOTIFY_SOCKET,
//   the sd_notify(3) datagram protocol, without linking libsystemd.
#pragma once

#include <optional>
#include <string_view>

#include "index/error.h"

namespace lima::cli {

struct Detach;

/// The daemon's end of the handshake with the process that started it.
/// A default-constructed one (a foreground daemon) ignores every call, so
/// the daemon reports the same way whether it detached or not.
class Detached {
 public:
  Detached() = default;
  Detached(Detached&& other) noexcept;
  Detached& operator=(Detached&& other) noexcept;
  Detached(const Detached&) = delete;
  Detached& operator=(const Detached&) = delete;
  /// When neither ready() nor failed() was called: the starting process
  /// waits for this process to end and exits with its exit status (1 when
  /// that is 0, or when a signal killed it), printing nothing itself unless
  /// the daemon died silently. So an error the daemon printed and returned
  /// from is reported once, with the daemon's own exit status.
  ~Detached();

  /// True in a detached daemon that has not reported yet.
  bool pending() const { return fd_ >= 0; }
  /// The view is mounted and serves: the starting process exits with 0,
  /// printing nothing.
  void ready();
  /// Startup failed: the starting process prints "limafs: MESSAGE" to its
  /// standard error (nothing when MESSAGE is empty, e.g. because the daemon
  /// printed it already) and exits with `status` (1 when not in 1..255).
  void failed(std::string_view message, int status = 1);

 private:
  explicit Detached(int fd) : fd_(fd) {}
  friend index::Result<Detach> detach();
  int fd_ = -1;
};

/// What detach() returns in each of the two processes.
struct Detach {
  /// In the starting process: the status to exit with at once, the
  /// daemon's outcome. Unset in the daemon.
  std::optional<int> exit_status;
  /// In the daemon: its end of the handshake. Idle in the starting process.
  Detached daemon;
};

/// Forks the daemon into the background. Must be called before the process
/// starts any thread (fork() copies only the calling thread); refused, with
/// nothing forked, when more than one runs.
///
/// The daemon (the child) leaves the terminal's session (setsid), reads
/// standard input from /dev/null and writes standard output to where
/// standard error goes; it keeps standard error (its log) and the working
/// directory. The starting process blocks until the daemon reports; a
/// SIGINT, SIGTERM or SIGHUP it receives meanwhile is passed on to the
/// daemon as SIGTERM (and it then exits with 130 unless the daemon served).
index::Result<Detach> detach();

/// Sends `state` to systemd's notification socket ($NOTIFY_SOCKET; a path,
/// or an abstract socket name written with a leading '@') as one datagram,
/// like sd_notify(3): "READY=1", "STATUS=syncing…", "STOPPING=1", or several
/// such lines separated by '\n'. Returns false, doing nothing, when
/// $NOTIFY_SOCKET is unset (not run by systemd) or unusable, or when the
/// send fails; a daemon goes on either way.
bool notify_systemd(std::string_view state);

}  // namespace lima::cli
