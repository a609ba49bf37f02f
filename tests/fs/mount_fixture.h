// A real library in a temp dir, indexed into a real LMDB and mounted with
// real FUSE in another temp dir; unmounted (lazily) and removed whatever
// the test's outcome. Metadata is set through the index API, as the
// control API will.
#pragma once

#include <dirent.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fs/mount.h"
#include "index/catalog.h"
#include "index/metadata.h"
#include "test_support.h"

namespace lima::test {

/// The library most mount tests use:
///   Benchy/3DBenchy.stl, Benchy/images/cover.png, Benchy/sub/3DBenchy.stl
///   Cube/cube.stl, Cube/notes.txt
///   Dragon/dragon.3mf, Dragon/parts/head.stl, Dragon/parts/tail.stl
///   Schloß Drache/castle.stl
///   loose.stl (a loose file in the root)
void write_sample_library(const stdfs::path& root);

class MountedLibrary {
 public:
  /// Writes the sample library (unless `fill` is given), syncs and mounts it.
  explicit MountedLibrary(const std::function<void(const stdfs::path&)>& fill = write_sample_library);
  ~MountedLibrary();

  const stdfs::path& lib() const { return lib_; }
  const stdfs::path& mnt() const { return mnt_; }
  stdfs::path operator/(const std::string& rel) const { return mnt_ / rel; }
  index::Catalog& catalog() { return *catalog_; }
  fs::Mount& mount() { return *mount_; }

  /// Unmounts and mounts again (a cold kernel cache).
  void remount();
  void unmount();
  /// An incremental sync of the library (as the daemon runs them).
  void sync();

  index::ProjectId project(const std::string& name);
  index::AssetId asset(const std::string& project, const std::string& path);
  void tag_project(const std::string& project, const std::string& tag);
  void untag_project(const std::string& project, const std::string& tag);
  void tag_asset(const std::string& project, const std::string& path, const std::string& tag);
  void untag_asset(const std::string& project, const std::string& path, const std::string& tag);
  index::CollectionId collection(const std::string& name, const std::vector<std::string>& projects);
  /// Runs fn in one index write (announced to the mount).
  void write(const std::function<void(index::WriteTxn&, index::Metadata&)>& fn);

  /// Requests the daemon answered so far, all operations together.
  std::uint64_t requests() const;

 private:
  TempDir tmp_;
  stdfs::path lib_, state_, mnt_;
  std::unique_ptr<index::Catalog> catalog_;
  std::unique_ptr<fs::Mount> mount_;
};

/// Names in a directory in readdir order, without "." and "..".
std::vector<std::string> readdir_names(const stdfs::path& dir);
/// The same, sorted.
std::vector<std::string> sorted_names(const stdfs::path& dir);
/// Polls pred every 0.2 ms until it holds or `timeout` passes; returns the
/// time it took, or nullopt on timeout.
std::optional<std::chrono::microseconds> wait_until(const std::function<bool()>& pred,
                                                    std::chrono::milliseconds timeout = std::chrono::seconds(5));
/// readlink(), or "" when it fails.
std::string link_target(const stdfs::path& p);
/// errno of lstat(p), 0 on success.
int lstat_errno(const stdfs::path& p);

}  // namespace lima::test
