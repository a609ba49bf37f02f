// `limafs thumbnail` as file managers run it: a PNG of the asked size from a
// path or a file:// URI, a clear refusal that leaves the output alone, and,
// for a file a running daemon serves, the daemon's stored picture.
#include <catch2/catch.hpp>

#include <cstdint>

#include "e2e/daemon_fixture.h"
#include "e2e/run_limafs.h"
#include "index/hasher.h"
#include "test_support.h"

using namespace lima::e2e;

namespace {

constexpr const char* kCubeStl = R"(solid cube
 facet normal 0 0 -1
  outer loop
   vertex 0 0 0
   vertex 20 20 0
   vertex 20 0 0
  endloop
 endfacet
 facet normal 0 0 -1
  outer loop
   vertex 0 0 0
   vertex 0 20 0
   vertex 20 20 0
  endloop
 endfacet
 facet normal 0 -1 0
  outer loop
   vertex 0 0 0
   vertex 20 0 0
   vertex 20 0 20
  endloop
 endfacet
 facet normal -1 0 0
  outer loop
   vertex 0 0 0
   vertex 0 0 20
   vertex 0 20 20
  endloop
 endfacet
 facet normal 1 1 1
  outer loop
   vertex 20 0 0
   vertex 0 20 0
   vertex 0 0 20
  endloop
 endfacet
endsolid cube
)";

struct PngSize {
  std::uint32_t width = 0, height = 0;
};

// The size a PNG file's header gives; nullopt when the file is not a PNG.
std::optional<PngSize> png_size(const stdfs::path& file) {
  const std::string bytes = read_file(file);
  if (bytes.size() < 24 || bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 || bytes.compare(12, 4, "IHDR") != 0)
    return std::nullopt;
  auto be32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  return PngSize{be32(16), be32(20)};
}

std::string uri_of(const stdfs::path& p) {
  std::string out = "file://";
  for (const char c : p.string()) {
    if (c == ' ') out += "%20";
    else out += c;
  }
  return out;
}

}  // namespace

TEST_CASE("thumbnail writes a PNG of the asked size from a path or a file URI") {
  TempDir tmp;
  write_file(tmp / "in/cube part.stl", kCubeStl);
  auto r = run_limafs({"thumbnail", "--size", "96", uri_of(tmp / "in/cube part.stl"), (tmp / "a.png").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto size = png_size(tmp / "a.png");
  REQUIRE(size);
  CHECK(std::max(size->width, size->height) == 96u);
  // Nothing else is left in the output's directory.
  CHECK(listing(tmp.path()) == std::set<std::string>{"a.png", "in"});
}

TEST_CASE("a file with no picture fails on one line and leaves the output as it was") {
  TempDir tmp;
  write_file(tmp / "broken.stl", "solid broken\n facet normal 0 0 1\n  outer loop\n   vertex 1 2\n");
  write_file(tmp / "out.png", "the previous picture");
  auto r = run_limafs({"thumbnail", (tmp / "broken.stl").string(), (tmp / "out.png").string()});
  CHECK(r.exit_code == 1);
  CHECK(r.err.starts_with("limafs thumbnail: " + (tmp / "broken.stl").string() + ": "));
  CHECK(is_one_line(r.err));
  CHECK(read_file(tmp / "out.png") == "the previous picture");
  CHECK(listing(tmp.path()) == std::set<std::string>{"broken.stl", "out.png"});

  r = run_limafs({"thumbnail", (tmp / "missing.stl").string(), (tmp / "out.png").string()});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "limafs thumbnail: " + (tmp / "missing.stl").string() + ": cannot read it: No such file or directory\n");
  r = run_limafs({"thumbnail", "smb://nas/models/a.stl", (tmp / "out.png").string()});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "limafs thumbnail: smb://nas/models/a.stl: only local files (file://) are read, not smb://...\n");
  CHECK(read_file(tmp / "out.png") == "the previous picture");
}

TEST_CASE("thumbnail refuses a bad size or a missing argument as a usage error") {
  TempDir tmp;
  write_file(tmp / "cube.stl", kCubeStl);
  for (const char* bad : {"0", "2049", "-5", "12px", ""}) {
    auto r = run_limafs({"thumbnail", "--size", bad, (tmp / "cube.stl").string(), (tmp / "o.png").string()});
    CHECK(r.exit_code == 2);
    CHECK(is_one_line(r.err));
  }
  CHECK(run_limafs({"thumbnail", (tmp / "cube.stl").string()}).exit_code == 2);
  CHECK_FALSE(stdfs::exists(tmp / "o.png"));
  CHECK(run_limafs({"thumbnail", "--help"}).out.find("usage: limafs thumbnail INPUT OUTPUT") != std::string::npos);
}

TEST_CASE("a file a running daemon serves gets the daemon's stored picture") {
  RETURN_WITHOUT_FUSE();
  if (sh("command -v vips").exit_code != 0) FAIL("vips (libvips-tools) is needed to write the stored picture");
  Setup s;
  write_file(s.lib / "Vase/cube.stl", kCubeStl);
  auto d = s.start();
  REQUIRE(d->serving());

  // The daemon makes the 256 picture of every file in the background.
  const auto hash = lima::index::hash_path(s.lib / "Vase/cube.stl");
  REQUIRE(hash);
  const std::string hex = hash->hex();
  const auto stored = s.state / "pictures/v1" / hex.substr(0, 2) / (hex + "-256.webp");
  REQUIRE(wait_until([&] { return stdfs::exists(stored); }, 60s));
  // Made distinguishable: 256x64, a shape no picture of a cube has.
  REQUIRE(sh("vips black " + quoted(stored) + ".new.webp 256 64 && mv " + quoted(stored) + ".new.webp " +
             quoted(stored)).exit_code == 0);

  // Through the mount (a symlink into the library), as a file manager in
  // the mount asks.
  const auto out = s.root / "out.png";
  auto r = run_limafs({"thumbnail", "--verbose", "--size", "128", uri_of(s.mnt / "projects/Vase/cube.stl"),
                       out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto size = png_size(out);
  REQUIRE(size);
  CHECK(size->width == 128u);
  CHECK(size->height == 32u);
  CHECK(r.err.find("the picture of the daemon serving " + s.lib.string()) != std::string::npos);

  // 400 needs the 512 picture, which the daemon makes only when asked:
  // the picture is made here, from the file.
  r = run_limafs({"thumbnail", "--verbose", "--size", "400", (s.mnt / "projects/Vase/cube.stl").string(),
                  out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("it has no picture of this file yet: made here") != std::string::npos);
  size = png_size(out);
  REQUIRE(size);
  CHECK(std::max(size->width, size->height) == 400u);
  CHECK(size->height > 100u);
}
