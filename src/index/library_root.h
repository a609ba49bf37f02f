// The library root's probe: is the library online? The root must open as a
// directory, sit on the device the index last saw it on, and, when the index
// has projects, not be empty (a disk unmounted from under its mount point
// leaves an empty directory behind). Offline never removes anything: the
// sync, the live sync and the API all ask this one probe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace lima::index {

class Catalog;
class Txn;

/// What the probe found, in the order it looks.
enum class RootState {
  online,
  missing,        ///< no such directory (moved away, or its disk unmounted)
  not_directory,  ///< a path component is not a directory
  cannot_open,    ///< any other failure to open it (see RootProbe::error)
  cannot_stat,
  other_device,   ///< on another device than the index last saw it on
  cannot_list,    ///< reading its entries failed before any was found
  empty,          ///< no entry at all while the index has projects
};

/// What the index knows of the root, to hold the disk against.
struct RootExpectation {
  /// The device the root was on at the last sync (nullopt: any device).
  std::optional<std::uint64_t> dev;
  /// Live projects in the index: with some, an empty root is offline.
  std::size_t projects = 0;
  /// Whether to look inside the root (cannot_list, empty); without, the
  /// probe only opens it and compares its device.
  bool list = true;
};

/// The expectation of the index behind `t`: the root's device at the last
/// sync and the number of live projects.
RootExpectation expected_root(const Catalog& catalog, const Txn& t);

/// One look at the root. Holds the root open (fd()) when it could be opened,
/// whatever the verdict, so a sync walks the very directory it probed.
class RootProbe {
 public:
  RootProbe() = default;
  RootProbe(RootProbe&& other) noexcept;
  RootProbe& operator=(RootProbe&& other) noexcept;
  RootProbe(const RootProbe&) = delete;
  RootProbe& operator=(const RootProbe&) = delete;
  ~RootProbe();

  RootState state = RootState::cannot_open;
  int error = 0;                   ///< errno of a failed open, stat or listing
  std::uint64_t dev = 0, ino = 0;  ///< the root's, once stat'ed
  std::uint64_t expected_dev = 0;  ///< the expectation's device (0: none), for the wording
  std::size_t projects = 0;        ///< the expectation's projects, for the wording

  bool online() const { return state == RootState::online; }
  /// The root, open as a directory; -1 when it could not be opened.
  int fd() const { return fd_; }
  /// Why the library is offline, in words naming `root` ("" when online).
  std::string reason(const std::string& root) const;

 private:
  friend RootProbe probe_library_root(const std::filesystem::path& root, const RootExpectation& expect);
  int fd_ = -1;
};

/// Opens `root` and holds it against `expect`.
RootProbe probe_library_root(const std::filesystem::path& root, const RootExpectation& expect);

}  // namespace lima::index
