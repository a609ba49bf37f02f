#include "thumbs/qoi.h"

#include <catch2/catch.hpp>
#include <string>

#include "thumbs/slicer_files.h"

using lima::test::gradient;
using lima::test::qoi_bytes;
using namespace lima::thumbs;

namespace {

/// A picture that calls for every QOI op: runs (flat areas), index hits
/// (colours seen before), small and luma differences (gradients), full
/// RGB and RGBA pixels (jumps, alpha changes).
Raster varied(int channels) {
  Raster r = gradient(97, 61, channels);
  const auto stride = static_cast<std::size_t>(97 * channels);
  for (std::size_t y = 10; y < 20; ++y)
    for (std::size_t i = 0; i < stride; ++i) r.pixels[y * stride + i] = 200;  // long runs
  for (std::size_t x = 0; x < 97; x += 2) {                                  // alternating colours
    std::uint8_t* p = &r.pixels[30 * stride + x * static_cast<std::size_t>(channels)];
    p[0] = 10;
    p[1] = 250;
    p[2] = 30;
  }
  return r;
}

}  // namespace

TEST_CASE("QOI images decode to the pixels they were encoded from", "[thumbs][qoi]") {
  for (int channels : {3, 4}) {
    INFO("channels: " << channels);
    const Raster r = varied(channels);
    auto d = decode_qoi(qoi_bytes(r), Limits{});
    REQUIRE(d);
    CHECK(d->width == 97);
    CHECK(d->height == 61);
    CHECK(d->channels == channels);
    CHECK(d->pixels == r.pixels);
  }
}

TEST_CASE("a QOI header claiming 100000x100000 pixels is over the cap before any pixel memory",
          "[thumbs][qoi][hostile]") {
  std::string q = qoi_bytes(gradient(2, 2));
  const std::string size("\x00\x01\x86\xA0", 4);  // 100000
  q.replace(4, 4, size);
  q.replace(8, 4, size);
  auto d = decode_qoi(q, Limits{});
  REQUIRE_FALSE(d);
  CHECK(d.error().kind == FailureKind::over_cap);

  // Under a generous pixel cap, the few bytes cannot hold that many pixels.
  Limits generous;
  generous.max_pixels = 20'000'000'000ull;
  auto e = decode_qoi(q, generous);
  REQUIRE_FALSE(e);
  CHECK(e.error().kind == FailureKind::undecodable_image);
  CHECK(e.error().reason == "QOI image 100000x100000 is truncated");
}

TEST_CASE("truncated or malformed QOI data is undecodable", "[thumbs][qoi][hostile]") {
  const std::string q = qoi_bytes(gradient(64, 64));
  for (std::size_t keep : {q.size() / 2, std::size_t{20}, std::size_t{14}}) {
    auto d = decode_qoi(q.substr(0, keep), Limits{});
    REQUIRE_FALSE(d);
    CHECK(d.error().kind == FailureKind::undecodable_image);
  }
  std::string bad_magic = q;
  bad_magic[0] = 'Q';
  CHECK(decode_qoi(bad_magic, Limits{}).error().reason == "not a QOI image: bad magic");
  std::string two_channels = q;
  two_channels[12] = 2;
  CHECK(decode_qoi(two_channels, Limits{}).error().reason == "QOI image has 2 channels (3 or 4 expected)");
  std::string zero = q;
  zero.replace(4, 4, std::string(4, '\0'));
  CHECK(decode_qoi(zero, Limits{}).error().kind == FailureKind::undecodable_image);
}
