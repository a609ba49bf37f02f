#include "thumbs/renderer.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>
#include <vector>

#include "thumbs/test_meshes.h"

using namespace lima;
using thumbs::FailureKind;
using thumbs::Limits;
using thumbs::Raster;

namespace {

thumbs::Deadline later() { return thumbs::Clock::now() + std::chrono::seconds(60); }

struct Rgb {
  int r, g, b;
};

Rgb at(const Raster& r, int x, int y) {
  const std::uint8_t* p =
      &r.pixels[(static_cast<std::size_t>(y) * static_cast<std::size_t>(r.width) + static_cast<std::size_t>(x)) * 3];
  return {p[0], p[1], p[2]};
}

/// The model is blue; the background is grey (r, g and b within a few steps).
bool is_model(Rgb c) { return c.b - c.r > 40; }

/// The model's pixels: their count and bounding box.
struct Silhouette {
  int count = 0, left = 1 << 30, right = -1, top = 1 << 30, bottom = -1;
  int width() const { return right - left + 1; }
  int height() const { return bottom - top + 1; }
};

Silhouette silhouette(const Raster& r) {
  Silhouette s;
  for (int y = 0; y < r.height; ++y)
    for (int x = 0; x < r.width; ++x)
      if (is_model(at(r, x, y))) {
        ++s.count;
        s.left = std::min(s.left, x);
        s.right = std::max(s.right, x);
        s.top = std::min(s.top, y);
        s.bottom = std::max(s.bottom, y);
      }
  return s;
}

Raster render(const thumbs::Mesh& mesh, int size = 256, const Limits& limits = Limits{}) {
  auto picture = thumbs::render_mesh(mesh, size, limits, later());
  REQUIRE(picture);
  REQUIRE(picture->width == size);
  REQUIRE(picture->height == size);
  REQUIRE(picture->channels == 3);
  REQUIRE(picture->pixels.size() == static_cast<std::size_t>(size * size * 3));
  return std::move(*picture);
}

}  // namespace

TEST_CASE("a cube renders centred, filling the picture, with three visible faces in three shades",
          "[thumbs][renderer]") {
  const Raster r = render(test::cube());
  const Silhouette s = silhouette(r);
  // Centred, with a small margin.
  CHECK(std::abs((s.left + s.right) / 2 - 128) <= 3);
  CHECK(std::abs((s.top + s.bottom) / 2 - 128) <= 3);
  CHECK(std::max(s.width(), s.height()) >= 256 * 8 / 10);
  CHECK(s.left > 2);
  CHECK(s.right < 253);
  CHECK(s.top > 2);
  CHECK(s.bottom < 253);
  // The faces' colours: each shade that covers a good part of the picture.
  std::map<int, int> shades;
  for (int y = 0; y < r.height; ++y)
    for (int x = 0; x < r.width; ++x)
      if (const Rgb c = at(r, x, y); is_model(c)) ++shades[c.r << 16 | c.g << 8 | c.b];
  std::vector<int> big;
  for (const auto& [colour, count] : shades)
    if (count > s.count / 10) big.push_back(colour);
  REQUIRE(big.size() == 3);
  // Distinct enough to tell apart: at least 15 steps of blue between any two.
  for (std::size_t i = 0; i < big.size(); ++i)
    for (std::size_t j = i + 1; j < big.size(); ++j) CHECK(std::abs((big[i] & 0xff) - (big[j] & 0xff)) >= 15);
  // The top face is the brightest, at the top of the picture.
  const Rgb top = at(r, 128, s.top + 20);
  for (int colour : big) CHECK(top.b >= (colour & 0xff));
  // A light background in the corners.
  for (const Rgb c : {at(r, 0, 0), at(r, 255, 0), at(r, 0, 255), at(r, 255, 255)}) {
    CHECK(c.r > 180);
    CHECK(std::abs(c.r - c.b) < 16);
  }
}

