// The real image files of the index tests (tests/index/data/images, found through LIMA_TEST_DATA_DIR), written
// by libvips at 37 × 23 pixels, so a swapped width and height shows.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace lima::test {

/// The bytes of tests/index/data/images/NAME.
inline std::string test_image(const std::string& name) {
  std::ifstream in(std::filesystem::path(LIMA_TEST_DATA_DIR) / "images" / name, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace lima::test
