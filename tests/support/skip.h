// Skipping a test that cannot run here (no /dev/fuse, not root, no bind
// mount). Catch2 2 has no SKIP, and a test that warns and returns counts as
// passed, which hides that it never ran. LIMA_SKIP(why) says why in the
// output, marks the running test case as skipped and returns from it; the
// test programs' main (run_tests) exits 77, CTest's SKIP_RETURN_CODE, when
// every test case that ran was skipped and none failed.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

namespace lima::test {

/// Marks the running test case as skipped, saying why; the caller returns
/// (LIMA_SKIP does both). For helpers that cannot return from the test
/// themselves: the test then checks and returns.
void skip_test(const std::string& why);

/// Runs the Catch session on the command line: its result, or 77 when every
/// test case that ran was skipped and none failed.
int run_tests(int argc, char** argv);

/// Whether this process can mount with FUSE (a usable /dev/fuse). Setting
/// LIMA_TEST_NO_FUSE=1 makes it say no, to check that the tests needing FUSE
/// report themselves skipped.
inline bool fuse_available() {
  const char* off = std::getenv("LIMA_TEST_NO_FUSE");
  if (off && std::string(off) == "1") return false;
  return ::access("/dev/fuse", R_OK | W_OK) == 0;
}

}  // namespace lima::test

/// Ends the running test case as skipped, with the reason in the output.
#define LIMA_SKIP(why)            \
  do {                            \
    ::lima::test::skip_test(why); \
    return;                       \
  } while (false)
