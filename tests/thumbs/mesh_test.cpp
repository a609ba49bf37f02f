#include "thumbs/mesh.h"

#include <catch2/catch.hpp>
#include <cctype>
#include <cmath>
#include <limits>
#include <optional>

#include "test_support.h"
#include "thumbs/test_meshes.h"

using namespace lima;
using thumbs::FailureKind;
using thumbs::Limits;

namespace {

thumbs::Deadline later() { return thumbs::Clock::now() + std::chrono::seconds(60); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const char* kTwoFacets =
    "solid part\n"
    "  facet normal 0 0 1\n"
    "    outer loop\n"
    "      vertex 0 0 0\n"
    "      vertex 1 0 0\n"
    "      vertex 0 1 0\n"
    "    endloop\n"
    "  endfacet\n"
    "  facet normal 0 0 -1\n"
    "    outer loop\n"
    "      vertex 0 0 0\n"
    "      vertex 0 1 0\n"
    "      vertex 1.5e1 +2 -3.25\n"
    "    endloop\n"
    "  endfacet\n"
    "endsolid part\n";

}  // namespace

TEST_CASE("a binary STL whose header starts with solid reads as binary", "[thumbs][mesh]") {
  test::TempDir tmp;
  const thumbs::Mesh cube = test::cube(20);
  test::write_binary_stl(tmp / "cube.stl", cube, "solid cube exported by a CAD program");
  auto mesh = thumbs::read_stl(tmp / "cube.stl", Limits{}, later());
  REQUIRE(mesh);
  CHECK(mesh->triangles() == 12);
  CHECK(mesh->skipped == 0);
  CHECK(mesh->xyz == cube.xyz);
}

TEST_CASE("an ASCII STL reads its facets", "[thumbs][mesh]") {
  test::TempDir tmp;
  test::write_file(tmp / "part.stl", kTwoFacets);
  auto mesh = thumbs::read_stl(tmp / "part.stl", Limits{}, later());
  REQUIRE(mesh);
  REQUIRE(mesh->triangles() == 2);
  CHECK(mesh->xyz[3] == 1.0f);
  CHECK(mesh->xyz[15] == 15.0f);
  CHECK(mesh->xyz[16] == 2.0f);
  CHECK(mesh->xyz[17] == -3.25f);

  // Some exporters write the keywords in capitals.
  std::string upper = kTwoFacets;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  test::write_file(tmp / "upper.stl", upper);
  auto shouted = thumbs::read_stl(tmp / "upper.stl", Limits{}, later());
  REQUIRE(shouted);
  CHECK(shouted->xyz == mesh->xyz);
}

TEST_CASE("an ASCII STL with garbage fails naming the line", "[thumbs][mesh]") {
  test::TempDir tmp;
  std::string text = kTwoFacets;
  text.replace(text.find("      vertex 0 1 0\n    endloop"), 18, "      vortex 0 1 0");
  test::write_file(tmp / "bad.stl", text);
  auto mesh = thumbs::read_stl(tmp / "bad.stl", Limits{}, later());
  REQUIRE_FALSE(mesh);
  CHECK(mesh.error().kind == FailureKind::unparsable_model);
  CHECK(mesh.error().reason == "line 6: expected vertex");

  const std::string whole = kTwoFacets;
  test::write_file(tmp / "cut.stl", whole.substr(0, whole.find("    endloop")));
  auto cut = thumbs::read_stl(tmp / "cut.stl", Limits{}, later());
  REQUIRE_FALSE(cut);
  CHECK(cut.error().reason == "line 6: the file ends inside a facet");
}

TEST_CASE("a truncated binary STL is unparsable and says it is truncated", "[thumbs][mesh]") {
  test::TempDir tmp;
  for (const std::string header : {"binary", "solid but binary"}) {
    test::write_binary_stl(tmp / "whole.stl", test::cube(), header);
    const std::string bytes = test::read_file(tmp / "whole.stl");
    test::write_file(tmp / "cut.stl", bytes.substr(0, bytes.size() - 30));
    auto mesh = thumbs::read_stl(tmp / "cut.stl", Limits{}, later());
    REQUIRE_FALSE(mesh);
    CHECK(mesh.error().kind == FailureKind::unparsable_model);
    CHECK(contains(mesh.error().reason, "truncated binary STL: the header says 12 triangles"));
  }
  test::write_file(tmp / "tiny.stl", "not a model");
  auto tiny = thumbs::read_stl(tmp / "tiny.stl", Limits{}, later());
  REQUIRE_FALSE(tiny);
  CHECK(tiny.error().kind == FailureKind::unparsable_model);
}

TEST_CASE("non-finite vertices and flat triangles are skipped and counted", "[thumbs][mesh]") {
  test::TempDir tmp;
  thumbs::Mesh m = test::cube();
  m.xyz[4] = std::numeric_limits<float>::quiet_NaN();                   // triangle 0
  m.xyz[9 * 5 + 2] = std::numeric_limits<float>::infinity();            // triangle 5
  for (int i = 3; i < 9; ++i) m.xyz[9 * 7 + i] = m.xyz[9 * 7 + i % 3];  // triangle 7: one point
  test::write_binary_stl(tmp / "holes.stl", m);
  auto mesh = thumbs::read_stl(tmp / "holes.stl", Limits{}, later());
  REQUIRE(mesh);
  CHECK(mesh->triangles() == 9);
  CHECK(mesh->skipped == 3);

  for (float& f : m.xyz) f = std::numeric_limits<float>::quiet_NaN();
  test::write_binary_stl(tmp / "nan.stl", m);
  auto none = thumbs::read_stl(tmp / "nan.stl", Limits{}, later());
  REQUIRE_FALSE(none);
  CHECK(none.error().kind == FailureKind::unparsable_model);
  CHECK(contains(none.error().reason, "no triangles"));
}

TEST_CASE("an OBJ with quads, n-gons, v/vt/vn corners and negative indices reads as triangles", "[thumbs][mesh]") {
  test::TempDir tmp;
  test::write_file(tmp / "shape.obj",
                   "# a unit square and a pentagon\n"
                   "mtllib shape.mtl\n"
                   "o square\n"
                   "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\n"
                   "vt 0 0\nvn 0 0 1\n"
                   "f 1/1/1 2/1/1 3/1/1 4/1/1\n"
                   "v 0 0 1\nv 1 0 1\nv 1.5 0.5 1\nv 1 1 1\nv 0 1 1\n"
                   "usemtl red\ns off\n"
                   "f -5//1 -4//1 -3//1 -2//1 -1//1\n");
  auto mesh = thumbs::read_obj(tmp / "shape.obj", Limits{}, later());
  REQUIRE(mesh);
  REQUIRE(mesh->triangles() == 2 + 3);
  // The pentagon's first triangle is a fan from its first corner (vertex 5).
  const float first[9] = {0, 0, 1, 1, 0, 1, 1.5f, 0.5f, 1};
  CHECK(std::equal(first, first + 9, mesh->xyz.begin() + 18));
}

TEST_CASE("an OBJ face index out of range fails naming the line", "[thumbs][mesh]") {
  test::TempDir tmp;
  test::write_file(tmp / "bad.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n\nf 1 2 4\n");
  auto mesh = thumbs::read_obj(tmp / "bad.obj", Limits{}, later());
  REQUIRE_FALSE(mesh);
  CHECK(mesh.error().kind == FailureKind::unparsable_model);
  CHECK(mesh.error().reason == "line 6: face index 4 out of range (3 vertices so far)");

  test::write_file(tmp / "back.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf -1 -2 -4\n");
  auto back = thumbs::read_obj(tmp / "back.obj", Limits{}, later());
  REQUIRE_FALSE(back);
  CHECK(contains(back.error().reason, "line 4: face index -4 out of range"));
}

TEST_CASE("models over a cap fail with over_cap", "[thumbs][mesh]") {
  test::TempDir tmp;
  const thumbs::Mesh sphere = test::sphere(10, 100, 100);  // 20000 triangles
  test::write_binary_stl(tmp / "sphere.stl", sphere);

  Limits small_files;
  small_files.max_model_bytes = 1000;
  auto big = thumbs::read_stl(tmp / "sphere.stl", small_files, later());
  REQUIRE_FALSE(big);
  CHECK(big.error().kind == FailureKind::over_cap);
  CHECK(contains(big.error().reason, "over the cap of 1000 bytes"));

  Limits few_triangles;
  few_triangles.max_triangles = 5000;
  auto many = thumbs::read_stl(tmp / "sphere.stl", few_triangles, later());
  REQUIRE_FALSE(many);
  CHECK(many.error().kind == FailureKind::over_cap);
  CHECK(contains(many.error().reason, "5000"));
  test::write_file(tmp / "many.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 1\nf 1 2 3 4\nf 1 2 3 4\nf 1 2 3 4\n");
  few_triangles.max_triangles = 5;
  auto obj = thumbs::read_obj(tmp / "many.obj", few_triangles, later());
  REQUIRE_FALSE(obj);
  CHECK(obj.error().kind == FailureKind::over_cap);

  Limits limits;
  limits.max_time = std::chrono::milliseconds(1500);
  auto late = thumbs::read_stl(tmp / "sphere.stl", limits, thumbs::Clock::now() - std::chrono::seconds(1));
  REQUIRE_FALSE(late);
  CHECK(late.error().kind == FailureKind::over_cap);
  CHECK(late.error().reason == "took longer than 1500 ms");
}

namespace {

// One object (a unit right triangle pair: a square), prefixed or not.
std::string square_object(const std::string& p, int id) {
  return "<" + p + "object id=\"" + std::to_string(id) + "\" type=\"model\"><" + p + "mesh><" + p + "vertices>" + "<" +
         p + "vertex x=\"0\" y=\"0\" z=\"0\"/><" + p + "vertex z=\"0\" y=\"0\" x=\"10\" />" + "<" + p +
         "vertex y=\"10\" x=\"10\" z=\"0\"></" + p + "vertex><" + p + "vertex x='0' y='10' z='0'/>" + "</" + p +
         "vertices><" + p + "triangles><" + p + "triangle v1=\"0\" v2=\"1\" v3=\"2\" pid=\"1\" p1=\"0\"/>" + "<" + p +
         "triangle v3=\"3\" v1=\"0\" v2=\"2\"/></" + p + "triangles></" + p + "mesh></" + p + "object>";
}

std::string model(const std::string& resources, const std::string& build, const std::string& p = "") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- made by a slicer -->\n<" + p +
         "model unit=\"millimeter\" xmlns=\"http://schemas.microsoft.com/3dmanufacturing/core/2015/02\">\n<" + p +
         "resources>" + resources + "</" + p + "resources>\n<" + p + "build>" + build + "</" + p + "build></" + p +
         "model>\n";
}

std::pair<float, float> x_range(const thumbs::Mesh& m) {
  float lo = 1e30f, hi = -1e30f;
  for (std::size_t i = 0; i < m.xyz.size(); i += 3) {
    lo = std::min(lo, m.xyz[i]);
    hi = std::max(hi, m.xyz[i]);
  }
  return {lo, hi};
}

}  // namespace

