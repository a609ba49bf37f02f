// limafs: main() sets up the process and hands over to the command line.
// Everything it does lives in the modules; the running daemon is wired
// together in src/daemon.
#include <sys/resource.h>

#include <cstdio>
#include <exception>

#include "cli/cli.h"

int main(int argc, char** argv) {
  // Walking and hashing keep many directories open at once; the soft limit
  // on open files (often 1024) is raised to what the system allows.
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max < 65536 ? lim.rlim_max : 65536;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  try {
    return lima::cli::run(argc, argv);
  } catch (const std::exception& e) {
    // The index layer reports expected failures as values; this is the rest
    // (an unreadable index file, an I/O error): one line, never an abort.
    std::fprintf(stderr, "limafs: %s\n", e.what());
    return lima::cli::kError;
  }
}
