// A file:// URI as the desktop passes it to a thumbnailer (%u): the local
// path it names, percent-escapes decoded.
#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace lima::cli {

/// True when `arg` is a URI (a scheme such as "file:" or "smb:"), not a path.
bool looks_like_uri(std::string_view arg);

/// The local path of a file URI: "file:///a/b%20c.stl" and
/// "file://localhost/a/b%20c.stl" give "/a/b c.stl". Fails with a one-line
/// reason for another scheme ("only local files (file://) are read, not
/// smb://..."), another host, a bad or NUL escape, or a relative path.
tl::expected<std::string, std::string> path_of_file_uri(std::string_view uri);

}  // namespace lima::cli
