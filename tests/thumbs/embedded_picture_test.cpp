#include "thumbs/embedded_picture.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "support/skip.h"
#include "test_support.h"
#include "thumbs/slicer_files.h"
#include "thumbs/zip_archive.h"

using lima::test::BgcodeBlock;
using lima::test::gradient;
using lima::test::png_bytes;
using lima::test::qoi_bytes;
using lima::test::TempDir;
using lima::test::write_file;
using lima::test::ZipMember;
using namespace lima::thumbs;

namespace {

Outcome<std::optional<EmbeddedPicture>> find(const std::filesystem::path& file, const Limits& limits = {}) {
  return find_embedded_picture(file, limits, Clock::now() + std::chrono::seconds(20));
}

/// The picture found in `file`; the test fails when there is none.
EmbeddedPicture picture_of(const std::filesystem::path& file) {
  auto r = find(file);
  if (!r) FAIL("no picture: " << r.error().reason);
  if (!*r) FAIL("no picture in " << file);
  return std::move(**r);
}

Failure failure_of(const std::filesystem::path& file, const Limits& limits = {}) {
  auto r = find(file, limits);
  if (r) FAIL("expected a failure, got " << (*r ? (*r)->source : std::string("no picture")));
  return r.error();
}

const std::string kRels =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\n"
    " <Relationship Target=\"/3D/3dmodel.model\" Id=\"rel-1\" "
    "Type=\"http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel\"/>\n"
    " <Relationship Target=\"/Metadata/my%20thumb.png\" Id=\"rel-2\" "
    "Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail\"/>\n"
    "</Relationships>\n";

const std::string kModel = "<?xml version=\"1.0\"?><model unit=\"millimeter\"><resources/><build/></model>";

std::string gcode_moves(std::size_t lines) {
  std::string pattern;
  for (std::size_t i = 0; i < 200; ++i) pattern += "G1 X" + std::to_string(i) + " Y10.5 E0.0123\n";
  std::string s;
  s.reserve(lines / 200 * pattern.size() + pattern.size());
  for (std::size_t i = 0; i < lines / 200; ++i) s += pattern;
  return s;
}

}  // namespace

// --- 3MF and FreeCAD -------------------------------------------------------

TEST_CASE("a 3MF's package thumbnail relationship names its picture", "[thumbs][embedded]") {
  TempDir dir;
  const std::string chosen = png_bytes(gradient(40, 30)), other = png_bytes(gradient(8, 8));
  write_file(dir / "part.3mf", lima::test::zip_bytes({{"_rels/.rels", kRels},
                                                      {"3D/3dmodel.model", kModel},
                                                      {"Metadata/thumbnail.png", other},
                                                      {"Metadata/my thumb.png", chosen}}));
  const EmbeddedPicture p = picture_of(dir / "part.3mf");
  CHECK(p.source == "Metadata/my thumb.png");
  CHECK(p.encoded == chosen);
  CHECK_FALSE(p.raster);
  CHECK(p.width == 40);
  CHECK(p.height == 30);
}

TEST_CASE("a 3MF without a thumbnail relationship shows Metadata/thumbnail.png, else Metadata/plate_1.png",
          "[thumbs][embedded]") {
  TempDir dir;
  const std::string thumb = png_bytes(gradient(20, 20)), plate = png_bytes(gradient(64, 48));
  write_file(dir / "both.3mf", lima::test::zip_bytes({{"3D/3dmodel.model", kModel},
                                                      {"Metadata/plate_1.png", plate},
                                                      {"Metadata/thumbnail.png", thumb}}));
  CHECK(picture_of(dir / "both.3mf").encoded == thumb);

  // Bambu Studio / OrcaSlicer projects: a plate picture only; the name's
  // case does not matter.
  write_file(dir / "plate.3MF", lima::test::zip_bytes({{"3D/3dmodel.model", kModel}, {"Metadata/Plate_1.png", plate}}));
  const EmbeddedPicture p = picture_of(dir / "plate.3MF");
  CHECK(p.source == "Metadata/Plate_1.png");
  CHECK(p.encoded == plate);
  CHECK(p.width == 64);

  // A relationship to a part the package lacks falls back to the usual names.
  write_file(dir / "dangling.3mf", lima::test::zip_bytes({{"_rels/.rels", kRels}, {"Metadata/thumbnail.png", thumb}}));
  CHECK(picture_of(dir / "dangling.3mf").source == "Metadata/thumbnail.png");
}

