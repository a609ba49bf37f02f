// Image facts in the index: each image's width and height, read by the
// sync from the bytes it hashes, and once for records indexed before the
// facts were kept; what the automatic main image makes of them.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <mutex>

#include "index/key_codec.h"
#include "index/metadata.h"
#include "index/schema.h"
#include "index/sync.h"
#include "support/indexed_library.h"
#include "test_support.h"
#include "support/test_images.h"

using namespace lima::index;
using lima::test::write_file;
namespace stdfs = std::filesystem;

namespace {

// A real image written by libvips, 37 × 23 pixels (tests/index/data/images).
std::string image(const std::string& name) { return lima::test::test_image(name); }

struct Lib : lima::test::IndexedLibrary {
  Run sync() { return sync_with({}); }
  /// Width, height and facts of `project/path`.
  std::tuple<ImageFacts, std::uint32_t, std::uint32_t> facts(const std::string& project, const std::string& path) {
    auto a = asset_at(project, path);
    REQUIRE(a);
    return {a->image, a->width, a->height};
  }
  /// Rewrites every asset record as schema 2 wrote it (format 1: no facts).
  void forget_facts() {
    cat->env().write([&](WriteTxn& t) {
      std::vector<Asset> all;
      cat->for_each_asset(t, [&](const Asset& a) { all.push_back(a); });
      for (const auto& a : all) {
        std::string v = encode(a);
        v.resize(v.size() - 9);  // u8 facts, u32 width, u32 height
        v[0] = static_cast<char>(schema::kAssetFormatWithoutFacts);
        t.put(cat->db().assets, key_u64(a.id), v);
      }
    });
  }
};

using Facts = std::tuple<ImageFacts, std::uint32_t, std::uint32_t>;
const Facts k37x23{ImageFacts::sized, 37, 23};
const Facts kNotImage{ImageFacts::not_an_image, 0, 0};
const Facts kUnread{ImageFacts::unread, 0, 0};

}  // namespace

TEST_CASE("image facts: a sync reads every image's size as it hashes it; a misnamed file is not an image") {
  Lib lib;
  write_file(lib.root / "Poster/cover.png", image("37x23.png"));
  write_file(lib.root / "Poster/photo.JPG", "this is not a jpeg\n");
  write_file(lib.root / "Poster/empty.gif", "");
  write_file(lib.root / "Poster/model.stl", "solid x\nendsolid x\n");
  Run first = lib.sync();  // a first index: written while hashing
  REQUIRE(first.status == RunStatus::ok);
  CHECK(lib.facts("Poster", "cover.png") == k37x23);
  CHECK(lib.facts("Poster", "photo.JPG") == kNotImage);
  CHECK(lib.facts("Poster", "empty.gif") == kNotImage);
  CHECK(lib.facts("Poster", "model.stl") == kUnread);  // not an image: never read

  // New and changed files, in a library indexed before.
  write_file(lib.root / "Poster/img/shot.webp", image("37x23-lossless.webp"));
  write_file(lib.root / "Poster/photo.JPG", image("37x23.jpg"));
  write_file(lib.root / "Poster/cover.png", "now broken");
  Run second = lib.sync();
  CHECK(second.counts.added == 1);
  CHECK(second.counts.changed == 2);
  CHECK(lib.facts("Poster", "img/shot.webp") == k37x23);
  CHECK(lib.facts("Poster", "photo.JPG") == k37x23);
  CHECK(lib.facts("Poster", "cover.png") == kNotImage);

  // A rename to a name that is no image drops the facts; back, they are read again.
  stdfs::rename(lib.root / "Poster/img/shot.webp", lib.root / "Poster/img/shot.bin");
  lib.sync();
  CHECK(lib.facts("Poster", "img/shot.bin") == kUnread);
  stdfs::rename(lib.root / "Poster/img/shot.bin", lib.root / "Poster/img/shot.webp");
  Run back = lib.sync();
  CHECK(back.counts.files_hashed == 0);  // only the header was read
  CHECK(lib.facts("Poster", "img/shot.webp") == k37x23);
}

