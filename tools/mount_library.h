// The mount benchmark's library: many projects of a few small files each,
// the shape that stresses a view's directories rather than its bytes.
// Project "<Adjective> <Noun> 00042" holds models/part-NN.stl,
// images/photo-NN.jpg and notes-NN.txt at the top, 200-500 bytes each, no
// two files of one project with the same name. Everything is derived from
// the shape, so the same shape always gives the same names and bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>

namespace lima::bench {

/// How many projects, and how many files in each.
struct MountShape {
  std::size_t projects = 10'000;
  std::size_t files_per_project = 10;

  std::size_t files() const { return projects * files_per_project; }
  bool operator==(const MountShape&) const = default;
};

/// Name of the stamp file written last into a generated library's root.
inline constexpr const char* kMountStampName = ".limafs-bench-mount-stamp";

/// Folder name of project `index`.
std::string mount_project_name(std::size_t index);
/// Project-relative path of file `index` of a project.
std::string mount_file_path(std::size_t index);

struct MountLibraryStats {
  std::size_t files = 0;
  std::uint64_t bytes = 0;
  double seconds = 0;            ///< 0 when the library was already there
  bool already_generated = false;
};

/// Writes the library of `shape` into dir. A dir holding the stamp of the
/// same shape is kept as it is; anything else there (an interrupted or
/// different library) is removed first. Progress lines go to log when it is
/// not null. Throws std::runtime_error.
MountLibraryStats generate_mount_library(const std::filesystem::path& dir, const MountShape& shape,
                                         std::ostream* log = nullptr);

}  // namespace lima::bench
