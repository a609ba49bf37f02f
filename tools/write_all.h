// Writing a whole buffer to a file descriptor: what the library generator
// and its PNG writer do for every file they write.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace lima::bench {

/// Writes all `len` bytes (again after EINTR and short writes); false on an
/// error (errno tells which).
inline bool write_all(int fd, const unsigned char* data, std::size_t len) {
  while (len > 0) {
    const ssize_t n = ::write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    len -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace lima::bench
