#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "index/image_header.h"
#include "support/test_images.h"

using namespace lima::index;
namespace stdfs = std::filesystem;

namespace {

// Images written by libvips (`vips copy`, 37 × 23 pixels, so a swapped
// width and height shows); the plain WebPs are the VP8 and VP8L chunks of
// its files in a simple RIFF, the big-endian TIFF is written by hand. The
// HEIC is a grid of one 64 × 64 tile: its size is the grid's, not the tile's.
std::string image(const std::string& name) { return lima::test::test_image(name); }

const ImageSize k37x23{37, 23};

std::string be16(unsigned v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }

}  // namespace

TEST_CASE("the size of an image is read from the header of every format libvips writes") {
  for (const char* name : {"37x23.png", "37x23.jpg", "37x23.gif", "37x23-lossy.webp", "37x23-lossless.webp",
                           "37x23-extended.webp", "37x23.bmp", "37x23-le.tif", "37x23-be.tif", "37x23.avif",
                           "37x23.heic"}) {
    INFO(name);
    const std::string bytes = image(name);
    const auto h = read_image_header(bytes, true);
    CHECK(h.verdict == HeaderVerdict::image);
    CHECK(h.size == k37x23);
    CHECK(image_size(bytes) == k37x23);
  }
}

TEST_CASE("a JPEG's size is found past large APPn segments, and a JPEG cut before its frame is not sized") {
  const std::string jpeg = image("37x23.jpg");
  // Two big EXIF-like APP1 segments and an APP2 between SOI and the rest.
  std::string app1 = "\xff\xe1" + be16(60000) + "Exif" + std::string(60000 - 6, 'x');
  std::string app2 = "\xff\xe2" + be16(1000) + std::string(998, '\xff');
  const std::string big = jpeg.substr(0, 2) + app1 + app1 + app2 + jpeg.substr(2);
  CHECK(image_size(big) == k37x23);

  const std::string cut = big.substr(0, 70000);
  CHECK(read_image_header(cut, false).verdict == HeaderVerdict::size_unknown);  // more bytes would tell
  CHECK(read_image_header(cut, true).verdict == HeaderVerdict::not_an_image);   // the whole file: broken
  CHECK_FALSE(image_size(cut));
}

TEST_CASE("bytes that are no image are not an image, whatever the file is called") {
  for (const std::string& bytes : {std::string("this is not a jpeg\n"), std::string(),
                                  std::string("\xff\xd8\xff\xd9", 4),                    // SOI, EOI: no frame
                                  std::string("GIF89a\x00\x00\x10\x00", 10),             // zero width
                                  std::string("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDX", 16) + std::string(8, '\1'),
                                  std::string("solid cube\nendsolid cube\n")}) {
    INFO(bytes);
    CHECK(read_image_header(bytes, true).verdict == HeaderVerdict::not_an_image);
    CHECK_FALSE(image_size(bytes));
  }
}

TEST_CASE("an image cut short is broken when it is the whole file, of unknown size otherwise") {
  const std::string png = image("37x23.png").substr(0, 20);
  CHECK(read_image_header(png, true).verdict == HeaderVerdict::not_an_image);
  CHECK(read_image_header(png, false).verdict == HeaderVerdict::size_unknown);
}

TEST_CASE("an SVG is sized by its width and height, else its viewBox, else of unknown size") {
  CHECK(image_size(R"(<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="120" height="80px">)") ==
        ImageSize{120, 80});
  CHECK(image_size(R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150"></svg>)") == ImageSize{300, 150});
  const auto relative = read_image_header(R"(<svg width="100%" height="100%"></svg>)", true);
  CHECK(relative.verdict == HeaderVerdict::size_unknown);
  CHECK(read_image_header("<html><body>no</body></html>", true).verdict == HeaderVerdict::not_an_image);
}

TEST_CASE("a header that lies about its sizes never reads past the bytes given") {
  // A TIFF whose IFD lies beyond the head, and one whose entry count runs off it.
  CHECK(read_image_header(std::string("II*\0\xff\xff\0\0", 8), true).verdict == HeaderVerdict::not_an_image);
  CHECK(read_image_header(std::string("MM\0*\0\0\0\x08\xff\xff", 10), false).verdict == HeaderVerdict::size_unknown);
  // A JPEG segment length that points past the end.
  CHECK(read_image_header(std::string("\xff\xd8\xff\xe0\xff\xff", 6), false).verdict == HeaderVerdict::size_unknown);
  // Every prefix of every sample: no crash, no size made up.
  for (const char* name : {"37x23.jpg", "37x23.heic", "37x23-be.tif", "37x23-lossy.webp", "37x23.bmp"}) {
    const std::string bytes = image(name);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      const auto h = read_image_header(std::string_view(bytes).substr(0, n), false);
      if (h.verdict == HeaderVerdict::image) CHECK(h.size == k37x23);
    }
  }
}
