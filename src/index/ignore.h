// Which names the sync never indexes or watches: dot-files and
// dot-directories, NAS/OS litter, partial downloads (DESIGN §1), plus the
// user's globs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lima::index {

class IgnoreRules {
 public:
  IgnoreRules() = default;
  /// `globs` are fnmatch(3) patterns. A pattern without '/' is matched
  /// against each file or directory name; one with '/' against the
  /// library-relative path.
  explicit IgnoreRules(std::vector<std::string> globs);

  /// True when the entry `name` at library-relative `path` is ignored.
  bool ignored(std::string_view name, std::string_view path) const;
  /// Whether ignored() looks at the path (a glob with '/'); when not, any
  /// string will do for it.
  bool needs_path() const { return !path_globs_.empty(); }
  /// True for the built-in rules alone (used where no path is at hand).
  static bool ignored_by_default(std::string_view name);
  const std::vector<std::string>& globs() const { return globs_; }

 private:
  std::vector<std::string> globs_;
  std::vector<std::string> name_globs_, path_globs_;
};

}  // namespace lima::index
