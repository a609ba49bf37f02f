// Image thumbnails on real images written with libvips in a temporary
// directory: sizes, orientation, colour, animation, and hostile files.
#include "thumbs/image_thumbnail.h"

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vips/vips8>

#include "test_support.h"
#include "thumbs/vips_runtime.h"

using namespace lima::thumbs;
using lima::test::TempDir;
using lima::test::read_file;
using lima::test::write_file;
using vips::VImage;

namespace {

Deadline in_a_minute() { return Clock::now() + std::chrono::minutes(1); }

void require_vips() {
  auto started = start_vips();
  INFO((started ? std::string() : started.error()));
  REQUIRE(started);
}

// A width x height sRGB image of one colour.
VImage plain(int width, int height, std::vector<double> colour) {
  return VImage::black(width, height)
      .new_from_image(colour)
      .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
}

// A width x height image of noise (so it neither compresses to nothing nor
// decodes in no time).
VImage noise(int width, int height) {
  VImage band = VImage::gaussnoise(width, height, VImage::option()->set("mean", 128.0)->set("sigma", 40.0));
  return band.bandjoin({band.rot90(), band.flip(VIPS_DIRECTION_HORIZONTAL)})
      .crop(0, 0, width, height)
      .cast(VIPS_FORMAT_UCHAR)
      .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
}

// The picture decoded again, held in memory.
VImage decoded(const Picture& picture) {
  return VImage::new_from_buffer(picture.bytes.data(), picture.bytes.size(), "").copy_memory();
}

bool is_webp(const std::string& bytes) {
  return bytes.size() > 12 && bytes.compare(0, 4, "RIFF") == 0 && bytes.compare(8, 4, "WEBP") == 0;
}

bool is_png(const std::string& bytes) { return bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0; }

std::string describe(const Outcome<Picture>& outcome) {
  if (outcome) return "picture " + std::to_string(outcome->width) + " x " + std::to_string(outcome->height);
  return std::string(to_string(outcome.error().kind)) + ": " + outcome.error().reason;
}

void append_chunk(std::string& png, const char* type, const std::string& data) {
  auto put32 = [&](std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) png.push_back(static_cast<char>((v >> shift) & 0xff));
  };
  put32(static_cast<std::uint32_t>(data.size()));
  std::string body = std::string(type, 4) + data;
  png += body;
  put32(static_cast<std::uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
}

// A valid greyscale PNG of side x side zero pixels, its deflate stream one
// compressed block of rows repeated (a full flush resets the compressor,
// so every block of the same rows compresses to the same bytes): about
// 1 KB per 1000 pixels squared.
std::string zero_png(std::uint32_t side) {
  const std::uint32_t rows_per_block = 10;
  REQUIRE(side % rows_per_block == 0);
  std::string zeros(static_cast<std::size_t>(side + 1) * rows_per_block, '\0');
  z_stream z{};
  REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string block(zeros.size(), '\0');
  z.next_in = reinterpret_cast<Bytef*>(zeros.data());
  z.avail_in = static_cast<uInt>(zeros.size());
  z.next_out = reinterpret_cast<Bytef*>(block.data());
  z.avail_out = static_cast<uInt>(block.size());
  REQUIRE(deflate(&z, Z_FULL_FLUSH) == Z_OK);
  block.resize(block.size() - z.avail_out);
  deflateEnd(&z);

  std::string idat = "\x78\xda";
  for (std::uint32_t i = 0; i < side / rows_per_block; ++i) idat += block;
  idat += std::string("\x03\x00", 2);  // the last block: empty
  // Adler-32 of n zero bytes: a stays 1, b is n.
  const std::uint64_t total = static_cast<std::uint64_t>(side + 1) * side;
  const auto adler = static_cast<std::uint32_t>(((total % 65521) << 16) | 1);
  for (int shift = 24; shift >= 0; shift -= 8) idat.push_back(static_cast<char>((adler >> shift) & 0xff));

  std::string ihdr;
  for (int k = 0; k < 2; ++k)
    for (int shift = 24; shift >= 0; shift -= 8) ihdr.push_back(static_cast<char>((side >> shift) & 0xff));
  ihdr += std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit grey, no interlace
  std::string png = "\x89PNG\r\n\x1a\n";
  append_chunk(png, "IHDR", ihdr);
  append_chunk(png, "IDAT", idat);
  append_chunk(png, "IEND", "");
  return png;
}

}  // namespace

