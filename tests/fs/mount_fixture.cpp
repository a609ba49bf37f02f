#include "mount_fixture.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <thread>

#include <catch2/catch.hpp>

#include "fs/request_stats.h"
#include "index/sync.h"

namespace lima::test {

void write_sample_library(const stdfs::path& root) {
  write_file(root / "Benchy/3DBenchy.stl", "solid benchy\n" + random_bytes(3000, 1));
  write_file(root / "Benchy/images/cover.png", random_bytes(500, 2));
  write_file(root / "Benchy/sub/3DBenchy.stl", "solid benchy v2\n" + random_bytes(2000, 3));
  write_file(root / "Cube/cube.stl", "solid cube\n" + random_bytes(100, 4));
  write_file(root / "Cube/notes.txt", "print at 0.2 mm\n");
  write_file(root / "Dragon/dragon.3mf", random_bytes(4000, 5));
  write_file(root / "Dragon/parts/head.stl", random_bytes(1500, 6));
  write_file(root / "Dragon/parts/tail.stl", random_bytes(1200, 7));
  write_file(root / "Schloß Drache/castle.stl", random_bytes(800, 8));
  write_file(root / "loose.stl", random_bytes(10, 9));
}

MountedLibrary::MountedLibrary(const std::function<void(const stdfs::path&)>& fill)
    : lib_(tmp_ / "library"), state_(tmp_ / "state"), mnt_(tmp_ / "mnt") {
  stdfs::create_directories(lib_);
  stdfs::create_directories(mnt_);
  fill(lib_);
  auto c = index::Catalog::open(state_, index::OpenMode::read_write);
  if (!c) throw std::runtime_error(c.error().message);
  catalog_ = std::move(*c);
  sync();
  remount();
}

MountedLibrary::~MountedLibrary() { unmount(); }

void MountedLibrary::unmount() {
  if (mount_) mount_->stop();
  mount_.reset();
}

void MountedLibrary::remount() {
  unmount();
  fs::MountOptions opts;
  opts.mountpoint = mnt_;
  auto m = fs::Mount::start(*catalog_, lib_, opts);
  if (!m) throw std::runtime_error(m.error().message);
  mount_ = std::move(*m);
  // Ready when the kernel answers from the daemon.
  if (!wait_until([&] { return ::access((mnt_ / "README.txt").c_str(), F_OK) == 0; }, std::chrono::seconds(20)))
    throw std::runtime_error("the mount did not come up");
}

void MountedLibrary::sync() {
  index::SyncOptions opts;
  opts.library = lib_;
  auto r = index::run_sync(*catalog_, opts);
  if (!r) throw std::runtime_error(r.error().message);
}

index::ProjectId MountedLibrary::project(const std::string& name) {
  index::ReadTxn t(catalog_->env());
  auto id = catalog_->project_id_by_name(t, name);
  if (!id) throw std::runtime_error("no project " + name);
  return *id;
}

index::AssetId MountedLibrary::asset(const std::string& project_name, const std::string& path) {
  const auto p = project(project_name);
  index::ReadTxn t(catalog_->env());
  auto id = catalog_->asset_id_by_path(t, p, path);
  if (!id) throw std::runtime_error("no asset " + project_name + "/" + path);
  return *id;
}

void MountedLibrary::write(const std::function<void(index::WriteTxn&, index::Metadata&)>& fn) {
  index::Metadata meta(*catalog_);
  catalog_->write([&](index::WriteTxn& t) { fn(t, meta); });
}

void MountedLibrary::tag_project(const std::string& p, const std::string& tag) {
  const auto id = project(p);
  write([&](index::WriteTxn& t, index::Metadata& m) { REQUIRE(m.tag_project(t, id, tag)); });
}

void MountedLibrary::untag_project(const std::string& p, const std::string& tag) {
  const auto id = project(p);
  write([&](index::WriteTxn& t, index::Metadata& m) { REQUIRE(m.untag_project(t, id, tag)); });
}

void MountedLibrary::tag_asset(const std::string& p, const std::string& path, const std::string& tag) {
  const auto id = asset(p, path);
  write([&](index::WriteTxn& t, index::Metadata& m) { REQUIRE(m.tag_asset(t, id, tag)); });
}

void MountedLibrary::untag_asset(const std::string& p, const std::string& path, const std::string& tag) {
  const auto id = asset(p, path);
  write([&](index::WriteTxn& t, index::Metadata& m) { REQUIRE(m.untag_asset(t, id, tag)); });
}

index::CollectionId MountedLibrary::collection(const std::string& name, const std::vector<std::string>& projects) {
  std::vector<index::ProjectId> ids;
  for (const auto& p : projects) ids.push_back(project(p));
  index::CollectionId id = 0;
  write([&](index::WriteTxn& t, index::Metadata& m) {
    auto c = m.create_collection(t, name);
    REQUIRE(c);
    id = *c;
    for (auto p : ids) REQUIRE(m.add_to_collection(t, id, p));
  });
  return id;
}

std::uint64_t MountedLibrary::requests() const {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(fs::Op::count_); ++i)
    n += mount_->stats().get(static_cast<fs::Op>(i));
  return n;
}

std::vector<std::string> readdir_names(const stdfs::path& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    const std::string_view n(e->d_name);
    if (n != "." && n != "..") out.emplace_back(n);
  }
  ::closedir(d);
  return out;
}

std::vector<std::string> sorted_names(const stdfs::path& dir) {
  auto v = readdir_names(dir);
  std::sort(v.begin(), v.end());
  return v;
}

std::optional<std::chrono::microseconds> wait_until(const std::function<bool()>& pred,
                                                    std::chrono::milliseconds timeout) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    if (pred()) return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    if (std::chrono::steady_clock::now() - start > timeout) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

std::string link_target(const stdfs::path& p) {
  char buf[4096];
  const auto n = ::readlink(p.c_str(), buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf, static_cast<std::size_t>(n));
}

int lstat_errno(const stdfs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 ? 0 : errno;
}

}  // namespace lima::test
