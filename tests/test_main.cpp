// The main of the test programs: runs the Catch session; exits 77 (CTest's
// SKIP_RETURN_CODE) when every test that ran was skipped (support/skip.h).
#include "support/skip.h"

int main(int argc, char** argv) { return lima::test::run_tests(argc, argv); }
