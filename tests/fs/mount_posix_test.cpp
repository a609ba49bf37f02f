// What POSIX tools see (DESIGN §3), each through real syscalls.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <map>

#include "fs/request_stats.h"
#include "mount_fixture.h"

using namespace lima::test;

namespace {

struct stat lstat_of(const stdfs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st;
}

// errno of a call that must fail; 0 if it succeeded.
template <class F>
int fails_with(F&& f) {
  errno = 0;
  return f() == -1 ? errno : 0;
}

}  // namespace

TEST_CASE("st_ino is stable per path, across remounts, and never an ancestor's", "[mount][posix]") {
  MountedLibrary m;
  m.tag_project("Benchy", "boat");
  const std::vector<std::string> paths{"", "projects", "projects/Benchy", "projects/Benchy/sub",
                                       "projects/Benchy/sub/3DBenchy.stl", "tags", "tags/boat", "tags/boat/Benchy",
                                       "tags/boat/Benchy/sub", "untagged", ".limafs/status"};
  std::map<std::string, ino_t> before;
  for (const auto& p : paths) before[p] = lstat_of(m / p).st_ino;
  for (const auto& p : paths) {  // ancestors differ
    for (stdfs::path a = p; !a.empty(); a = a.parent_path())
      if (a.string() != p) CHECK(before[p] != lstat_of(m / a.string()).st_ino);
    if (!p.empty()) CHECK(before[p] != lstat_of(m.mnt()).st_ino);
  }
  CHECK(before["projects/Benchy"] != before["tags/boat/Benchy"]);  // per path, not per project
  m.remount();
  for (const auto& p : paths) CHECK(lstat_of(m / p).st_ino == before[p]);
}

