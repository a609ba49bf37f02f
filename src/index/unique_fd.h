// An owned file descriptor: closed when its owner goes out of scope, moved
// but never copied. What the library writer, the hasher and the API's file
// reads hold while they work on a file or directory.
#pragma once

#include <unistd.h>

#include <utility>

namespace lima::index {

struct UniqueFd {
  int fd = -1;  ///< -1 when it owns nothing

  UniqueFd() = default;
  explicit UniqueFd(int f) : fd(f) {}
  UniqueFd(UniqueFd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    std::swap(fd, o.fd);
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace lima::index
