// Mount points the mount benchmark owns: a tmpfs it mounts for the
// baseline tree, the clean-up of mounts a killed earlier run left behind,
// and a last-resort unmount when the benchmark is interrupted by a signal
// (an in-process FUSE mount dies with its process and would otherwise stay
// behind as "Transport endpoint is not connected").
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace lima::bench {

/// A tmpfs mounted on a directory for the lifetime of the object; the
/// destructor detaches it (umount2 MNT_DETACH), even when busy.
class TmpfsMount {
 public:
  /// Mounts a tmpfs of at most `size` (mount option syntax: "4g") on dir,
  /// which must exist. Throws std::system_error (EPERM when not allowed).
  TmpfsMount(std::filesystem::path dir, const std::string& size);
  ~TmpfsMount();
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

/// When dir is a mount point (another device than its parent) or a dead
/// FUSE mount (ENOTCONN), detaches what is mounted there. Returns true when
/// something was unmounted.
bool clear_stale_mount(const std::filesystem::path& dir);

/// Creates dir if needed and checks that it is an empty directory (after
/// clearing a stale mount on it). Throws std::runtime_error.
void prepare_mountpoint(const std::filesystem::path& dir);

/// From now on SIGINT, SIGTERM and SIGHUP detach these mount points
/// (innermost last in the list is detached first) before the process dies
/// of the signal. At most a few paths; later calls replace earlier ones.
void unmount_on_signal(const std::vector<std::filesystem::path>& dirs);

/// Why this process cannot run mount benchmarks ("" when it can): it needs
/// /dev/fuse and root (for the tmpfs).
std::string mount_unavailable_reason();

}  // namespace lima::bench