TEST_CASE("a 3MF without a picture has none", "[thumbs][embedded]") {
  TempDir dir;
  write_file(dir / "bare.3mf", lima::test::zip_bytes({{"_rels/.rels", "<Relationships/>"}, {"3D/3dmodel.model", kModel}}));
  auto r = find(dir / "bare.3mf");
  REQUIRE(r);
  CHECK_FALSE(*r);
}

TEST_CASE("a FreeCAD document shows thumbnails/Thumbnail.png", "[thumbs][embedded]") {
  TempDir dir;
  const std::string thumb = png_bytes(gradient(128, 128, 4));
  write_file(dir / "bracket.FCStd",
             lima::test::zip_bytes({{"Document.xml", "<Document/>"}, {"thumbnails/Thumbnail.png", thumb}}));
  const EmbeddedPicture p = picture_of(dir / "bracket.FCStd");
  CHECK(p.source == "thumbnails/Thumbnail.png");
  CHECK(p.encoded == thumb);
  CHECK(p.width == 128);

  write_file(dir / "plain.fcstd", lima::test::zip_bytes({{"Document.xml", "<Document/>"}}));
  auto none = find(dir / "plain.fcstd");
  REQUIRE(none);
  CHECK_FALSE(*none);
}

TEST_CASE("a .3mf that is not a zip is an unparsable model", "[thumbs][embedded][hostile]") {
  TempDir dir;
  write_file(dir / "fake.3mf", "solid fake\n  facet normal 0 0 1\nendsolid fake\n");
  const Failure f = failure_of(dir / "fake.3mf");
  CHECK(f.kind == FailureKind::unparsable_model);
  CHECK(f.reason == "not a zip archive: no end of central directory record");
}

TEST_CASE("a truncated 3MF is an unparsable model", "[thumbs][embedded][hostile]") {
  TempDir dir;
  const std::string zip = lima::test::zip_bytes({{"3D/3dmodel.model", kModel}, {"Metadata/thumbnail.png", png_bytes(gradient(50, 50))}});
  write_file(dir / "cut.3mf", zip.substr(0, zip.size() * 2 / 3));
  const Failure f = failure_of(dir / "cut.3mf");
  CHECK(f.kind == FailureKind::unparsable_model);
  CHECK(f.reason.rfind("not a zip archive: ", 0) == 0);
}

TEST_CASE("a 3MF thumbnail that is a zip bomb fails that picture", "[thumbs][embedded][hostile]") {
  TempDir dir;
  ZipMember bomb{"Metadata/thumbnail.png", std::string(32u << 20, 'A')};
  bomb.declared_size = 4096;
  write_file(dir / "lying.3mf", lima::test::zip_bytes({{"3D/3dmodel.model", kModel}, bomb}));
  const Failure lying = failure_of(dir / "lying.3mf");
  CHECK(lying.kind == FailureKind::undecodable_image);
  CHECK(lying.reason == "zip member Metadata/thumbnail.png: inflates past its declared 4096 bytes");

  // An honest header over the cap is refused before a byte is inflated.
  write_file(dir / "honest.3mf",
             lima::test::zip_bytes({{"3D/3dmodel.model", kModel}, {"Metadata/thumbnail.png", std::string(32u << 20, 'A')}}));
  Limits small;
  small.max_image_bytes = 1 << 20;
  const Failure honest = failure_of(dir / "honest.3mf", small);
  CHECK(honest.kind == FailureKind::over_cap);
  CHECK(honest.reason == "Metadata/thumbnail.png: 33554432 bytes, over the cap of 1048576");
}

TEST_CASE("a 3MF thumbnail that is not an image is undecodable", "[thumbs][embedded][hostile]") {
  TempDir dir;
  write_file(dir / "odd.3mf", lima::test::zip_bytes({{"Metadata/thumbnail.png", "GIF89a not really"}}));
  const Failure f = failure_of(dir / "odd.3mf");
  CHECK(f.kind == FailureKind::undecodable_image);
  CHECK(f.reason == "Metadata/thumbnail.png: not a PNG, JPEG or QOI image");
}

// --- text G-code -----------------------------------------------------------

