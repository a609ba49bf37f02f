// Where the limafs-bench commands find things: the limafs executable they
// run, and the work directory that holds their libraries and scratch state
// when none is given.
#pragma once

#include <filesystem>
#include <optional>

namespace lima::bench {

/// The limafs executable: `given` (a path, or a name searched in PATH),
/// else the limafs next to this executable, else the one in PATH. Always
/// absolute. Throws std::runtime_error when there is none.
std::filesystem::path resolve_limafs(const std::optional<std::filesystem::path>& given);

/// $TMPDIR/limafs-bench, or /tmp/limafs-bench without TMPDIR.
std::filesystem::path default_work();

}  // namespace lima::bench
