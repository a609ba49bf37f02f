#include <catch2/catch.hpp>

#include "cli/daemon_picture.h"
#include "index/hasher.h"
#include "test_support.h"

using namespace lima::cli;
using lima::test::TempDir;
using lima::test::write_file;

TEST_CASE("a daemon's pictures are found by content hash, 256 or 512 by the size asked for") {
  const auto hash = lima::index::ContentHash::parse("0123456789abcdef0123456789abcdef");
  REQUIRE(hash);
  CHECK(stored_picture_path("/s", *hash, 256) == "/s/pictures/v1/01/0123456789abcdef0123456789abcdef-256.webp");
  CHECK(stored_picture_path("/s", *hash, 512) == "/s/pictures/v1/01/0123456789abcdef0123456789abcdef-512.webp");
  CHECK(stored_edge_for(1) == 256);
  CHECK(stored_edge_for(128) == 256);
  CHECK(stored_edge_for(256) == 256);
  CHECK(stored_edge_for(257) == 512);
  CHECK(stored_edge_for(512) == 512);
  CHECK(stored_edge_for(1024) == std::nullopt);  // would be upscaled: made from the file instead
}

TEST_CASE("the daemon serving a file is the one whose library or mount holds it") {
  std::vector<DaemonEntry> daemons(2);
  daemons[0].library = "/srv/models";
  daemons[0].mountpoint = "/mnt/models";
  daemons[1].library = "/home/me/Prints";
  daemons[1].mountpoint = "/home/me/prints-view";
  CHECK(serving_daemon("/srv/models/Benchy/3DBenchy.stl", daemons) == &daemons[0]);
  CHECK(serving_daemon("/mnt/models/README.txt", daemons) == &daemons[0]);
  CHECK(serving_daemon("/home/me/Prints/Vase/vase.3mf", daemons) == &daemons[1]);
  CHECK(serving_daemon("/srv/models-old/a.stl", daemons) == nullptr);  // a sibling, not inside
  CHECK(serving_daemon("/home/me/Downloads/a.stl", daemons) == nullptr);
}

TEST_CASE("the stored picture is used once the daemon has made it") {
  TempDir tmp;
  const auto lib = tmp / "lib", state = tmp / "state";
  write_file(lib / "Benchy/boat.stl", "solid boat\nendsolid boat\n");
  std::vector<DaemonEntry> daemons(1);
  daemons[0].library = lib.string();
  daemons[0].state_dir = state.string();

  auto none = find_daemon_picture(lib / "Benchy/boat.stl", 128, daemons);
  CHECK(none.daemon == &daemons[0]);
  CHECK(none.file.empty());
  CHECK(none.why_none == "it has no picture of this file yet");

  const auto hash = lima::index::hash_path(lib / "Benchy/boat.stl");
  REQUIRE(hash);
  const auto stored = stored_picture_path(state, *hash, 256);
  write_file(stored, "RIFF....WEBP");
  auto found = find_daemon_picture(lib / "Benchy/boat.stl", 128, daemons);
  CHECK(found.file == stored);
  // 512 asked for: the 512 picture, which is not there.
  CHECK(find_daemon_picture(lib / "Benchy/boat.stl", 400, daemons).file.empty());
  // Another file with other bytes has no picture.
  write_file(lib / "Benchy/other.stl", "solid other\nendsolid other\n");
  CHECK(find_daemon_picture(lib / "Benchy/other.stl", 128, daemons).file.empty());
  // A file no daemon serves.
  write_file(tmp / "elsewhere.stl", "solid boat\nendsolid boat\n");
  CHECK(find_daemon_picture(tmp / "elsewhere.stl", 128, daemons).daemon == nullptr);
}
