// Runs the real limafs binary as a child process and captures what it says.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace lima::test {

struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

struct RunAs {
  uid_t uid;
  gid_t gid;
};

/// Runs `limafs ARGS...` with stdin from /dev/null and no terminal,
/// optionally as another user, and waits (at most `timeout_s`).
Outcome run_limafs(const std::vector<std::string>& args, std::optional<RunAs> as = std::nullopt,
                   int timeout_s = 120);

/// Runs `limafs ARGS...` with stdout and stderr on a new pseudo-terminal
/// (80 columns) and returns everything it wrote there.
std::string run_limafs_on_tty(const std::vector<std::string>& args, int timeout_s = 120);

/// The unprivileged user to drop to in tests that need permission checks
/// (root ignores them): "nobody".
std::optional<RunAs> unprivileged_user();

}  // namespace lima::test
