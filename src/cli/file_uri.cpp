#include "cli/file_uri.h"

#include <cctype>

namespace lima::cli {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

}  // namespace

bool looks_like_uri(std::string_view arg) {
  // RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"; a
  // path like "C:" or "a:b.stl" is taken for a path unless "//" follows.
  const auto colon = arg.find(':');
  if (colon == std::string_view::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(arg[0])))
    return false;
  for (std::size_t i = 1; i < colon; ++i) {
    const auto c = static_cast<unsigned char>(arg[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return arg.substr(colon + 1).starts_with("//") || starts_with_nocase(arg, "file:");
}

tl::expected<std::string, std::string> path_of_file_uri(std::string_view uri) {
  if (!starts_with_nocase(uri, "file:"))
    return tl::unexpected("only local files (file://) are read, not " +
                          std::string(uri.substr(0, uri.find(':') + 1)) + "//...");
  std::string_view rest = uri.substr(5);
  if (rest.starts_with("//")) {
    rest.remove_prefix(2);
    const auto slash = rest.find('/');
    const std::string_view host = rest.substr(0, slash);
    if (!host.empty() && !(host.size() == 9 && starts_with_nocase(host, "localhost")))
      return tl::unexpected("a file on another host (" + std::string(host) + ") is not read");
    if (slash == std::string_view::npos) return tl::unexpected(std::string("a file URI without a path"));
    rest.remove_prefix(slash);
  }
  if (!rest.starts_with('/')) return tl::unexpected(std::string("a file URI with a relative path"));
  // A query or fragment is not part of the file's name.
  rest = rest.substr(0, rest.find_first_of("?#"));
  std::string path;
  path.reserve(rest.size());
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] != '%') {
      path.push_back(rest[i]);
      continue;
    }
    const bool complete = i + 2 < rest.size();
    const int hi = complete ? hex_value(rest[i + 1]) : -1;
    const int lo = complete ? hex_value(rest[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      return tl::unexpected("a bad escape in the file URI: " + std::string(rest.substr(i, 3)));
    const int byte = hi * 16 + lo;
    if (byte == 0) return tl::unexpected(std::string("a file URI with a NUL byte (%00)"));
    path.push_back(static_cast<char>(byte));
    i += 2;
  }
  return path;
}

}  // namespace lima::cli