TEST_CASE("a 3MF model places its objects by the build items' transforms", "[thumbs][mesh]") {
  for (const std::string prefix : {"", "m:"}) {
    const std::string xml = model(square_object(prefix, 1),
                                  "<" + prefix + "item objectid=\"1\"/><" + prefix +
                                      "item objectid=\"1\" transform=\"1 0 0 0 1 0 0 0 1 30 0 5\" printable=\"1\"/>",
                                  prefix);
    auto mesh = thumbs::read_3mf_model(xml, Limits{}, later());
    REQUIRE(mesh);
    CHECK(mesh->triangles() == 4);
    CHECK(x_range(*mesh) == std::pair<float, float>(0.0f, 40.0f));
    CHECK(mesh->xyz[18 + 2] == 5.0f);  // the second item is lifted by 5
  }
}

TEST_CASE("3MF components are placed by their transform, then their object's", "[thumbs][mesh]") {
  // Object 2: object 1 scaled by 2 along x, then moved 100 along x.
  const std::string xml = model(square_object("", 1) +
                                    "<object id=\"2\"><components>"
                                    "<component objectid=\"1\" transform=\"2 0 0 0 1 0 0 0 1 100 0 0\"/>"
                                    "</components></object>",
                                "<item objectid=\"2\" transform=\"1 0 0 0 1 0 0 0 1 0 0 0\"/>");
  auto mesh = thumbs::read_3mf_model(xml, Limits{}, later());
  REQUIRE(mesh);
  CHECK(mesh->triangles() == 2);
  CHECK(x_range(*mesh) == std::pair<float, float>(100.0f, 120.0f));
}