TEST_CASE("an image's picture has the long edge asked for and is never upscaled", "[thumbs][image]") {
  require_vips();
  TempDir dir;
  noise(1200, 800).jpegsave((dir / "wide.jpg").c_str());
  plain(100, 50, {10, 200, 30}).pngsave((dir / "small.png").c_str());

  auto picture = thumbnail_file(dir / "wide.jpg", 256, Format::webp, Limits{}, in_a_minute());
  INFO(describe(picture));
  REQUIRE(picture);
  CHECK(picture->width == 256);
  CHECK(picture->height == 171);
  CHECK(picture->format == Format::webp);
  CHECK(is_webp(picture->bytes));
  VImage again = decoded(*picture);
  CHECK(again.width() == 256);
  CHECK(again.height() == 171);

  auto large = thumbnail_file(dir / "wide.jpg", 512, Format::png, Limits{}, in_a_minute());
  REQUIRE(large);
  CHECK(large->width == 512);
  CHECK(is_png(large->bytes));
  CHECK(decoded(*large).width() == 512);

  auto small = thumbnail_file(dir / "small.png", 256, Format::webp, Limits{}, in_a_minute());
  INFO(describe(small));
  REQUIRE(small);
  CHECK(small->width == 100);
  CHECK(small->height == 50);
}

TEST_CASE("a JPEG's EXIF orientation is honoured: a sideways photo comes out upright", "[thumbs][image]") {
  require_vips();
  TempDir dir;
  VImage landscape = noise(600, 400).copy();
  landscape.set("orientation", 6);
  landscape.jpegsave((dir / "rotated.jpg").c_str());
  REQUIRE(VImage::new_from_file((dir / "rotated.jpg").c_str()).get_int("orientation") == 6);

  auto picture = thumbnail_file(dir / "rotated.jpg", 256, Format::webp, Limits{}, in_a_minute());
  INFO(describe(picture));
  REQUIRE(picture);
  CHECK(picture->width == 171);
  CHECK(picture->height == 256);
  // No viewer turns the upright picture again: it says it is upright, or
  // says nothing.
  for (Format format : {Format::webp, Format::png}) {
    auto again = thumbnail_file(dir / "rotated.jpg", 256, format, Limits{}, in_a_minute());
    REQUIRE(again);
    VImage out = decoded(*again);
    CHECK((out.get_typeof("orientation") == 0 || out.get_int("orientation") == 1));
  }
}

TEST_CASE("a 16-bit PNG comes out as an 8-bit sRGB picture of the same colour", "[thumbs][image]") {
  require_vips();
  TempDir dir;
  VImage deep = (VImage::black(300, 200, VImage::option()->set("bands", 3)) + std::vector<double>{0, 32768, 65535})
                    .cast(VIPS_FORMAT_USHORT)
                    .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_RGB16));
  deep.pngsave((dir / "deep.png").c_str());
  REQUIRE(VImage::new_from_file((dir / "deep.png").c_str()).format() == VIPS_FORMAT_USHORT);

  auto picture = thumbnail_file(dir / "deep.png", 256, Format::png, Limits{}, in_a_minute());
  INFO(describe(picture));
  REQUIRE(picture);
  VImage out = decoded(*picture);
  CHECK(out.format() == VIPS_FORMAT_UCHAR);
  CHECK(out.bands() == 3);
  auto pixel = out.getpoint(10, 10);
  CHECK(pixel[0] == Approx(0).margin(2));
  CHECK(pixel[1] == Approx(128).margin(2));
  CHECK(pixel[2] == Approx(255).margin(2));
}

