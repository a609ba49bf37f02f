// The mount tests' main: they need /dev/fuse; without it they are skipped
// (exit 77, CTest's SKIP_RETURN_CODE), never failed.
#include <cstdio>
#include <string_view>

#include "support/skip.h"

int main(int argc, char** argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i) listing |= std::string_view(argv[i]).starts_with("--list");
  if (!listing && !lima::test::fuse_available()) {
    std::fprintf(stderr, "no usable /dev/fuse here: mount tests skipped\n");
    return 77;
  }
  return lima::test::run_tests(argc, argv);
}
