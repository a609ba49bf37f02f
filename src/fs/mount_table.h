// The system's mount table (/proc/self/mountinfo), as far as the mount needs
// it: is a path a mount point, and which device does the mount have (which
// names its FUSE connection under /sys/fs/fuse/connections).
#pragma once

#include <filesystem>
#include <optional>

namespace lima::fs {

struct MountedDevice {
  unsigned major = 0, minor = 0;
};

/// The device of the mount whose mount point is exactly `path` (the last
/// one mounted there), or nullopt when nothing is mounted there.
std::optional<MountedDevice> mounted_at(const std::filesystem::path& path);

}  // namespace lima::fs
