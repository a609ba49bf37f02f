#include <catch2/catch.hpp>

#include "index/ignore.h"

using namespace lima::index;

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
