// limafs: the one composition root. Everything it does lives in the
// modules; main() only hands over to the command line.
#include "cli/cli.h"

int main(int argc, char** argv) { return lima::cli::run(argc, argv); }
