#include "thumbs/zip_archive.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "support/skip.h"
#include "test_support.h"
#include "thumbs/slicer_files.h"

using lima::test::TempDir;
using lima::test::write_file;
using lima::test::ZipMember;
using lima::thumbs::ZipArchive;

namespace {

std::string text_of(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; s.size() < n; ++i) s += "line " + std::to_string(i) + " of a 3D model part\n";
  s.resize(n);
  return s;
}

/// The position of the first central directory entry in a zip_bytes archive.
std::size_t central_entry(const std::string& zip) { return zip.find(std::string("PK\x01\x02", 4)); }

void put32_at(std::string& s, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
}

}  // namespace

TEST_CASE("a zip's stored and deflated members read back byte for byte", "[thumbs][zip]") {
  TempDir dir;
  const std::string model = text_of(300'000), picture = lima::test::png_bytes(lima::test::gradient(16, 16));
  write_file(dir / "a.3mf", lima::test::zip_bytes({{"3D/3dmodel.model", model},
                                                   {"Metadata/thumbnail.png", picture, false},
                                                   {"empty.txt", ""}}));
  auto zip = ZipArchive::open(dir / "a.3mf");
  REQUIRE(zip);
  CHECK(zip->names() == std::vector<std::string>{"3D/3dmodel.model", "Metadata/thumbnail.png", "empty.txt"});
  CHECK(zip->contains("3D/3dmodel.model"));
  CHECK_FALSE(zip->contains("3d/3dmodel.model"));
  CHECK(zip->find_ignoring_case("3d/3DMODEL.model") == std::optional<std::string>("3D/3dmodel.model"));
  CHECK_FALSE(zip->find_ignoring_case("3D/other.model"));
  CHECK(zip->uncompressed_size("3D/3dmodel.model") == model.size());

  auto m = zip->read("3D/3dmodel.model", 1 << 20);
  REQUIRE(m);
  CHECK(*m == model);
  auto p = zip->read("Metadata/thumbnail.png", 1 << 20);
  REQUIRE(p);
  CHECK(*p == picture);
  auto e = zip->read("empty.txt", 10);
  REQUIRE(e);
  CHECK(e->empty());

  // The archive stays usable after a move (as it is when returned).
  ZipArchive moved = std::move(*zip);
  CHECK(moved.read("3D/3dmodel.model", 1 << 20).value_or("") == model);
}

TEST_CASE("a ZIP64 archive's members are found through its ZIP64 end record", "[thumbs][zip]") {
  TempDir dir;
  const std::string model = text_of(70'000);
  write_file(dir / "big.3mf", lima::test::zip_bytes({{"a.txt", "first"}, {"3D/3dmodel.model", model}}, true));
  auto zip = ZipArchive::open(dir / "big.3mf");
  REQUIRE(zip);
  CHECK(zip->names().size() == 2);
  CHECK(zip->read("a.txt", 100).value_or("") == "first");
  CHECK(zip->read("3D/3dmodel.model", 1 << 20).value_or("") == model);
}

TEST_CASE("a file that is not a zip is refused with a reason", "[thumbs][zip]") {
  TempDir dir;
  write_file(dir / "text.3mf", "solid cube\nendsolid cube\n" + std::string(1000, 'x'));
  write_file(dir / "empty.3mf", "");
  auto text = ZipArchive::open(dir / "text.3mf");
  REQUIRE_FALSE(text);
  CHECK(text.error() == "not a zip archive: no end of central directory record");
  auto empty = ZipArchive::open(dir / "empty.3mf");
  REQUIRE_FALSE(empty);
  CHECK(empty.error().rfind("not a zip archive: ", 0) == 0);
  auto missing = ZipArchive::open(dir / "missing.3mf");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("cannot open") != std::string::npos);
}

TEST_CASE("a truncated zip is refused with a reason", "[thumbs][zip]") {
  TempDir dir;
  const std::string zip = lima::test::zip_bytes({{"3D/3dmodel.model", text_of(50'000)}, {"b.txt", "b"}});

  // Cut anywhere before the end record: the end record is gone.
  for (std::size_t keep : {zip.size() / 2, zip.size() - 10, std::size_t{30}}) {
    write_file(dir / "cut.3mf", zip.substr(0, keep));
    auto z = ZipArchive::open(dir / "cut.3mf");
    REQUIRE_FALSE(z);
    CHECK(z.error().rfind("not a zip archive: ", 0) == 0);
  }

  // Bytes lost from the middle: the end record is intact but its offsets
  // point past what is left.
  const std::string holed = zip.substr(0, 100) + zip.substr(2100);
  write_file(dir / "holed.3mf", holed);
  auto z = ZipArchive::open(dir / "holed.3mf");
  REQUIRE_FALSE(z);
  CHECK(z.error().find("runs past its end record") != std::string::npos);
}

TEST_CASE("an entry pointing past the member data is refused", "[thumbs][zip]") {
  TempDir dir;
  std::string zip = lima::test::zip_bytes({{"a.txt", "hello"}});
  put32_at(zip, central_entry(zip) + 42, 0x7fffffff);  // local header offset
  write_file(dir / "a.zip", zip);
  auto z = ZipArchive::open(dir / "a.zip");
  REQUIRE_FALSE(z);
  CHECK(z.error().find("starts past the member data") != std::string::npos);
}

TEST_CASE("a member whose data would run into the central directory is refused", "[thumbs][zip]") {
  TempDir dir;
  std::string zip = lima::test::zip_bytes({{"a.txt", "hello", false}, {"b.txt", "world", false}});
  // a.txt's sizes now claim b.txt and the central directory as its data.
  const std::size_t entry = central_entry(zip);
  put32_at(zip, entry + 20, 4000);
  put32_at(zip, entry + 24, 4000);
  write_file(dir / "a.zip", zip);
  auto z = ZipArchive::open(dir / "a.zip");
  REQUIRE(z);
  auto a = z->read("a.txt", 1 << 20);
  REQUIRE_FALSE(a);
  CHECK(a.error().find("runs past the end of the member area") != std::string::npos);
  CHECK(z->read("b.txt", 100).value_or("") == "world");
}

TEST_CASE("a member larger than the caller's cap is refused before inflating", "[thumbs][zip]") {
  TempDir dir;
  write_file(dir / "bomb.zip", lima::test::zip_bytes({{"zeros", std::string(32u << 20, '\0')}}));
  CHECK(std::filesystem::file_size(dir / "bomb.zip") < 200'000);  // 32 MiB from a small file
  auto z = ZipArchive::open(dir / "bomb.zip");
  REQUIRE(z);
  auto m = z->read("zeros", 1 << 20);
  REQUIRE_FALSE(m);
  CHECK(m.error() == "zip member zeros: 33554432 bytes uncompressed, over the cap of 1048576");
}

TEST_CASE("a zip bomb whose headers lie about its size is stopped while inflating", "[thumbs][zip]") {
  TempDir dir;
  ZipMember bomb{"Metadata/thumbnail.png", std::string(32u << 20, '\0')};
  bomb.declared_size = 1000;
  write_file(dir / "bomb.3mf", lima::test::zip_bytes({bomb}));
  auto z = ZipArchive::open(dir / "bomb.3mf");
  REQUIRE(z);
  auto m = z->read("Metadata/thumbnail.png", 256u << 20);
  REQUIRE_FALSE(m);
  CHECK(m.error() == "zip member Metadata/thumbnail.png: inflates past its declared 1000 bytes");
}

TEST_CASE("a declared size deflate cannot make from the stored bytes is refused unread", "[thumbs][zip]") {
  TempDir dir;
  ZipMember m{"a.txt", "tiny"};
  m.declared_size = 50'000'000;
  write_file(dir / "a.zip", lima::test::zip_bytes({m}));
  auto z = ZipArchive::open(dir / "a.zip");
  REQUIRE(z);
  auto r = z->read("a.txt", 100'000'000);
  REQUIRE_FALSE(r);
  CHECK(r.error().find("more than deflate can make") != std::string::npos);
}

TEST_CASE("a member whose data fails its CRC-32 is refused", "[thumbs][zip]") {
  TempDir dir;
  ZipMember stored{"stored.txt", "some text", false}, deflated{"deflated.txt", text_of(5000)};
  stored.wrong_crc = deflated.wrong_crc = true;
  write_file(dir / "a.zip", lima::test::zip_bytes({stored, deflated}));
  auto z = ZipArchive::open(dir / "a.zip");
  REQUIRE(z);
  for (const char* name : {"stored.txt", "deflated.txt"}) {
    auto r = z->read(name, 1 << 20);
    REQUIRE_FALSE(r);
    CHECK(r.error() == std::string("zip member ") + name + ": CRC-32 mismatch (corrupt data)");
  }
}

TEST_CASE("corrupt deflate data, other methods and missing members are refused", "[thumbs][zip]") {
  TempDir dir;
  std::string zip = lima::test::zip_bytes({{"a.txt", text_of(5000)}, {"b.txt", "b"}});
  const std::size_t b_entry = zip.find(std::string("PK\x01\x02", 4), central_entry(zip) + 4);
  zip[b_entry + 10] = 12;  // bzip2
  // Garble a.txt's deflate stream.
  const std::size_t data = 30 + 5;
  for (std::size_t i = data; i < data + 40; ++i) zip[i] = static_cast<char>(0xff);
  write_file(dir / "a.zip", zip);
  auto z = ZipArchive::open(dir / "a.zip");
  REQUIRE(z);
  auto a = z->read("a.txt", 1 << 20);
  REQUIRE_FALSE(a);
  CHECK(a.error().rfind("zip member a.txt: ", 0) == 0);
  auto b = z->read("b.txt", 1 << 20);
  REQUIRE_FALSE(b);
  CHECK(b.error() == "zip member b.txt: compression method 12 is not supported (only stored and deflate)");
  auto c = z->read("c.txt", 1 << 20);
  REQUIRE_FALSE(c);
  CHECK(c.error() == "zip member c.txt: no such member");
}

TEST_CASE("overlapping entries and miscounted directories are refused", "[thumbs][zip]") {
  TempDir dir;
  // b.txt's entry points into the middle of a.txt's data, where no local
  // header is (the overlap zip bombs are built on).
  std::string zip = lima::test::zip_bytes({{"a.txt", text_of(5000), false}, {"b.txt", "b", false}});
  const std::size_t b_entry = zip.find(std::string("PK\x01\x02", 4), central_entry(zip) + 4);
  put32_at(zip, b_entry + 42, 100);
  write_file(dir / "overlap.zip", zip);
  auto z = ZipArchive::open(dir / "overlap.zip");
  REQUIRE(z);
  CHECK(z->read("a.txt", 1 << 20).value_or("") == text_of(5000));
  auto b = z->read("b.txt", 1 << 20);
  REQUIRE_FALSE(b);
  CHECK(b.error() == "zip member b.txt: local header has a bad signature");

  // An end record counting more members than its directory holds.
  std::string counted = lima::test::zip_bytes({{"a.txt", "a"}});
  const std::size_t end = counted.size() - 22;
  counted[end + 8] = counted[end + 10] = 100;
  write_file(dir / "counted.zip", counted);
  auto c = ZipArchive::open(dir / "counted.zip");
  REQUIRE_FALSE(c);
  CHECK(c.error() == "not a zip archive: more members declared than the central directory holds");
}

TEST_CASE("archives Python's zipfile streams (data descriptors, ZIP64 members) read back", "[thumbs][zip]") {
  if (std::system("python3 -c 'import zipfile' >/dev/null 2>&1") != 0) LIMA_SKIP("python3 with zipfile is not installed");
  TempDir dir;
  // Written to a pipe, so zipfile cannot seek back: sizes and CRCs follow
  // each member in a data descriptor, and the big member has ZIP64 fields.
  const std::string script =
      "import sys, zipfile\n"
      "z = zipfile.ZipFile(sys.stdout.buffer, 'w', zipfile.ZIP_DEFLATED)\n"
      "z.writestr('3D/3dmodel.model', ''.join('<vertex x=\"%d\"/>' % i for i in range(20000)))\n"
      "with z.open('Metadata/big.bin', 'w', force_zip64=True) as f:\n"
      "    f.write(bytes(range(256)) * 4000)\n"
      "z.writestr(zipfile.ZipInfo('stored.txt'), 'plain text', compress_type=zipfile.ZIP_STORED)\n"
      "z.close()\n";
  write_file(dir / "make.py", script);
  const std::string cmd = "python3 '" + (dir / "make.py").string() + "' | cat > '" + (dir / "py.3mf").string() + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
  auto z = ZipArchive::open(dir / "py.3mf");
  REQUIRE(z);
  CHECK(z->names() == std::vector<std::string>{"3D/3dmodel.model", "Metadata/big.bin", "stored.txt"});
  auto model = z->read("3D/3dmodel.model", 1 << 20);
  REQUIRE(model);
  CHECK(model->rfind("<vertex x=\"0\"/><vertex x=\"1\"/>", 0) == 0);
  CHECK(model->size() > 200'000);
  auto big = z->read("Metadata/big.bin", 2 << 20);
  REQUIRE(big);
  CHECK(big->size() == 1'024'000);
  CHECK(static_cast<unsigned char>((*big)[257]) == 1);
  CHECK(z->read("stored.txt", 100).value_or("") == "plain text");
}
