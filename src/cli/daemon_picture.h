// A running daemon's picture of a file. A daemon keeps a picture of each
// file of its library in its state directory, named by the file's content
// hash (DESIGN §7); the desktop thumbnailer, asked for a file a daemon
// serves, takes that picture instead of making one.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli/daemon_registry.h"
#include "index/records.h"

namespace lima::cli {

/// Where the daemon with state directory `state_dir` keeps the picture of
/// content `hash` at long edge `edge` (256 or 512), as its picture store
/// lays it out (thumbs/picture_store.h):
/// STATE/pictures/v<kPictureVersion>/<first two hex digits>/<32 hex digits>-<edge>.webp
std::filesystem::path stored_picture_path(const std::filesystem::path& state_dir, const index::ContentHash& hash,
                                          int edge);

/// The stored edge that makes a picture of long edge `size` without
/// upscaling: 256 up to 256, 512 up to 512; nullopt above.
std::optional<int> stored_edge_for(int size);

/// The daemon among `daemons` that serves `real_file` (absolute, symlinks
/// resolved): its library or its mountpoint holds the file. Null if none.
const DaemonEntry* serving_daemon(const std::filesystem::path& real_file, const std::vector<DaemonEntry>& daemons);

struct DaemonPicture {
  const DaemonEntry* daemon = nullptr;  ///< the daemon serving the file (in the list given); null when none does
  std::filesystem::path file;           ///< its stored picture; empty when it has none (yet)
  std::string why_none;                 ///< when `file` is empty but `daemon` is not: why
};

/// The stored picture of `real_file` for a picture of long edge `size`:
/// finds the daemon serving the file, hashes the file as the index does
/// (XXH3-128) and looks for the picture under the daemon's state
/// directory. Never fails: a file that cannot be hashed, a size above 512
/// or a picture not made yet give no file, with the reason.
DaemonPicture find_daemon_picture(const std::filesystem::path& real_file, int size,
                                  const std::vector<DaemonEntry>& daemons);

}  // namespace lima::cli