TEST_CASE("3MF components may refer to objects in other model parts, as slicer projects do", "[thumbs][mesh]") {
  const std::string main_part = model(
      "<object id=\"2\" type=\"model\"><components>"
      "<component p:path=\"/3D/Objects/object_1.model\" objectid=\"1\" transform=\"1 0 0 0 1 0 0 0 1 50 0 0\"/>"
      "<component p:path=\"/3D/Objects/object_1.model\" objectid=\"1\"/>"
      "</components></object>",
      "<item objectid=\"2\"/>");
  int asked = 0;
  const thumbs::ModelPartReader parts = [&](std::string_view path) -> std::optional<std::string> {
    ++asked;
    if (path != "/3D/Objects/object_1.model") return std::nullopt;
    return model(square_object("", 1), "");
  };
  auto mesh = thumbs::read_3mf_model(main_part, Limits{}, later(), parts);
  REQUIRE(mesh);
  CHECK(mesh->triangles() == 4);
  CHECK(x_range(*mesh) == std::pair<float, float>(0.0f, 60.0f));
  CHECK(asked == 1);

  // Without the part (or without a way to read parts), a reason that names it.
  auto alone = thumbs::read_3mf_model(main_part, Limits{}, later());
  REQUIRE_FALSE(alone);
  CHECK(alone.error().kind == FailureKind::unparsable_model);
  CHECK(contains(alone.error().reason,
                 "refers to model part '/3D/Objects/object_1.model', which the package does not have"));
}

