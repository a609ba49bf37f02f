// Internal to the backup files (backup_export.cpp, backup_import.cpp,
// backup_writer.cpp): helpers they share. Not a public header; include
// index/backup.h instead.
#pragma once

#include <chrono>
#include <cstdint>

namespace lima::index::backup_detail {

/// Wall-clock time, nanoseconds since the Unix epoch.
inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace lima::index::backup_detail
