// The library is never modified: not by a first scan, a rescan or a verify
// scan, and a scan works on a library mounted read-only.
#include <catch2/catch.hpp>

#include <sys/mount.h>

#include <map>

#include "e2e/run_limafs.h"
#include "index/hasher.h"
#include "support/library_snapshot.h"
#include "support/skip.h"
#include "test_support.h"

using lima::test::run_limafs;
using lima::test::TempDir;
using lima::test::write_file;
namespace stdfs = std::filesystem;
using lima::test::snapshot;

namespace {


void make_library(const stdfs::path& lib) {
  write_file(lib / "Benchy/models/3DBenchy.stl", lima::test::random_bytes(20000, 1));
  write_file(lib / "Benchy/images/cover.png", lima::test::random_bytes(3000, 2));
  write_file(lib / "Vase/vase.3mf", lima::test::random_bytes(7000, 3));
  write_file(lib / "Vase/notes.md", "spiral mode\n");
  write_file(lib / "loose.stl", "solid x\nendsolid x\n");
  stdfs::create_directories(lib / "Empty");
  stdfs::create_symlink("../Vase", lib / "Benchy/link-to-vase");
  lima::test::set_mtime(lib / "Vase/vase.3mf", 1'600'000'000);
}

}  // namespace

TEST_CASE("scans, rescans and verify scans leave the library exactly as it was") {
  TempDir tmp;
  const auto lib = tmp / "lib";
  make_library(lib);
  const auto before = snapshot(lib);
  const std::string state = (tmp / "state").string();
  CHECK(run_limafs({"scan", lib.string(), "--state", state}).exit_code == 0);
  CHECK(run_limafs({"scan", lib.string(), "--state", state}).exit_code == 0);
  CHECK(run_limafs({"scan", lib.string(), "--state", state, "--verify"}).exit_code == 0);
  CHECK(run_limafs({"scan", lib.string(), "--state", state, "--project", "Vase"}).exit_code == 0);
  const auto after = snapshot(lib);
  REQUIRE(after.size() == before.size());
  CHECK(after == before);
}

TEST_CASE("a scan works on a library mounted read-only") {
  if (::geteuid() != 0) LIMA_SKIP("needs root to bind-mount");
  TempDir tmp;
  const auto lib = tmp / "lib", ro = tmp / "ro";
  make_library(lib);
  stdfs::create_directories(ro);
  REQUIRE(::mount(lib.c_str(), ro.c_str(), nullptr, MS_BIND, nullptr) == 0);
  struct Unmount {
    stdfs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } guard{ro};
  REQUIRE(::mount(nullptr, ro.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) == 0);
  REQUIRE(::access(ro.c_str(), W_OK) != 0);  // really read-only, even for root
  const auto before = snapshot(lib);
  auto first = run_limafs({"scan", ro.string(), "--state", (tmp / "state").string(), "--json"});
  CHECK(first.exit_code == 0);
  CHECK(first.out.find("\"added\": 5") != std::string::npos);
  auto verify = run_limafs({"scan", ro.string(), "--state", (tmp / "state").string(), "--verify"});
  CHECK(verify.exit_code == 0);
  CHECK(snapshot(lib) == before);
}
