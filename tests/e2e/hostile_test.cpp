// Libraries that fight back: unreadable files and folders, an unreadable or
// swapped root. Permission checks need an unprivileged user, so these tests
// drop to "nobody" when run as root.
#include <catch2/catch.hpp>

#include <sys/mount.h>

#include <set>

#include <nlohmann/json.hpp>

#include "e2e/run_limafs.h"
#include "support/skip.h"
#include "test_support.h"

using lima::test::run_limafs;
using lima::test::TempDir;
using lima::test::write_file;
namespace stdfs = std::filesystem;

namespace {

/// A library and state dir usable by `nobody` (when running as root).
struct NobodySetup {
  TempDir tmp;
  stdfs::path lib = tmp / "lib", state = tmp / "state";
  std::optional<lima::test::RunAs> as;
  NobodySetup() {
    ::chmod(tmp.path().c_str(), 0755);
    write_file(lib / "Open/ok.stl", "fine");
    write_file(lib / "Open/secret.stl", "locked");
    write_file(lib / "Open/sub/inner.stl", "hidden by its folder");
    write_file(lib / "Other/x.stl", "x");
    stdfs::create_directories(state);
    // Readable by anyone whatever the umask, so only what a test locks is locked.
    for (const auto& e : stdfs::recursive_directory_iterator(lib))
      ::chmod(e.path().c_str(), e.is_directory() ? 0755 : 0644);
    ::chmod(lib.c_str(), 0755);
    if (::geteuid() == 0) {
      as = lima::test::unprivileged_user();
      if (as) REQUIRE(::chown(state.c_str(), as->uid, as->gid) == 0);
    }
  }
  lima::test::Outcome scan(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"scan", lib.string(), "--state", state.string(), "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_limafs(args, as);
  }
};

}  // namespace

TEST_CASE("unreadable files and folders are recorded, counted and never removed") {
  NobodySetup s;
  if (::geteuid() == 0 && !s.as) LIMA_SKIP("no 'nobody' user to check permissions as");
  auto first = s.scan();
  REQUIRE(first.exit_code == 0);
  ::chmod((s.lib / "Open/secret.stl").c_str(), 0);
  ::chmod((s.lib / "Open/sub").c_str(), 0);
  lima::test::write_file(s.lib / "Open/secret2.stl", "new and locked");
  ::chmod((s.lib / "Open/secret2.stl").c_str(), 0);
  lima::test::set_mtime(s.lib / "Open/secret.stl", 1'500'000'000);  // forces a rehash attempt

  auto o = s.scan();
  CHECK(o.exit_code == 3);  // partial
  auto j = nlohmann::json::parse(o.out);
  CHECK(j["status"] == "partial");
  CHECK(j["counts"]["removed"] == 0);
  CHECK(j["counts"]["errors"] == 3);
  std::set<std::string> paths;
  for (const auto& p : j["problems"]) {
    CHECK(p["kind"] == "unreadable");
    CHECK(p["detail"] == "Permission denied");
    paths.insert(p["path"].get<std::string>());
  }
  CHECK(paths == std::set<std::string>{"Open/secret.stl", "Open/secret2.stl", "Open/sub"});

  // Readable again: everything is back in one piece, nothing was lost.
  ::chmod((s.lib / "Open/secret.stl").c_str(), 0644);
  ::chmod((s.lib / "Open/secret2.stl").c_str(), 0644);
  ::chmod((s.lib / "Open/sub").c_str(), 0755);
  auto ok = nlohmann::json::parse(s.scan().out);
  CHECK(ok["status"] == "ok");
  CHECK(ok["counts"]["added"] == 1);
  CHECK(ok["counts"]["changed"] == 0);
  CHECK(ok["counts"]["removed"] == 0);
}

TEST_CASE("a folder that can be listed but not entered keeps its files") {
  NobodySetup s;
  if (::geteuid() == 0 && !s.as) return;
  REQUIRE(s.scan().exit_code == 0);
  ::chmod((s.lib / "Open/sub").c_str(), 0644);  // readable, not searchable: names yes, stat no
  auto o = s.scan();
  ::chmod((s.lib / "Open/sub").c_str(), 0755);
  CHECK(o.exit_code == 3);
  auto j = nlohmann::json::parse(o.out);
  CHECK(j["counts"]["removed"] == 0);
  CHECK(j["problems"][0]["path"] == "Open/sub/inner.stl");
  CHECK(j["problems"][0]["kind"] == "unreadable");
}

TEST_CASE("an unreadable library root means offline: nothing is removed") {
  NobodySetup s;
  if (::geteuid() == 0 && !s.as) return;
  REQUIRE(s.scan().exit_code == 0);
  ::chmod(s.lib.c_str(), 0);
  auto o = s.scan();
  ::chmod(s.lib.c_str(), 0755);
  CHECK(o.exit_code == 4);
  auto j = nlohmann::json::parse(o.out);
  CHECK(j["status"] == "offline");
  CHECK(j["counts"]["removed"] == 0);
  auto again = nlohmann::json::parse(s.scan().out);
  CHECK(again["counts"]["unchanged"] == 4);
}

TEST_CASE("files on a filesystem mounted inside the library are not rehashed on every scan") {
  if (::geteuid() != 0) LIMA_SKIP("needs root to mount a tmpfs");
  TempDir tmp;
  const auto lib = tmp / "lib";
  write_file(lib / "Benchy/b.stl", "benchy");
  stdfs::create_directories(lib / "Benchy/nested");
  lima::test::TmpfsMount nested(lib / "Benchy/nested");
  REQUIRE(nested.ok());
  write_file(lib / "Benchy/nested/n.stl", "on another filesystem");
  const std::string state = (tmp / "state").string();
  REQUIRE(run_limafs({"scan", lib.string(), "--state", state}).exit_code == 0);
  auto again = nlohmann::json::parse(run_limafs({"scan", lib.string(), "--state", state, "--json"}).out);
  CHECK(again["counts"]["unchanged"] == 2);
  CHECK(again["counts"]["files_hashed"] == 0);
}

TEST_CASE("a library root on another device than before is offline until accepted") {
  if (::geteuid() != 0) LIMA_SKIP("needs root to mount a tmpfs");
  TempDir tmp;
  const auto lib = tmp / "lib";
  write_file(lib / "Benchy/b.stl", "benchy");
  write_file(lib / "Vase/v.stl", "vase");
  const std::string state = (tmp / "state").string();
  REQUIRE(run_limafs({"scan", lib.string(), "--state", state}).exit_code == 0);

  // Something else is mounted where the library was (e.g. an empty mount
  // point's replacement disk): another filesystem with other content.
  lima::test::TmpfsMount other_disk(lib);
  REQUIRE(other_disk.ok());
  write_file(lib / "Benchy/b.stl", "benchy");
  auto o = run_limafs({"scan", lib.string(), "--state", state, "--json"});
  CHECK(o.exit_code == 4);
  auto j = nlohmann::json::parse(o.out);
  CHECK(j["status"] == "offline");
  CHECK(j["message"].get<std::string>().find("another device") != std::string::npos);

  // The user confirms the library moved: ids survive through content.
  auto moved = run_limafs({"scan", lib.string(), "--state", state, "--allow-device-change", "--json"});
  CHECK(moved.exit_code == 0);
  auto m = nlohmann::json::parse(moved.out);
  CHECK(m["counts"]["removed"] == 1);  // Vase is really gone from this disk
  CHECK(m["counts"]["added"] == 0);
}
