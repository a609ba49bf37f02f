// `limafs-bench search`: the search language against SQLite FTS5 (see
// search_bench.h): its options, and its exit status.
#pragma once

namespace lima::bench {

/// argv holds the arguments after "search". Exits 0 when everything ran
/// (and, unless --no-targets, met its targets), 1 on an error, on result
/// sets that differ between the engines (always), or on a missed target,
/// 2 on a usage error, 77 when this machine cannot mount (no /dev/fuse).
int run_search_command(int argc, char** argv);

}  // namespace lima::bench
