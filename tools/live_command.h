// `limafs-bench live`: the command line of the live sync benchmark
// (live_bench.h) — its options, the report table, the JSON report and the
// exit status.
#pragma once

namespace lima::bench {

/// Runs `limafs-bench live` with the arguments after "live". Exit status:
/// 0 when it ran and every target is met (with --no-targets: when it ran),
/// 1 when a target is missed, the daemon did not stop cleanly or the
/// benchmark failed, 2 on usage errors, 77 when this machine cannot run it
/// (no /dev/fuse).
int run_live_command(int argc, char** argv);

}  // namespace lima::bench
