// `limafs-bench pictures`: the command line of the pictures benchmark
// (pictures_bench.h) — its options, the report table, the JSON report and
// the exit status.
#pragma once

namespace lima::bench {

/// Runs `limafs-bench pictures` with the arguments after "pictures". Exit
/// status: 0 when every target is met (or targets are not enforced), 1 when
/// one is missed or the benchmark failed, 2 on usage errors, 77 when this
/// machine cannot run the parts asked for (no /dev/fuse for images and
/// library).
int run_pictures_command(int argc, char** argv);

}  // namespace lima::bench
