// A replica of a directory tree made of directories, symlinks and small
// files: the same names, symlink targets, file contents, permission bits
// and mtimes, without following any link. The mount benchmark copies the
// mounted view into a tmpfs with it, to time programs on a plain
// file system holding exactly what the view shows.
#pragma once

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>

namespace lima::bench {

struct ReplicaStats {
  std::uint64_t dirs = 0, links = 0, files = 0;
  std::uint64_t skipped = 0;  ///< entries of another type (sockets, devices...)
  double seconds = 0;

  std::uint64_t entries() const { return dirs + links + files; }
};

/// Copies the contents of `from` into the existing directory `to`. The
/// directories named in `opaque` (names directly under `from`) are created
/// empty, their contents left out. Throws std::runtime_error.
ReplicaStats replicate_tree(const std::filesystem::path& from, const std::filesystem::path& to,
                            const std::set<std::string>& opaque = {});

}  // namespace lima::bench
