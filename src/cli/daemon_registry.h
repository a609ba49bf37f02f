// How client commands find a running daemon: each `limafs mount` writes a
// small JSON file (library, mountpoint, API URL, token file) to the user's
// runtime directory while it serves, and removes it when it ends. Files
// of daemons that died are ignored and cleaned up by the next reader.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "index/error.h"

namespace lima::cli {

struct DaemonEntry {
  pid_t pid = 0;
  std::string library, state_dir, mountpoint, api;  ///< api: "http://127.0.0.1:7700"
  std::string token_file;                            ///< "" when the API needs no token
};

/// $XDG_RUNTIME_DIR/limafs, else /tmp/limafs-<uid> (created 0700, and
/// refused unless it is ours).
index::Result<std::filesystem::path> runtime_dir();

/// The entry of this process, removed on destruction.
class Registration {
 public:
  static index::Result<std::unique_ptr<Registration>> create(const DaemonEntry& entry);
  ~Registration();
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

 private:
  explicit Registration(std::filesystem::path file) : file_(std::move(file)) {}
  std::filesystem::path file_;
};

/// The daemons running now. With `tidy`, the runtime directory is created
/// if missing and the entries of dead processes are removed; without it
/// nothing is changed (for a process in a sandbox, where the daemons'
/// processes may be invisible and so look dead).
std::vector<DaemonEntry> running_daemons(bool tidy = true);

}  // namespace lima::cli
