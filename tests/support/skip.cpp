// The Catch session of every test program, counting the test cases that
// skipped themselves (see skip.h).
#define CATCH_CONFIG_RUNNER
#include "support/skip.h"

#include <cstddef>

namespace lima::test {
namespace {

bool g_skipping = false;  // the running test case called skip_test()
std::size_t g_ran = 0, g_skipped = 0;

struct SkipCounter : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseStarting(const Catch::TestCaseInfo& info) override {
    TestEventListenerBase::testCaseStarting(info);
    g_skipping = false;
  }
  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    ++g_ran;
    if (g_skipping) ++g_skipped;
    TestEventListenerBase::testCaseEnded(stats);
  }
};

}  // namespace

CATCH_REGISTER_LISTENER(SkipCounter)

void mark_skipped() { g_skipping = true; }

int run_tests(int argc, char** argv) {
  const int result = Catch::Session().run(argc, argv);
  if (result == 0 && g_ran > 0 && g_skipped == g_ran) return 77;
  return result;
}

}  // namespace lima::test
