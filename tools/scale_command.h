// `limafs-bench scale`: what the library's size costs, at tiers M and L
// (see scale_bench.h): its options, and its exit status.
#pragma once

namespace lima::bench {

/// argv holds the arguments after "scale". Exits 0 when everything ran
/// (and, unless --no-targets, met its targets), 1 on an error, on a daemon
/// that did not stop cleanly, or on a missed target, 2 on a usage error,
/// 77 when this machine cannot mount (no /dev/fuse).
int run_scale_command(int argc, char** argv);

}  // namespace lima::bench
