#include "fs/mount_table.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace lima::fs {

namespace {

// Mount points in mountinfo escape space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool octal = s[i] == '\\' && i + 3 < s.size();
    if (octal && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' &&
        s[i + 3] <= '7') {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::optional<MountedDevice> mounted_at(const std::filesystem::path& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::optional<MountedDevice> found;
  std::string line;
  while (std::getline(in, line)) {
    // id parent major:minor root mount-point ...
    std::istringstream fields(line);
    std::string id, parent, device, root, point;
    if (!(fields >> id >> parent >> device >> root >> point)) continue;
    if (unescape(point) != path.string()) continue;
    MountedDevice d;
    if (std::sscanf(device.c_str(), "%u:%u", &d.major, &d.minor) == 2) found = d;
  }
  return found;
}

}  // namespace lima::fs
