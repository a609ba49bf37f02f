#include <catch2/catch.hpp>

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