TEST_CASE("a closed sphere renders with no holes and anti-aliased edges", "[thumbs][renderer]") {
  const Raster r = render(test::sphere(10, 60, 120), 256);
  const Silhouette s = silhouette(r);
  const double cx = (s.left + s.right) / 2.0, cy = (s.top + s.bottom) / 2.0, radius = s.width() / 2.0;
  CHECK(std::abs(s.width() - s.height()) <= 2);  // round
  int holes = 0, edge_blends = 0;
  for (int y = 0; y < r.height; ++y)
    for (int x = 0; x < r.width; ++x) {
      const double d = std::hypot(x - cx, y - cy);
      const Rgb c = at(r, x, y);
      if (d < radius - 2 && !is_model(c)) ++holes;
      // On the outline, pixels between the background and the model.
      if (std::abs(d - radius) < 1.5 && c.b - c.r > 8 && c.b - c.r < 100) ++edge_blends;
    }
  CHECK(holes == 0);
  CHECK(edge_blends > 50);
  // No speckles: inside, neighbouring pixels differ only a little (flat faces
  // of a fine sphere shade smoothly).
  int jumps = 0;
  for (int y = s.top + 10; y < s.bottom - 10; ++y)
    for (int x = s.left + 10; x < s.right - 10; ++x)
      if (std::hypot(x - cx, y - cy) < radius - 4 && std::abs(at(r, x, y).b - at(r, x + 1, y).b) > 24) ++jumps;
  CHECK(jumps == 0);
}

TEST_CASE("a mesh wound inside out renders like the same mesh wound outwards", "[thumbs][renderer]") {
  const thumbs::Mesh outwards = test::bin();
  thumbs::Mesh inwards = outwards;
  for (std::size_t t = 0; t < inwards.triangles(); ++t)
    for (int k = 0; k < 3; ++k) std::swap(inwards.xyz[t * 9 + 3 + k], inwards.xyz[t * 9 + 6 + k]);
  CHECK(render(outwards).pixels == render(inwards).pixels);
}

TEST_CASE("an open bin shows its inside walls", "[thumbs][renderer]") {
  const Raster r = render(test::bin(60, 40, 30, 3));
  const Silhouette s = silhouette(r);
  // Looking down into it from the front-right: the middle of the picture is
  // model (the far walls, seen from inside), not background.
  CHECK(is_model(at(r, (s.left + s.right) / 2, (s.top + s.bottom) / 2)));
  // And more than the three shades of a closed box: inside walls face the camera's other way.
  std::set<int> shades;
  for (int y = 0; y < r.height; ++y)
    for (int x = 0; x < r.width; ++x)
      if (const Rgb c = at(r, x, y); is_model(c)) shades.insert(c.b);
  CHECK(shades.size() >= 4);
}

TEST_CASE("over the triangle budget an even subset is drawn, in bounded time, still covering the model",
          "[thumbs][renderer]") {
  const thumbs::Mesh mesh = test::torus(20, 7, 400, 125);  // 100,000 triangles, smaller than a pixel at 96 px
  Limits budget;
  budget.triangle_budget = 10'000;
  const auto start = thumbs::Clock::now();
  const Raster subset = render(mesh, 96, budget);
  const auto subset_time = thumbs::Clock::now() - start;
  const Raster whole = render(mesh, 96);
  const Silhouette a = silhouette(subset), b = silhouette(whole);
  // The same outline, and the surface covered: a tenth of the triangles,
  // each drawn larger, leave no visible holes.
  CHECK(std::abs(a.left - b.left) <= 2);
  CHECK(std::abs(a.right - b.right) <= 2);
  CHECK(std::abs(a.top - b.top) <= 2);
  CHECK(std::abs(a.bottom - b.bottom) <= 2);
  int both = 0;
  for (int y = 0; y < 96; ++y)
    for (int x = 0; x < 96; ++x) both += is_model(at(subset, x, y)) && is_model(at(whole, x, y));
  CHECK(both > b.count * 95 / 100);
  CHECK(subset_time < std::chrono::seconds(2));
}

