// The `limafs` command line: dispatches subcommands and holds what they
// share (locating the library and its state directory, exit codes).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace lima::cli {

/// Exit codes (documented in limafs(1)).
enum Exit : int {
  kOk = 0,
  kError = 1,       ///< the command failed (bad library, index error, …)
  kUsage = 2,       ///< bad arguments
  kPartial = 3,     ///< scan finished but some items could not be indexed
  kOffline = 4,     ///< the library is offline; nothing was changed
  kInterrupted = 130,
};

/// Runs the command line; returns the exit code.
int run(int argc, char** argv);

/// The library's absolute path (symlinks resolved where it exists).
std::filesystem::path resolve_library(const std::string& arg);
/// --state if given, else the default for the library; absolute, with
/// symlinks resolved where it exists.
std::filesystem::path resolve_state(const std::filesystem::path& library, const std::vector<std::string>& state_opt);
/// True when absolute path `inner` is `outer` or lies under it.
bool is_inside(const std::filesystem::path& inner, const std::filesystem::path& outer);

/// The version of this build ("0.1.0").
const char* version();

/// Prints "limafs: <message>" to stderr and returns `code`.
int complain(int code, const std::string& message);

int cmd_scan(const std::vector<std::string>& args);
int cmd_runs(const std::vector<std::string>& args);
int cmd_mount(const std::vector<std::string>& args);
/// `limafs thumbnail INPUT OUTPUT [--size N]`: the desktop thumbnailer.
int cmd_thumbnail(const std::vector<std::string>& args);
/// The client commands (status, tag, untag, tags, note, main-image,
/// search, have, problems, collection, sync, export, import); -1 when
/// `command` is none of them.
int cmd_client(const std::string& command, const std::vector<std::string>& args);

}  // namespace lima::cli