TEST_CASE("a CMYK JPEG comes out as an sRGB picture of the same colour", "[thumbs][image]") {
  require_vips();
  TempDir dir;
  // Pure cyan ink.
  VImage cmyk = VImage::black(300, 200)
                    .new_from_image({255, 0, 0, 0})
                    .cast(VIPS_FORMAT_UCHAR)
                    .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_CMYK));
  cmyk.jpegsave((dir / "cmyk.jpg").c_str());
  REQUIRE(VImage::new_from_file((dir / "cmyk.jpg").c_str()).bands() == 4);

  auto picture = thumbnail_file(dir / "cmyk.jpg", 256, Format::png, Limits{}, in_a_minute());
  INFO(describe(picture));
  REQUIRE(picture);
  VImage out = decoded(*picture);
  CHECK(out.format() == VIPS_FORMAT_UCHAR);
  REQUIRE(out.bands() == 3);
  auto pixel = out.getpoint(10, 10);
  CHECK(pixel[0] < 100);  // cyan: little red, much green and blue
  CHECK(pixel[1] > 120);
  CHECK(pixel[2] > 180);
}

TEST_CASE("a wide-gamut photo (Display P3 profile) keeps its colours in sRGB", "[thumbs][image]") {
  require_vips();
  TempDir dir;
  VImage red = plain(300, 200, {255, 0, 0}).cast(VIPS_FORMAT_UCHAR);
  VImage p3 = red.icc_transform("p3", VImage::option()->set("input_profile", "srgb")->set("embedded", false));
  REQUIRE(p3.getpoint(5, 5)[0] < 240);  // the same red, in P3 numbers
  p3.cast(VIPS_FORMAT_UCHAR).jpegsave((dir / "p3.jpg").c_str());
  REQUIRE(VImage::new_from_file((dir / "p3.jpg").c_str()).get_typeof("icc-profile-data") != 0);

  for (Format format : {Format::webp, Format::png}) {
    auto picture = thumbnail_file(dir / "p3.jpg", 256, format, Limits{}, in_a_minute());
    INFO(describe(picture));
    REQUIRE(picture);
    auto pixel = decoded(*picture).getpoint(10, 10);
    CHECK(pixel[0] > 245);
    CHECK(pixel[1] < 20);
    CHECK(pixel[2] < 20);
  }
}

TEST_CASE("an animated GIF's picture is its first frame", "[thumbs][image]") {
  require_vips();
  TempDir dir;
  VImage frames = plain(120, 80, {255, 0, 0}).join(plain(120, 80, {0, 255, 0}), VIPS_DIRECTION_VERTICAL);
  frames = frames.join(plain(120, 80, {0, 0, 255}), VIPS_DIRECTION_VERTICAL).copy();
  frames.set("page-height", 80);
  frames.gifsave((dir / "anim.gif").c_str());
  REQUIRE(VImage::new_from_file((dir / "anim.gif").c_str()).get_int("n-pages") == 3);

  auto picture = thumbnail_file(dir / "anim.gif", 256, Format::png, Limits{}, in_a_minute());
  INFO(describe(picture));
  REQUIRE(picture);
  CHECK(picture->width == 120);
  CHECK(picture->height == 80);
  auto pixel = decoded(*picture).getpoint(60, 70);
  CHECK(pixel[0] > 200);
  CHECK(pixel[1] < 50);
}

TEST_CASE("a decompression bomb is refused from its header, quickly, naming its size", "[thumbs][image][hostile]") {
  require_vips();
  TempDir dir;
  write_file(dir / "bomb.png", zero_png(30000));
  REQUIRE(lima::test::stdfs::file_size(dir / "bomb.png") < 2'000'000);
  VImage header = VImage::new_from_file((dir / "bomb.png").c_str());
  REQUIRE(header.width() == 30000);
  REQUIRE(header.height() == 30000);

  auto start = Clock::now();
  auto picture = thumbnail_file(dir / "bomb.png", 256, Format::webp, Limits{}, in_a_minute());
  auto took = Clock::now() - start;
  REQUIRE_FALSE(picture);
  CHECK(picture.error().kind == FailureKind::over_cap);
  CHECK_THAT(picture.error().reason, Catch::Contains("30000 x 30000"));
  CHECK(took < std::chrono::seconds(1));

  auto embedded = thumbnail_buffer(read_file(dir / "bomb.png"), 256, Format::webp, Limits{}, in_a_minute());
  REQUIRE_FALSE(embedded);
  CHECK(embedded.error().kind == FailureKind::over_cap);
  CHECK_THAT(embedded.error().reason, Catch::Contains("30000 x 30000"));
}

