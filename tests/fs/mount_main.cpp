// The mount tests' main: they need /dev/fuse; without it they are skipped
// (exit 77, CTest's SKIP_RETURN_CODE), never failed.
#define CATCH_CONFIG_RUNNER
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string_view>

int main(int argc, char** argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i) listing |= std::string_view(argv[i]).starts_with("--list");
  if (!listing && ::access("/dev/fuse", R_OK | W_OK) != 0) {
    std::fprintf(stderr, "no usable /dev/fuse here: mount tests skipped\n");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
