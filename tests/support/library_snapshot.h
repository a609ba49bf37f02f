// A snapshot of everything under a library root (type, size, mtime, mode,
// content hash or link target of each path, the root included): two equal
// snapshots mean nothing in the library was created, changed or removed.
#pragma once

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "index/hasher.h"

namespace lima::test {

struct SnapshotEntry {
  std::string type;
  std::uintmax_t size = 0;
  std::int64_t mtime_ns = 0;
  unsigned mode = 0;
  std::string content;
  bool operator==(const SnapshotEntry&) const = default;
};

inline std::map<std::string, SnapshotEntry> snapshot(const std::filesystem::path& root) {
  std::map<std::string, SnapshotEntry> out;
  auto add = [&](const std::filesystem::path& p, const std::string& rel) {
    struct stat st {};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    SnapshotEntry e;
    e.type = S_ISDIR(st.st_mode) ? "dir" : S_ISLNK(st.st_mode) ? "link" : S_ISREG(st.st_mode) ? "file" : "other";
    e.size = static_cast<std::uintmax_t>(st.st_size);
    e.mtime_ns = st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec;
    e.mode = st.st_mode;
    if (S_ISREG(st.st_mode)) e.content = lima::index::hash_path(p)->hex();
    if (S_ISLNK(st.st_mode)) e.content = std::filesystem::read_symlink(p).string();
    out[rel] = e;
  };
  add(root, ".");
  for (auto it = std::filesystem::recursive_directory_iterator(root); it != std::filesystem::recursive_directory_iterator();
       ++it)
    add(it->path(), std::filesystem::relative(it->path(), root).string());
  return out;
}

}  // namespace lima::test
