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

/// Marks the running test case as skipped; the caller says why and returns
/// (LIMA_SKIP does all three).
void mark_skipped();

/// Marks the running test case as skipped, saying why; the caller returns.
/// For helpers that cannot return from the test themselves: the test then
/// checks and returns.
inline void skip_test(const std::string& why) {
  WARN("skipped: " << why);
  mark_skipped();
}

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

/// Ends the running test case as skipped, with the reason (and the line
/// that skipped) in the output.
#define LIMA_SKIP(why)                \
  do {                                \
    WARN("skipped: " << (why));       \
    ::lima::test::mark_skipped();     \
    return;                           \
  } while (false)
