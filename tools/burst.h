// A burst of new files: a new project folder filled with small binary STL
// files (284 to 684 bytes, each of distinct content) in folders of 1,000,
// written as fast as one thread can, the way an unpacked archive or a
// sync client lands in a library.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace lima::bench {

/// Files per folder of a burst.
inline constexpr std::size_t kBurstFolderFiles = 1000;

struct Burst {
  std::string project;        ///< the new project folder's name
  std::size_t files = 0;
  std::size_t folders = 0;    ///< sub-folders holding them
  std::uint64_t bytes = 0;
  double write_s = 0;         ///< mkdir of the project to the last close()
  std::chrono::steady_clock::time_point ended;  ///< the last close() returned
};

/// Creates library/project (which must not exist) holding `files` files in
/// ceil(files / kBurstFolderFiles) sub-folders. Throws std::system_error.
Burst write_burst(const std::filesystem::path& library, const std::string& project, std::size_t files,
                  std::uint64_t seed);

}  // namespace lima::bench
