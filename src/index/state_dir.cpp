#include "index/state_dir.h"

#include <pwd.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstdio>
#include <cstdlib>

namespace lima::index {

std::filesystem::path default_state_dir(const std::filesystem::path& absolute_library) {
  std::filesystem::path base;
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x == '/') {
    base = x;
  } else {
    const char* home = std::getenv("HOME");
    if (!home || !*home) {
      if (const passwd* pw = ::getpwuid(::getuid())) home = pw->pw_dir;
    }
    base = std::filesystem::path(home ? home : "/tmp") / ".local" / "state";
  }
  const std::string lib = absolute_library.lexically_normal().string();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(lib.data(), lib.size())));
  std::string name = absolute_library.lexically_normal().filename().string();
  if (name.empty()) name = "root";
  for (char& c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == '/') c = '_';
  return base / "limafs" / (name + "-" + hex);
}

}  // namespace lima::index