TEST_CASE("hostile 3MF models fail with a reason", "[thumbs][mesh]") {
  auto reason = [](const std::string& xml) {
    auto mesh = thumbs::read_3mf_model(xml, Limits{}, later());
    REQUIRE_FALSE(mesh);
    CHECK(mesh.error().kind == FailureKind::unparsable_model);
    return mesh.error().reason;
  };
  std::string out_of_range = square_object("", 1);
  out_of_range.replace(out_of_range.find("v3=\"3\""), 6, "v3=\"9\"");
  CHECK(contains(reason(model(out_of_range, "<item objectid=\"1\"/>")),
                 "object 1: a triangle uses vertex 9, the object has 4 vertices"));
  CHECK(contains(reason(model(square_object("", 1), "<item objectid=\"7\"/>")),
                 "a build item refers to unknown object 7"));
  const std::string cycle =
      "<object id=\"2\"><components><component objectid=\"3\"/></components></object>"
      "<object id=\"3\"><components><component objectid=\"2\"/></components></object>";
  CHECK(contains(reason(model(cycle, "<item objectid=\"2\"/>")), "component cycle"));
  CHECK(contains(reason(model(square_object("", 1), "")), "no build items"));
  CHECK(
      contains(reason(model(square_object("", 1), "<item objectid=\"1\" transform=\"1 0 0\"/>")), "is not 12 numbers"));
  CHECK(contains(reason(model(square_object("", 1), "<item objectid=\"1\"/>").substr(0, 300)), "the XML ends"));
}

TEST_CASE("3MF instances past the triangle cap fail with over_cap", "[thumbs][mesh]") {
  // Each level places the one below it ten times: 10^6 squares.
  std::string objects = square_object("", 1);
  for (int level = 2; level <= 7; ++level) {
    objects += "<object id=\"" + std::to_string(level) + "\"><components>";
    for (int i = 0; i < 10; ++i) objects += "<component objectid=\"" + std::to_string(level - 1) + "\"/>";
    objects += "</components></object>";
  }
  Limits limits;
  limits.max_triangles = 100'000;
  auto mesh = thumbs::read_3mf_model(model(objects, "<item objectid=\"7\"/>"), limits, later());
  REQUIRE_FALSE(mesh);
  CHECK(mesh.error().kind == FailureKind::over_cap);
}
