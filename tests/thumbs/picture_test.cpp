#include "thumbs/picture.h"

#include <catch2/catch.hpp>

using namespace lima::thumbs;

TEST_CASE("failure kinds have the names the problem report shows", "[thumbs]") {
  CHECK(to_string(FailureKind::undecodable_image) == "undecodable_image");
  CHECK(to_string(FailureKind::unparsable_model) == "unparsable_model");
  CHECK(to_string(FailureKind::over_cap) == "picture_over_cap");
  CHECK(to_string(FailureKind::no_picture) == "no_picture");
  CHECK(mime_type(Format::webp) == "image/webp");
  CHECK(mime_type(Format::png) == "image/png");
}