TEST_CASE("image facts: images indexed without facts get them at the next sync, once, without rehashing") {
  Lib lib;
  write_file(lib.root / "Poster/cover.png", image("37x23.png"));
  write_file(lib.root / "Poster/tiff/scan.tif", image("37x23-be.tif"));
  write_file(lib.root / "Poster/broken.jpg", "not a jpeg");
  write_file(lib.root / "Poster/model.stl", "solid x\nendsolid x\n");
  lib.sync();
  lib.forget_facts();
  CHECK(lib.facts("Poster", "cover.png") == kUnread);
  CHECK(lib.facts("Poster", "broken.jpg") == kUnread);

  std::mutex mu;
  std::vector<AssetId> written;
  lib.cat->subscribe([&](const Changes& c) {
    std::lock_guard lock(mu);
    written.insert(written.end(), c.assets.begin(), c.assets.end());
  });
  Run upgrade = lib.sync();
  CHECK(upgrade.status == RunStatus::ok);
  CHECK(upgrade.counts.files_hashed == 0);
  CHECK(upgrade.counts.unchanged == 4);
  CHECK(lib.facts("Poster", "cover.png") == k37x23);
  CHECK(lib.facts("Poster", "tiff/scan.tif") == k37x23);
  CHECK(lib.facts("Poster", "broken.jpg") == kNotImage);
  CHECK(lib.facts("Poster", "model.stl") == kUnread);
  {
    std::lock_guard lock(mu);
    CHECK(written.size() == 3);  // the three images, not the model
    written.clear();
  }

  // Read once: the next sync writes no record (a broken .jpg is not read again).
  Run next = lib.sync();
  CHECK(next.counts.unchanged == 4);
  std::lock_guard lock(mu);
  CHECK(written.empty());
}

TEST_CASE("image facts: asset records keep their facts, and records without them read as not read") {
  Asset a{.id = 7, .project = 2, .path = "img/cover.png", .size = 10, .kind = Kind::image};
  a.image = ImageFacts::sized;
  a.width = 4000;
  a.height = 3000;
  auto back = decode_asset(7, encode(a));
  REQUIRE(back);
  CHECK(back->image == ImageFacts::sized);
  CHECK(back->pixels() == std::pair<std::uint32_t, std::uint32_t>{4000, 3000});

  std::string old = encode(a);
  old.resize(old.size() - 9);
  old[0] = static_cast<char>(schema::kAssetFormatWithoutFacts);
  auto v1 = decode_asset(7, old);
  REQUIRE(v1);
  CHECK(v1->path == "img/cover.png");
  CHECK(v1->image == ImageFacts::unread);
  CHECK_FALSE(v1->pixels());

  std::string bad = encode(a);
  bad[bad.size() - 9] = 9;  // no such facts value
  CHECK_FALSE(decode_asset(7, bad));
}

TEST_CASE("main image: never a file that is no image, a real picture before a tiny one, then names, depth, size") {
  Lib lib;
  Catalog& cat = *lib.cat;
  Project p{.id = 1, .name = "P", .dev = 1, .ino = 1};
  AssetId next = 1;
  auto add = [&](const std::string& path, ImageFacts facts, std::uint32_t w, std::uint32_t h) {
    Asset a{.id = next++, .project = 1, .path = path, .dev = 1, .ino = 100 + next, .size = 5, .kind = Kind::image};
    a.hash.bytes[0] = static_cast<unsigned char>(a.id);
    a.image = facts;
    a.width = w;
    a.height = h;
    cat.env().write([&](WriteTxn& t) { cat.put_asset(t, a, nullptr); });
    return a.id;
  };
  cat.env().write([&](WriteTxn& t) { cat.put_project(t, p, nullptr); });
  Metadata md(cat);
  auto pick = [&] {
    ReadTxn t(cat.env());
    return md.main_image(t, 1);
  };

  const AssetId broken_cover = add("cover.png", ImageFacts::not_an_image, 0, 0);
  CHECK(pick() == std::nullopt);  // its only "image" is none
  const AssetId pixel = add("cover-pixel.gif", ImageFacts::sized, 1, 1);
  CHECK(pick() == pixel);  // tiny, but the only one
  const AssetId deep_small = add("a/b/photo.jpg", ImageFacts::sized, 640, 31);
  CHECK(pick() == pixel);  // 31 px on its short edge is tiny too: the name wins
  const AssetId deep = add("a/b/shot.jpg", ImageFacts::sized, 400, 300);
  CHECK(pick() == deep);  // a real picture beats a tiny cover
  const AssetId shallow = add("a/shot.jpg", ImageFacts::sized, 200, 100);
  CHECK(pick() == shallow);
  const AssetId larger = add("a/view.jpg", ImageFacts::sized, 800, 600);
  CHECK(pick() == larger);  // same depth, more pixels
  const AssetId unknown = add("a/render.svg", ImageFacts::size_unknown, 0, 0);
  CHECK(pick() == unknown);  // named like a cover, size unknown: may be real
  const AssetId preferred = add("main.webp", ImageFacts::unread, 0, 0);
  CHECK(pick() == preferred);  // not read yet: as before, by name and depth
  (void)broken_cover;
  (void)deep_small;
}