TEST_CASE("a G-code's largest thumbnail block is its picture", "[thumbs][embedded]") {
  TempDir dir;
  const std::string small = png_bytes(gradient(16, 16)), large = png_bytes(gradient(300, 300)),
                    middle = qoi_bytes(gradient(220, 124));
  const std::string gcode = "; generated by PrusaSlicer 2.7.1 on 2024-01-05 at 10:00:00 UTC\n\n;\n" +
                            lima::test::gcode_thumbnail_block("thumbnail", 16, 16, small) +
                            lima::test::gcode_thumbnail_block("thumbnail", 300, 300, large) +
                            lima::test::gcode_thumbnail_block("thumbnail_QOI", 220, 124, middle) +
                            "; thumbnail_COLPIC begin 500x500 12\n; 00ff00ff00ff\n; thumbnail_COLPIC end\n" +
                            "; external perimeters extrusion width = 0.45mm\nM73 P0 R12\nG28\n" + gcode_moves(1000);
  write_file(dir / "benchy.gcode", gcode);
  const EmbeddedPicture p = picture_of(dir / "benchy.gcode");
  CHECK(p.source == "G-code thumbnail 300x300 (PNG)");
  CHECK(p.encoded == large);
  CHECK(p.width == 300);
  CHECK(p.height == 300);

  // The blocks sit together above the G-code: the search ends at the first
  // command after them, so one further down is not looked for.
  write_file(dir / "later.gcode", gcode + lima::test::gcode_thumbnail_block("thumbnail", 400, 400, png_bytes(gradient(40, 40))));
  CHECK(picture_of(dir / "later.gcode").encoded == large);

  // Upper-case extensions and the .gco / .g spellings are G-code too.
  write_file(dir / "BENCHY.GCO", gcode);
  CHECK(picture_of(dir / "BENCHY.GCO").encoded == large);
  write_file(dir / "benchy.g", gcode);
  CHECK(picture_of(dir / "benchy.g").encoded == large);
}

TEST_CASE("a G-code QOI thumbnail is decoded to a raster", "[thumbs][embedded]") {
  TempDir dir;
  const Raster r = gradient(48, 32, 4);
  write_file(dir / "qoi.gcode", ";\n" + lima::test::gcode_thumbnail_block("thumbnail", 16, 16, png_bytes(gradient(16, 16))) +
                                    lima::test::gcode_thumbnail_block("thumbnail_QOI", 48, 32, qoi_bytes(r)) + "G28\n");
  const EmbeddedPicture p = picture_of(dir / "qoi.gcode");
  CHECK(p.source == "G-code thumbnail 48x32 (QOI)");
  CHECK(p.encoded.empty());
  REQUIRE(p.raster);
  CHECK(p.raster->width == 48);
  CHECK(p.raster->height == 32);
  CHECK(p.raster->channels == 4);
  CHECK(p.raster->pixels == r.pixels);
}

TEST_CASE("Cura's thumbnail block with Windows line ends is found", "[thumbs][embedded]") {
  TempDir dir;
  std::string block = lima::test::gcode_thumbnail_block("thumbnail", 100, 100, png_bytes(gradient(100, 100)));
  std::string crlf;
  for (char c : block) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  write_file(dir / "cura.gcode", ";FLAVOR:Marlin\r\n;TIME:3600\r\n" + crlf + ";Generated with Cura_SteamEngine 5.6.0\r\nG28\r\n");
  CHECK(picture_of(dir / "cura.gcode").width == 100);
}