TEST_CASE("a model far from the origin renders like the same model at the origin", "[thumbs][renderer]") {
  thumbs::Mesh far = test::cube();
  for (std::size_t i = 0; i < far.xyz.size(); ++i) far.xyz[i] += i % 3 == 2 ? 0.0f : 100'000.0f;
  const Silhouette a = silhouette(render(test::cube())), b = silhouette(render(far));
  CHECK(std::abs(a.left - b.left) <= 2);
  CHECK(std::abs(a.right - b.right) <= 2);
  CHECK(std::abs(a.top - b.top) <= 2);
  CHECK(std::abs(a.bottom - b.bottom) <= 2);
  CHECK(std::abs(a.count - b.count) < a.count / 50);

  // Coordinates whose view-space extent is no finite number: a reason, not a crash.
  thumbs::Mesh huge = test::cube();
  for (float& f : huge.xyz) f *= 1.5e37f;
  auto refused = thumbs::render_mesh(huge, 64, Limits{}, later());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().reason == "coordinates too large to draw");
}

TEST_CASE("a render past its deadline fails with over_cap", "[thumbs][renderer]") {
  const thumbs::Mesh mesh = test::sphere(10, 100, 100);
  auto late = thumbs::render_mesh(mesh, 256, Limits{}, thumbs::Clock::now() - std::chrono::seconds(1));
  REQUIRE_FALSE(late);
  CHECK(late.error().kind == FailureKind::over_cap);
  CHECK(late.error().reason == "took longer than 20 s");
}

TEST_CASE("an empty mesh or a size out of range has no picture", "[thumbs][renderer]") {
  auto empty = thumbs::render_mesh(thumbs::Mesh{}, 256, Limits{}, later());
  REQUIRE_FALSE(empty);
  CHECK(empty.error().kind == FailureKind::unparsable_model);
  for (int size : {0, -5, thumbs::kMaxRenderSize + 1}) {
    auto bad = thumbs::render_mesh(test::cube(), size, Limits{}, later());
    REQUIRE_FALSE(bad);
    CHECK(bad.error().kind == FailureKind::over_cap);
  }
  CHECK(render(test::cube(), 512).width == 512);
}

TEST_CASE("two 3MF build items of one object side by side render wider than one", "[thumbs][renderer]") {
  const std::string object =
      "<object id=\"1\"><mesh><vertices>"
      "<vertex x=\"0\" y=\"0\" z=\"0\"/><vertex x=\"10\" y=\"0\" z=\"0\"/><vertex x=\"0\" y=\"10\" z=\"0\"/>"
      "<vertex x=\"0\" y=\"0\" z=\"10\"/></vertices><triangles>"
      "<triangle v1=\"0\" v2=\"2\" v3=\"1\"/><triangle v1=\"0\" v2=\"1\" v3=\"3\"/>"
      "<triangle v1=\"0\" v2=\"3\" v3=\"2\"/><triangle v1=\"1\" v2=\"2\" v3=\"3\"/>"
      "</triangles></mesh></object>";
  auto model = [&](const std::string& items) {
    return "<model xmlns=\"http://schemas.microsoft.com/3dmanufacturing/core/2015/02\"><resources>" + object +
           "</resources><build>" + items + "</build></model>";
  };
  auto one = thumbs::read_3mf_model(model("<item objectid=\"1\"/>"), Limits{}, later());
  auto two = thumbs::read_3mf_model(
      model("<item objectid=\"1\"/><item objectid=\"1\" transform=\"1 0 0 0 1 0 0 0 1 30 0 0\"/>"), Limits{}, later());
  REQUIRE(one);
  REQUIRE(two);
  const Silhouette a = silhouette(render(*one)), b = silhouette(render(*two));
  // The camera fits the picture to the model: two side by side are a wider,
  // lower shape than one.
  const double one_aspect = static_cast<double>(a.width()) / a.height();
  const double two_aspect = static_cast<double>(b.width()) / b.height();
  CHECK(two_aspect > one_aspect * 1.5);
}
