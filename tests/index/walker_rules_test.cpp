#include <catch2/catch.hpp>

#include "index/ignore.h"
#include "index/kinds.h"

using namespace lima::index;

TEST_CASE("kinds come from the extension, case-insensitively") {
  CHECK(kind_of("3DBenchy.stl") == Kind::model);
  CHECK(kind_of("PART.STL") == Kind::model);
  CHECK(kind_of("plate.3mf") == Kind::model);
  CHECK(kind_of("print.bgcode") == Kind::model);
  CHECK(kind_of("cover.JPEG") == Kind::image);
  CHECK(kind_of("scan.heic") == Kind::image);
  CHECK(kind_of("manual.pdf") == Kind::document);
  CHECK(kind_of("README.md") == Kind::document);
  CHECK(kind_of("archive.zip") == Kind::other);
  CHECK(kind_of("Makefile") == Kind::other);
  CHECK(kind_of(".stl") == Kind::other);
  CHECK(kind_of("file.verylongext") == Kind::other);
}

TEST_CASE("ignored names: dot-files, NAS litter, partial downloads, user globs") {
  IgnoreRules none;
  for (const char* n : {".git", ".DS_Store", "@eaDir", "#recycle", "__MACOSX", ".stversions", "Thumbs.db",
                        "desktop.ini", "model.stl.part", "big.zip.crdownload"})
    CHECK(none.ignored(n, std::string("P/") + n));
  for (const char* n : {"model.stl", "part.stl", "eaDir", "recycle"}) CHECK_FALSE(none.ignored(n, n));

  IgnoreRules user({"*.bak", "Proj/tmp", "*.gcode"});
  CHECK(user.ignored("old.bak", "P/old.bak"));
  CHECK(user.ignored("print.gcode", "P/sub/print.gcode"));
  CHECK(user.ignored("tmp", "Proj/tmp"));
  CHECK_FALSE(user.ignored("tmp", "Other/tmp"));
  CHECK_FALSE(user.ignored("model.stl", "P/model.stl"));
}