TEST_CASE("an image over the pixel cap is refused naming its dimensions", "[thumbs][image][hostile]") {
  require_vips();
  TempDir dir;
  plain(2000, 1000, {1, 2, 3}).pngsave((dir / "big.png").c_str());
  Limits limits;
  limits.max_pixels = 1'000'000;
  auto picture = thumbnail_file(dir / "big.png", 256, Format::webp, limits, in_a_minute());
  REQUIRE_FALSE(picture);
  CHECK(picture.error().kind == FailureKind::over_cap);
  CHECK_THAT(picture.error().reason, Catch::Contains("2000 x 1000"));
  limits.max_pixels = 2'000'000;
  CHECK(thumbnail_file(dir / "big.png", 256, Format::webp, limits, in_a_minute()));
}

TEST_CASE("a file over the size cap is refused before it is read", "[thumbs][image][hostile]") {
  require_vips();
  TempDir dir;
  // Not an image at all: refused for its size, so never opened.
  write_file(dir / "huge.jpg", std::string(5000, 'x'));
  Limits limits;
  limits.max_image_bytes = 4096;
  auto picture = thumbnail_file(dir / "huge.jpg", 256, Format::webp, limits, in_a_minute());
  REQUIRE_FALSE(picture);
  CHECK(picture.error().kind == FailureKind::over_cap);
  CHECK_THAT(picture.error().reason, Catch::Contains("5000 bytes"));
  auto embedded = thumbnail_buffer(std::string(5000, 'x'), 256, Format::webp, limits, in_a_minute());
  REQUIRE_FALSE(embedded);
  CHECK(embedded.error().kind == FailureKind::over_cap);
}

TEST_CASE("a decode past the deadline is killed and reported as over the time cap", "[thumbs][image][hostile]") {
  require_vips();
  TempDir dir;
  VImage::black(9000, 9000, VImage::option()->set("bands", 3))
      .pngsave((dir / "slow.png").c_str(), VImage::option()->set("compression", 1));

  auto start = Clock::now();
  REQUIRE(thumbnail_file(dir / "slow.png", 256, Format::webp, Limits{}, in_a_minute()));
  auto full = Clock::now() - start;

  Limits limits;
  limits.max_time = std::chrono::milliseconds(20);
  start = Clock::now();
  auto picture = thumbnail_file(dir / "slow.png", 256, Format::webp, limits, Clock::now() + limits.max_time);
  auto killed = Clock::now() - start;
  INFO(describe(picture));
  REQUIRE_FALSE(picture);
  CHECK(picture.error().kind == FailureKind::over_cap);
  CHECK(picture.error().reason == "took longer than 0.02 s");
  CHECK(killed < full);

  auto late = thumbnail_file(dir / "slow.png", 256, Format::webp, limits, Clock::now() - std::chrono::seconds(1));
  REQUIRE_FALSE(late);
  CHECK(late.error().kind == FailureKind::over_cap);
}

TEST_CASE("turning a sideways image upright is under the time cap too", "[thumbs][image][hostile]") {
  require_vips();
  TempDir dir;
  VImage sideways = VImage::black(9000, 9000, VImage::option()->set("bands", 3)).copy();
  sideways.set("orientation", 6);
  sideways.tiffsave((dir / "slow.tif").c_str(),
                    VImage::option()->set("compression", VIPS_FOREIGN_TIFF_COMPRESSION_DEFLATE));
  REQUIRE(VImage::new_from_file((dir / "slow.tif").c_str()).get_int("orientation") == 6);

  auto start = Clock::now();
  auto whole = thumbnail_file(dir / "slow.tif", 256, Format::webp, Limits{}, in_a_minute());
  auto full = Clock::now() - start;
  INFO(describe(whole));
  REQUIRE(whole);

  Limits limits;
  limits.max_time = std::chrono::milliseconds(20);
  start = Clock::now();
  auto picture = thumbnail_file(dir / "slow.tif", 256, Format::webp, limits, Clock::now() + limits.max_time);
  auto killed = Clock::now() - start;
  INFO(describe(picture));
  REQUIRE_FALSE(picture);
  CHECK(picture.error().kind == FailureKind::over_cap);
  CHECK(killed < full);
}

