// Whether two indexes of one library agree: the live assets of each, as
// (project folder, path in the project) → (size, content hash), compared
// set against set. Used to check the index a watching daemon kept up to
// date against the one a fresh `limafs scan` builds.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace lima::bench {

struct IndexDiff {
  std::size_t left_assets = 0, right_assets = 0;  ///< live assets in each
  std::size_t only_left = 0, only_right = 0;      ///< paths live in one index only
  std::size_t differing = 0;                      ///< same path, other size or hash
  /// The first differences, one line each ("only in the daemon's index:
  /// Project/a.stl (123 bytes)").
  std::vector<std::string> examples;

  bool equal() const { return only_left == 0 && only_right == 0 && differing == 0; }
};

/// Compares the indexes in two state directories, opened read-only (a
/// daemon may be running on either). left_name and right_name name them in
/// the examples ("the daemon's index"). Throws std::runtime_error when one
/// cannot be opened.
IndexDiff compare_indexes(const std::filesystem::path& left_state, const std::string& left_name,
                          const std::filesystem::path& right_state, const std::string& right_name,
                          std::size_t max_examples = 10);

}  // namespace lima::bench
