// `limafs-bench mount`: the command line of the mount benchmark
// (mount_bench.h) — its options, the report table, the JSON report and
// the exit status.
#pragma once

namespace lima::bench {

/// Runs `limafs-bench mount` with the arguments after "mount". Exit status:
/// 0 when every target is met (or targets are not enforced), 1 when one is
/// missed or the benchmark failed, 2 on usage errors, 77 when this machine
/// cannot mount (no /dev/fuse, not root).
int run_mount_command(int argc, char** argv);

}  // namespace lima::bench