TEST_CASE("truncated JPEG and PNG files are undecodable, with a one-line reason", "[thumbs][image][hostile]") {
  require_vips();
  TempDir dir;
  noise(800, 800).jpegsave((dir / "whole.jpg").c_str());
  noise(800, 800).pngsave((dir / "whole.png").c_str());
  for (const char* name : {"whole.jpg", "whole.png"}) {
    std::string bytes = read_file(dir / name);
    std::string cut = std::string("cut-") + name;
    write_file(dir / cut, bytes.substr(0, bytes.size() / 2));
    INFO(cut);
    REQUIRE(thumbnail_file(dir / name, 256, Format::webp, Limits{}, in_a_minute()));
    auto picture = thumbnail_file(dir / cut, 256, Format::webp, Limits{}, in_a_minute());
    INFO(describe(picture));
    REQUIRE_FALSE(picture);
    CHECK(picture.error().kind == FailureKind::undecodable_image);
    CHECK_FALSE(picture.error().reason.empty());
    CHECK(picture.error().reason.find('\n') == std::string::npos);
    auto embedded = thumbnail_buffer(bytes.substr(0, bytes.size() / 2), 256, Format::png, Limits{}, in_a_minute());
    REQUIRE_FALSE(embedded);
    CHECK(embedded.error().kind == FailureKind::undecodable_image);
  }
}

TEST_CASE("a text file named photo.jpg is not an image", "[thumbs][image][hostile]") {
  require_vips();
  TempDir dir;
  write_file(dir / "photo.jpg", "this is a shopping list, not a photo\n");
  write_file(dir / "empty.png", "");
  write_file(dir / "grid.jpg", "2 2\n0 1\n1 0\n");  // libvips' text matrix format
  for (const char* name : {"photo.jpg", "empty.png", "grid.jpg"}) {
    INFO(name);
    auto picture = thumbnail_file(dir / name, 256, Format::webp, Limits{}, in_a_minute());
    REQUIRE_FALSE(picture);
    CHECK(picture.error().kind == FailureKind::undecodable_image);
    CHECK_THAT(picture.error().reason, Catch::StartsWith("not an image"));
  }
  auto missing = thumbnail_file(dir / "gone.jpg", 256, Format::webp, Limits{}, in_a_minute());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == FailureKind::undecodable_image);
  auto embedded = thumbnail_buffer("not a png", 256, Format::webp, Limits{}, in_a_minute());
  REQUIRE_FALSE(embedded);
  CHECK_THAT(embedded.error().reason, Catch::StartsWith("not an image"));
}

TEST_CASE("untrusted loaders are blocked: a format only they read is not an image", "[thumbs][image][hostile]") {
  require_vips();
  auto loaders = image_loaders();
  auto has = [&](const char* name) { return std::find(loaders.begin(), loaders.end(), name) != loaders.end(); };
  CHECK(has("jpegload"));
  CHECK(has("pngload"));
  CHECK(has("webpload"));
  CHECK(has("gifload"));
  CHECK(has("pngload_buffer"));
  for (const char* untrusted : {"magickload", "magickload_buffer", "matload", "fitsload", "pdfload", "svgload",
                                "csvload", "vipsload", "openslideload", "rawload", "matrixload"})
    CHECK_FALSE(has(untrusted));

  // A 2 x 2 BMP: only ImageMagick reads it here.
  std::string bmp = std::string("BM") + std::string("\x46\0\0\0\0\0\0\0\x36\0\0\0", 12) +
                    std::string("\x28\0\0\0\x02\0\0\0\x02\0\0\0\x01\0\x18\0\0\0\0\0\x10\0\0\0", 24) +
                    std::string(16, '\0') + std::string(16, '\x7f');
  TempDir dir;
  write_file(dir / "old.bmp", bmp);
  auto picture = thumbnail_file(dir / "old.bmp", 256, Format::webp, Limits{}, in_a_minute());
  REQUIRE_FALSE(picture);
  CHECK(picture.error().kind == FailureKind::undecodable_image);
  CHECK_THAT(picture.error().reason, Catch::StartsWith("not an image"));
}

