// Where a library's state (the index with its run history, metadata backups)
// lives by default: one directory per library under the XDG state home.
#pragma once

#include <filesystem>

namespace lima::index {

/// $XDG_STATE_HOME/limafs/<folder name>-<16 hex digits of the absolute
/// library path's hash> ($XDG_STATE_HOME defaults to ~/.local/state).
std::filesystem::path default_state_dir(const std::filesystem::path& absolute_library);

}  // namespace lima::index