TEST_CASE("a G-code without thumbnails has none, and blocks past the first 16 MiB are not searched", "[thumbs][embedded]") {
  TempDir dir;
  write_file(dir / "plain.gcode", "; generated by hand\nG28\n" + gcode_moves(100));
  auto plain = find(dir / "plain.gcode");
  REQUIRE(plain);
  CHECK_FALSE(*plain);

  std::string late = gcode_moves(800'000);
  REQUIRE(late.size() > (16u << 20));
  late += lima::test::gcode_thumbnail_block("thumbnail", 16, 16, png_bytes(gradient(16, 16)));
  write_file(dir / "late.gcode", late);
  auto r = find(dir / "late.gcode");
  REQUIRE(r);
  CHECK_FALSE(*r);
}

TEST_CASE("a G-code thumbnail block with broken base64 is undecodable", "[thumbs][embedded][hostile]") {
  TempDir dir;
  std::string block = lima::test::gcode_thumbnail_block("thumbnail", 32, 32, png_bytes(gradient(32, 32)));
  block.replace(block.find('\n') + 10, 3, "*!*");
  write_file(dir / "broken.gcode", ";\n" + block + "G28\n");
  const Failure f = failure_of(dir / "broken.gcode");
  CHECK(f.kind == FailureKind::undecodable_image);
  CHECK(f.reason == "G-code thumbnail 32x32 (PNG): base64 that does not decode");
}

TEST_CASE("a G-code thumbnail block the file ends inside is undecodable", "[thumbs][embedded][hostile]") {
  TempDir dir;
  std::string block = lima::test::gcode_thumbnail_block("thumbnail_JPG", 32, 32, png_bytes(gradient(32, 32)));
  write_file(dir / "cut.gcode", ";\n" + block.substr(0, block.size() / 2));
  const Failure f = failure_of(dir / "cut.gcode");
  CHECK(f.kind == FailureKind::undecodable_image);
  CHECK(f.reason == "G-code thumbnail 32x32 (JPG): the file ends inside the block");

  // G-code where the picture should continue: the block was cut.
  write_file(dir / "interrupted.gcode", ";\n" + block.substr(0, block.size() / 2) + "\nG28\nG1 X10\n");
  const Failure g = failure_of(dir / "interrupted.gcode");
  CHECK(g.kind == FailureKind::undecodable_image);
  CHECK(g.reason == "G-code thumbnail 32x32 (JPG) has no `; thumbnail end`");
}

TEST_CASE("a G-code QOI thumbnail claiming 100000x100000 pixels is over the cap, unallocated", "[thumbs][embedded][hostile]") {
  TempDir dir;
  std::string qoi = qoi_bytes(gradient(4, 4));
  for (std::size_t at : {4u, 8u}) {  // width and height: 100000, big-endian
    qoi[at] = 0;
    qoi[at + 1] = 0x01;
    qoi[at + 2] = static_cast<char>(0x86);
    qoi[at + 3] = static_cast<char>(0xA0);
  }
  write_file(dir / "huge.gcode", ";\n" + lima::test::gcode_thumbnail_block("thumbnail_QOI", 4, 4, qoi) + "G28\n");
  const Failure f = failure_of(dir / "huge.gcode");
  CHECK(f.kind == FailureKind::over_cap);
  CHECK(f.reason ==
        "G-code thumbnail 4x4 (QOI): QOI image of 100000x100000 pixels is over the cap of 200000000 pixels");
}

TEST_CASE("an embedded PNG over the pixel cap is over the cap", "[thumbs][embedded][hostile]") {
  TempDir dir;
  write_file(dir / "wide.gcode", ";\n" + lima::test::gcode_thumbnail_block("thumbnail", 200, 100, png_bytes(gradient(200, 100))));
  Limits limits;
  limits.max_pixels = 10'000;
  const Failure f = failure_of(dir / "wide.gcode", limits);
  CHECK(f.kind == FailureKind::over_cap);
  CHECK(f.reason == "G-code thumbnail 200x100 (PNG): PNG image of 200x100 pixels is over the cap of 10000 pixels");
}

// --- binary G-code ---------------------------------------------------------

namespace {

BgcodeBlock metadata_block(std::uint16_t type, std::uint16_t compression = 0) {
  return {type, compression, lima::test::bgcode_encoding_params(),
          "printer_model=MK4\nnozzle_diameter=0.4\nfilament_type=PETG\n", std::nullopt};
}

BgcodeBlock thumbnail_block(std::uint16_t format, int w, int h, std::string image) {
  return {5, 0, lima::test::bgcode_thumbnail_params(format, static_cast<std::uint16_t>(w), static_cast<std::uint16_t>(h)),
          std::move(image), std::nullopt};
}

}  // namespace

TEST_CASE("a binary G-code's largest thumbnail is its picture", "[thumbs][embedded]") {
  TempDir dir;
  const std::string png16 = png_bytes(gradient(16, 16)), png313 = png_bytes(gradient(313, 173));
  const Raster qoi_raster = gradient(240, 240);
  for (bool crc : {true, false}) {
    INFO("checksums: " << crc);
    // As PrusaSlicer writes it: file metadata (deflated), printer metadata,
    // thumbnails, print and slicer metadata, then (heatshrink) G-code.
    write_file(dir / "print.bgcode",
               lima::test::bgcode_bytes({metadata_block(0, 1), metadata_block(3), thumbnail_block(0, 16, 16, png16),
                                         thumbnail_block(0, 313, 173, png313),
                                         thumbnail_block(2, 240, 240, qoi_bytes(qoi_raster)), metadata_block(4, 1),
                                         metadata_block(2, 1),
                                         {1, 3, lima::test::bgcode_encoding_params(), std::string(5000, '\x5a'), std::nullopt}},
                                        crc));
    const EmbeddedPicture p = picture_of(dir / "print.bgcode");
    CHECK(p.source == "bgcode thumbnail 240x240 (QOI)");
    REQUIRE(p.raster);
    CHECK(p.raster->pixels == qoi_raster.pixels);
    CHECK(p.width == 240);
  }

  write_file(dir / "png.bgcode", lima::test::bgcode_bytes({metadata_block(3), thumbnail_block(0, 16, 16, png16),
                                                           thumbnail_block(0, 313, 173, png313), metadata_block(4)}));
  const EmbeddedPicture p = picture_of(dir / "png.bgcode");
  CHECK(p.source == "bgcode thumbnail 313x173 (PNG)");
  CHECK(p.encoded == png313);
  CHECK(p.height == 173);
}

TEST_CASE("a deflated bgcode thumbnail is inflated, and a bgcode without thumbnails has none", "[thumbs][embedded]") {
  TempDir dir;
  const std::string png = png_bytes(gradient(64, 64));
  BgcodeBlock deflated = thumbnail_block(0, 64, 64, png);
  deflated.compression = 1;
  write_file(dir / "deflated.bgcode", lima::test::bgcode_bytes({metadata_block(3), deflated, metadata_block(4)}));
  CHECK(picture_of(dir / "deflated.bgcode").encoded == png);

  write_file(dir / "none.bgcode",
             lima::test::bgcode_bytes({metadata_block(0), metadata_block(3), metadata_block(4), metadata_block(2)}));
  auto none = find(dir / "none.bgcode");
  REQUIRE(none);
  CHECK_FALSE(*none);
}

TEST_CASE("a binary G-code with a bad magic is an unparsable model", "[thumbs][embedded][hostile]") {
  TempDir dir;
  write_file(dir / "text.bgcode", "; this is text G-code\nG28\n");
  const Failure f = failure_of(dir / "text.bgcode");
  CHECK(f.kind == FailureKind::unparsable_model);
  CHECK(f.reason == "binary G-code: bad magic (not GCDE)");
}

TEST_CASE("a binary G-code block that claims more bytes than the file holds is an unparsable model",
          "[thumbs][embedded][hostile]") {
  TempDir dir;
  BgcodeBlock lying = metadata_block(3);
  lying.lie_about_size = 0x7fffffff;
  write_file(dir / "lying.bgcode", lima::test::bgcode_bytes({metadata_block(0), lying, thumbnail_block(0, 16, 16, png_bytes(gradient(16, 16)))}));
  const Failure f = failure_of(dir / "lying.bgcode");
  CHECK(f.kind == FailureKind::unparsable_model);
  CHECK(f.reason.rfind("binary G-code: block 1 at offset ", 0) == 0);
  CHECK(f.reason.find("past the end of the file") != std::string::npos);

  // Truncated in the middle of a thumbnail.
  const std::string whole = lima::test::bgcode_bytes({metadata_block(3), thumbnail_block(0, 64, 64, png_bytes(gradient(64, 64)))});
  write_file(dir / "cut.bgcode", whole.substr(0, whole.size() - 100));
  const Failure cut = failure_of(dir / "cut.bgcode");
  CHECK(cut.kind == FailureKind::unparsable_model);
  CHECK(cut.reason.find("past the end of the file") != std::string::npos);
}

TEST_CASE("a bgcode thumbnail that fails its checksum is an unparsable model", "[thumbs][embedded][hostile]") {
  TempDir dir;
  std::string bytes = lima::test::bgcode_bytes({metadata_block(3), thumbnail_block(0, 16, 16, png_bytes(gradient(16, 16)))});
  bytes[bytes.size() - 30] ^= 0x55;
  write_file(dir / "flipped.bgcode", bytes);
  const Failure f = failure_of(dir / "flipped.bgcode");
  CHECK(f.kind == FailureKind::unparsable_model);
  CHECK(f.reason.find("fails its CRC-32 check") != std::string::npos);
}

// --- caps and other files ---------------------------------------------------

TEST_CASE("a model file over the size cap, or past the deadline, is over the cap", "[thumbs][embedded][hostile]") {
  TempDir dir;
  write_file(dir / "a.gcode", ";\n" + lima::test::gcode_thumbnail_block("thumbnail", 16, 16, png_bytes(gradient(16, 16))));
  Limits tiny;
  tiny.max_model_bytes = 100;
  const Failure big = failure_of(dir / "a.gcode", tiny);
  CHECK(big.kind == FailureKind::over_cap);
  CHECK(big.reason.find("over the cap of 100 bytes") != std::string::npos);

  auto late = find_embedded_picture(dir / "a.gcode", Limits{}, Clock::now() - std::chrono::seconds(1));
  REQUIRE_FALSE(late);
  CHECK(late.error().kind == FailureKind::over_cap);
}

TEST_CASE("files of other kinds carry no picture", "[thumbs][embedded]") {
  TempDir dir;
  write_file(dir / "cube.stl", "solid cube\nendsolid cube\n");
  write_file(dir / "notes.txt", "; thumbnail begin 16x16 10\n");
  for (const char* name : {"cube.stl", "notes.txt"}) {
    auto r = find(dir / name);
    REQUIRE(r);
    CHECK_FALSE(*r);
  }
}

// --- files a real slicer wrote ---------------------------------------------

TEST_CASE("a 3MF and G-code PrusaSlicer writes headless are read", "[thumbs][embedded][slicer]") {
  if (std::system("command -v prusa-slicer >/dev/null 2>&1") != 0) LIMA_SKIP("prusa-slicer is not installed");
  TempDir dir;
  // A 20 mm cube as binary STL.
  const float v[8][3] = {{0, 0, 0}, {20, 0, 0}, {20, 20, 0}, {0, 20, 0}, {0, 0, 20}, {20, 0, 20}, {20, 20, 20}, {0, 20, 20}};
  const int f[12][3] = {{0, 2, 1}, {0, 3, 2}, {4, 5, 6}, {4, 6, 7}, {0, 1, 5}, {0, 5, 4},
                        {1, 2, 6}, {1, 6, 5}, {2, 3, 7}, {2, 7, 6}, {3, 0, 4}, {3, 4, 7}};
  std::string stl(80, '\0');
  const std::uint32_t count = 12;
  stl.append(reinterpret_cast<const char*>(&count), 4);
  for (const auto& t : f) {
    const float normal[3] = {0, 0, 0};
    stl.append(reinterpret_cast<const char*>(normal), sizeof normal);
    for (int i : t) stl.append(reinterpret_cast<const char*>(v[i]), sizeof v[i]);
    stl.append(2, '\0');
  }
  write_file(dir / "cube.stl", stl);
  const std::string in = "'" + (dir / "cube.stl").string() + "'";
  const std::string quiet = " >/dev/null 2>&1";
  REQUIRE(std::system(("timeout 300 prusa-slicer --export-3mf " + in + " -o '" + (dir / "cube.3mf").string() + "'" + quiet).c_str()) == 0);
  REQUIRE(std::system(("timeout 300 prusa-slicer --export-gcode --thumbnails 64x64 " + in + " -o '" +
                       (dir / "cube.gcode").string() + "'" + quiet).c_str()) == 0);

  // Headless, PrusaSlicer renders no thumbnail: the files are read without
  // a failure, and whatever they carry is a whole picture.
  for (const char* name : {"cube.3mf", "cube.gcode"}) {
    INFO(name);
    auto r = find(dir / name);
    REQUIRE(r);
    if (*r) CHECK((*r)->width > 0);
  }
  auto zip = lima::thumbs::ZipArchive::open(dir / "cube.3mf");
  REQUIRE(zip);
  auto model = zip->read("3D/3dmodel.model", 64 << 20);
  REQUIRE(model);
  CHECK(model->find("<vertex") != std::string::npos);

  // The same G-code with the block PrusaSlicer writes with a display.
  std::ifstream gcode_in(dir / "cube.gcode", std::ios::binary);
  std::string gcode((std::istreambuf_iterator<char>(gcode_in)), std::istreambuf_iterator<char>());
  const std::string thumb = png_bytes(gradient(64, 64));
  gcode.insert(gcode.find("\n\n") + 1, ";\n" + lima::test::gcode_thumbnail_block("thumbnail", 64, 64, thumb));
  write_file(dir / "with_thumb.gcode", gcode);
  CHECK(picture_of(dir / "with_thumb.gcode").encoded == thumb);
}