TEST_CASE("a picture embedded in a model file is thumbnailed from its bytes", "[thumbs][image]") {
  require_vips();
  VipsBlob* png = noise(640, 480).pngsave_buffer();
  std::size_t length = 0;
  const void* data = vips_blob_get(png, &length);
  std::string bytes(static_cast<const char*>(data), length);
  vips_area_unref(VIPS_AREA(png));

  auto picture = thumbnail_buffer(bytes, 256, Format::webp, Limits{}, in_a_minute());
  INFO(describe(picture));
  REQUIRE(picture);
  CHECK(picture->width == 256);
  CHECK(picture->height == 192);
  CHECK(is_webp(picture->bytes));
}

TEST_CASE("a file whose name looks like libvips options is still read", "[thumbs][image]") {
  require_vips();
  TempDir dir;
  plain(300, 100, {0, 0, 0}).pngsave((dir / "plain.png").c_str());
  lima::test::stdfs::copy_file(dir / "plain.png", dir / "part[1]");
  auto picture = thumbnail_file(dir / "part[1]", 256, Format::webp, Limits{}, in_a_minute());
  INFO(describe(picture));
  REQUIRE(picture);
  CHECK(picture->width == 256);
}

TEST_CASE("a raster is encoded, shrunk to fit, its transparency kept", "[thumbs][image]") {
  require_vips();
  Raster raster;
  raster.width = 1024;
  raster.height = 512;
  raster.channels = 4;
  raster.pixels.assign(static_cast<std::size_t>(1024 * 512 * 4), 0);
  for (int y = 0; y < 512; ++y)
    for (int x = 512; x < 1024; ++x) {  // right half opaque orange, left half transparent
      auto at = (static_cast<std::size_t>(y) * 1024 + static_cast<std::size_t>(x)) * 4;
      raster.pixels[at] = 255;
      raster.pixels[at + 1] = 128;
      raster.pixels[at + 3] = 255;
    }
  for (Format format : {Format::png, Format::webp}) {
    auto picture = encode_raster(raster, 256, format);
    INFO(describe(picture));
    REQUIRE(picture);
    CHECK(picture->width == 256);
    CHECK(picture->height == 128);
    VImage out = decoded(*picture);
    REQUIRE(out.bands() == 4);
    CHECK(out.getpoint(10, 64)[3] == Approx(0).margin(2));
    auto orange = out.getpoint(200, 64);
    CHECK(orange[0] == Approx(255).margin(4));
    CHECK(orange[1] == Approx(128).margin(6));
    CHECK(orange[3] == Approx(255).margin(2));
  }

  Raster small{64, 32, 3, std::vector<std::uint8_t>(64 * 32 * 3, 200)};
  auto picture = encode_raster(small, 256, Format::png);
  REQUIRE(picture);
  CHECK(picture->width == 64);
  CHECK(picture->height == 32);
  CHECK(decoded(*picture).bands() == 3);

  Raster broken{64, 32, 3, std::vector<std::uint8_t>(100, 0)};
  auto refused = encode_raster(broken, 256, Format::png);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == FailureKind::undecodable_image);
}

TEST_CASE("two threads make pictures at once, and a worker thread may end its libvips state", "[thumbs][image]") {
  require_vips();
  TempDir dir;
  noise(1600, 1200).jpegsave((dir / "a.jpg").c_str());
  noise(1200, 1600).pngsave((dir / "b.png").c_str());
  std::atomic<int> made{0}, failures{0};
  auto work = [&](const char* name, int expected_width) {
    for (int i = 0; i < 5; ++i) {
      auto picture = thumbnail_file(dir / name, 256, Format::webp, Limits{}, in_a_minute());
      if (picture && picture->width == expected_width)
        ++made;
      else
        ++failures;
    }
    end_vips_thread();
  };
  std::thread first(work, "a.jpg", 256);
  std::thread second(work, "b.png", 192);
  first.join();
  second.join();
  CHECK(made == 10);
  CHECK(failures == 0);
  // A thread that never touched libvips may end its state too.
  std::thread idle([] { end_vips_thread(); });
  idle.join();
  CHECK(thumbnail_file(dir / "a.jpg", 256, Format::webp, Limits{}, in_a_minute()));
}