TEST_CASE("modes, link counts, sizes and times come from the index", "[mount][posix]") {
  MountedLibrary m;
  set_mtime(m.lib() / "Cube/cube.stl", 1'600'000'000);
  m.sync();
  m.remount();
  for (const char* d : {"", "projects", "projects/Cube", "projects/Benchy/images", "tags", "search"}) {
    const auto st = lstat_of(m / d);
    CHECK(S_ISDIR(st.st_mode));
    CHECK((st.st_mode & 07777) == 0555);
    CHECK(st.st_nlink == 1);
  }
  const auto link = lstat_of(m / "projects/Cube/cube.stl");
  CHECK(S_ISLNK(link.st_mode));
  CHECK((link.st_mode & 07777) == 0777);
  CHECK(static_cast<std::size_t>(link.st_size) == (m.lib() / "Cube/cube.stl").string().size());
  CHECK(link.st_mtim.tv_sec == 1'600'000'000);  // the file's, as indexed
  const auto project = lstat_of(m / "projects/Cube");
  struct stat real {};
  REQUIRE(::stat((m.lib() / "Cube").c_str(), &real) == 0);
  CHECK(project.st_mtim.tv_sec == real.st_mtim.tv_sec);
  CHECK(project.st_mtim.tv_nsec == real.st_mtim.tv_nsec);
  const auto readme = lstat_of(m / "README.txt");
  CHECK(S_ISREG(readme.st_mode));
  CHECK((readme.st_mode & 07777) == 0444);
  CHECK(static_cast<std::size_t>(readme.st_size) == read_file(m / "README.txt").size());
  CHECK(readme.st_uid == ::getuid());
}

TEST_CASE("readdir sets d_type", "[mount][posix]") {
  MountedLibrary m;
  std::map<std::string, unsigned char> types;
  DIR* d = ::opendir((m / "projects/Benchy").c_str());
  REQUIRE(d);
  while (dirent* e = ::readdir(d)) types[e->d_name] = e->d_type;
  ::closedir(d);
  CHECK(types["3DBenchy.stl"] == DT_LNK);
  CHECK(types["sub"] == DT_DIR);
  CHECK(types["images"] == DT_DIR);
  CHECK(types["."] == DT_DIR);
  CHECK(types[".."] == DT_DIR);
  d = ::opendir(m.mnt().c_str());
  REQUIRE(d);
  while (dirent* e = ::readdir(d)) types[e->d_name] = e->d_type;
  ::closedir(d);
  CHECK(types["README.txt"] == DT_REG);
}

TEST_CASE("statfs reports the library's filesystem, read-only", "[mount][posix]") {
  MountedLibrary m;
  struct statvfs lib {}, mnt {};
  REQUIRE(::statvfs(m.lib().c_str(), &lib) == 0);
  REQUIRE(::statvfs(m.mnt().c_str(), &mnt) == 0);
  CHECK(mnt.f_bsize == lib.f_bsize);
  CHECK(mnt.f_blocks == lib.f_blocks);
  CHECK(mnt.f_files == lib.f_files);
  CHECK((mnt.f_flag & ST_RDONLY) != 0);
}

TEST_CASE("probe names are ENOENT, answered once and then by the kernel", "[mount][posix]") {
  MountedLibrary m([](const stdfs::path& lib) {
    write_sample_library(lib);
    write_file(lib / "Benchy/autorun.inf", "[autorun]\n");  // a real file, though a probe name elsewhere
  });
  m.tag_project("Benchy", "pla");
  m.tag_project("Cube", ".hidden");
  for (const char* p : {".git", ".hidden", "projects/.directory", "projects/Benchy/desktop.ini",
                        "projects/Benchy/._3DBenchy.stl", "tags/.DS_Store", "autorun.inf", "tags/pla/.git"})
    CHECK(lstat_errno(m / p) == ENOENT);
  CHECK(lstat_errno(m / "projects/Benchy/.git") == ENOENT);
  const auto lookups = m.mount().stats().get(lima::fs::Op::lookup);
  for (int i = 0; i < 5; ++i) CHECK(lstat_errno(m / "projects/Benchy/.git") == ENOENT);
  CHECK(m.mount().stats().get(lima::fs::Op::lookup) == lookups);  // negative entries the kernel keeps
  // Where the library or the user names things, such names are real.
  CHECK(link_target(m / "projects/Benchy/autorun.inf") == (m.lib() / "Benchy/autorun.inf").string());
  CHECK(sorted_names(m / "tags/.hidden") == std::vector<std::string>{"Cube"});
}

TEST_CASE("extended attributes: the kernel is told once and stops asking", "[mount][posix]") {
  MountedLibrary m;
  char buf[256];
  const auto p = (m / "projects/Cube").string();
  CHECK(fails_with([&] { return static_cast<int>(::lgetxattr(p.c_str(), "user.x", buf, sizeof buf)); }) == EOPNOTSUPP);
  CHECK(fails_with([&] { return static_cast<int>(::llistxattr(p.c_str(), buf, sizeof buf)); }) == EOPNOTSUPP);
  const auto asked = m.mount().stats().get(lima::fs::Op::getxattr) + m.mount().stats().get(lima::fs::Op::listxattr);
  for (int i = 0; i < 5; ++i) {
    ::lgetxattr(p.c_str(), "security.selinux", buf, sizeof buf);
    ::llistxattr((m / "projects/Benchy").c_str(), buf, sizeof buf);
  }
  CHECK(m.mount().stats().get(lima::fs::Op::getxattr) + m.mount().stats().get(lima::fs::Op::listxattr) == asked);
}

TEST_CASE("every mutating syscall gets EROFS", "[mount][posix]") {
  MountedLibrary m;
  const auto dir = (m / "projects/Benchy").string();
  const auto link = (m / "projects/Benchy/3DBenchy.stl").string();
  const auto readme = (m / "README.txt").string();
  CHECK(fails_with([&] { return ::mkdir((dir + "/new").c_str(), 0755); }) == EROFS);
  CHECK(fails_with([&] { return ::unlink(link.c_str()); }) == EROFS);
  CHECK(fails_with([&] { return ::rmdir((dir + "/sub").c_str()); }) == EROFS);
  CHECK(fails_with([&] { return ::rename(link.c_str(), (dir + "/x.stl").c_str()); }) == EROFS);
  CHECK(fails_with([&] { return ::symlink("/etc/passwd", (dir + "/evil").c_str()); }) == EROFS);
  CHECK(fails_with([&] { return ::link(readme.c_str(), (dir + "/hard").c_str()); }) == EROFS);
  CHECK(fails_with([&] { return ::open((dir + "/new.stl").c_str(), O_CREAT | O_WRONLY, 0644); }) == EROFS);
  CHECK(fails_with([&] { return ::open(readme.c_str(), O_WRONLY); }) == EROFS);
  CHECK(fails_with([&] { return ::open(readme.c_str(), O_RDWR); }) == EROFS);
  CHECK(fails_with([&] { return ::lsetxattr(dir.c_str(), "user.x", "1", 1, 0); }) == EROFS);
  CHECK(fails_with([&] { return ::truncate(readme.c_str(), 0); }) == EROFS);
  CHECK(fails_with([&] { return ::utimensat(AT_FDCWD, readme.c_str(), nullptr, 0); }) == EROFS);
  CHECK(fails_with([&] { return ::chmod(dir.c_str(), 0777); }) == EROFS);
  CHECK(fails_with([&] { return ::access(dir.c_str(), W_OK); }) == EROFS);
  CHECK(::access(dir.c_str(), R_OK | X_OK) == 0);
  // Nothing reached the library.
  CHECK(sorted_names(m.lib() / "Benchy") == std::vector<std::string>{"3DBenchy.stl", "images", "sub"});
}

TEST_CASE("index errors become EIO, and the mount carries on afterwards", "[mount][posix]") {
  MountedLibrary m;
  // Take every reader slot of the index: whatever the daemon must read now
  // fails inside LMDB (MDB_READERS_FULL).
  std::vector<std::unique_ptr<lima::index::ReadTxn>> hog;
  for (;;) {
    try {
      hog.push_back(std::make_unique<lima::index::ReadTxn>(m.catalog().env()));
    } catch (const lima::index::LmdbError&) {
      break;
    }
    REQUIRE(hog.size() < 10'000);
  }
  CHECK(lstat_errno(m / "projects/Dragon/parts") == EIO);
  CHECK(lstat_errno(m / "search/anything") == EIO);
  CHECK(m.mount().stats().text().find("\nerrors 0\n") == std::string::npos);
  hog.clear();
  CHECK(lstat_errno(m / "projects/Dragon/parts") == 0);
  CHECK(sorted_names(m / "projects/Dragon/parts") == std::vector<std::string>{"head.stl", "tail.stl"});
}
