#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "index/catalog.h"
#include "index/library_root.h"
#include "index/sync.h"
#include "test_support.h"

using namespace lima::index;
using lima::test::TempDir;
using lima::test::write_file;
namespace stdfs = std::filesystem;

namespace {

std::uint64_t device_of(const stdfs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_dev;
}

}  // namespace

TEST_CASE("library root: a root that is there, on its disk, with folders, is online") {
  TempDir tmp;
  write_file(tmp / "library/Benchy/benchy.stl", "solid\n");
  const auto p = probe_library_root(tmp / "library", RootExpectation{.dev = device_of(tmp.path()), .projects = 1});
  CHECK(p.online());
  CHECK(p.state == RootState::online);
  CHECK(p.reason((tmp / "library").string()).empty());
  CHECK(p.fd() >= 0);
  CHECK(p.dev == device_of(tmp / "library"));
}

TEST_CASE("library root: a root that is gone or not a directory is offline, and says why") {
  TempDir tmp;
  const auto root = (tmp / "library").string();
  auto gone = probe_library_root(root, {});
  CHECK(gone.state == RootState::missing);
  CHECK_FALSE(gone.online());
  CHECK(gone.fd() < 0);
  CHECK(gone.reason(root) == "the library root " + root + " is gone (moved away, or its disk unmounted)");

  write_file(tmp / "library", "a file\n");
  auto file = probe_library_root(root, {});
  CHECK(file.state == RootState::not_directory);
  CHECK(file.reason(root).find("cannot open the library root " + root) == 0);
}

TEST_CASE("library root: a root on another device than the index saw is offline") {
  TempDir tmp;
  write_file(tmp / "library/Benchy/benchy.stl", "solid\n");
  const auto root = (tmp / "library").string();
  const auto dev = device_of(root);
  auto p = probe_library_root(root, RootExpectation{.dev = dev + 1});
  CHECK(p.state == RootState::other_device);
  CHECK(p.expected_dev == dev + 1);
  CHECK(p.fd() >= 0);  // still open: the caller may report on it
  CHECK(p.reason(root).find("is on another device than before") != std::string::npos);
  CHECK(probe_library_root(root, RootExpectation{.dev = std::nullopt}).online());
}

TEST_CASE("library root: an empty root is offline only while the index has projects") {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "library");
  const auto root = (tmp / "library").string();
  CHECK(probe_library_root(root, RootExpectation{.projects = 0}).online());
  auto p = probe_library_root(root, RootExpectation{.projects = 2});
  CHECK(p.state == RootState::empty);
  CHECK(p.reason(root) == "the library root " + root + " is empty but the index has 2 projects: is its disk mounted?");
  CHECK(probe_library_root(root, RootExpectation{.projects = 1}).reason(root).find("has 1 project:") !=
        std::string::npos);
  // Without looking inside, the root is only opened.
  CHECK(probe_library_root(root, RootExpectation{.projects = 2, .list = false}).online());
}

TEST_CASE("library root: the index's expectation is its root device and its live projects") {
  TempDir tmp;
  write_file(tmp / "library/Benchy/benchy.stl", "solid\n");
  write_file(tmp / "library/Dragon/dragon.stl", "solid\n");
  auto c = Catalog::open(tmp / "state", OpenMode::read_write);
  REQUIRE(c);
  {
    ReadTxn t((*c)->env());
    const auto e = expected_root(**c, t);
    CHECK_FALSE(e.dev);
    CHECK(e.projects == 0);
  }
  SyncOptions o;
  o.library = tmp / "library";
  REQUIRE(run_sync(**c, o));
  ReadTxn t((*c)->env());
  const auto e = expected_root(**c, t);
  CHECK(e.dev == device_of(tmp / "library"));
  CHECK(e.projects == 2);
  CHECK(e.list);
}

TEST_CASE("library root: a moved probe keeps the root open exactly once") {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "library");
  RootProbe a = probe_library_root(tmp / "library", {});
  const int fd = a.fd();
  REQUIRE(fd >= 0);
  RootProbe b = std::move(a);
  CHECK(b.fd() == fd);
  CHECK(a.fd() == -1);
  RootProbe c;
  c = std::move(b);
  CHECK(c.fd() == fd);
  CHECK(::fcntl(fd, F_GETFD) != -1);
}
