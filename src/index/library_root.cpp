#include "index/library_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "index/catalog.h"

namespace lima::index {

RootExpectation expected_root(const Catalog& catalog, const Txn& t) {
  return RootExpectation{.dev = catalog.library_dev(t), .projects = catalog.counts(t).projects};
}

RootProbe::RootProbe(RootProbe&& other) noexcept
    : state(other.state),
      error(other.error),
      dev(other.dev),
      ino(other.ino),
      expected_dev(other.expected_dev),
      projects(other.projects),
      fd_(std::exchange(other.fd_, -1)) {}

RootProbe& RootProbe::operator=(RootProbe&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    state = other.state;
    error = other.error;
    dev = other.dev;
    ino = other.ino;
    expected_dev = other.expected_dev;
    projects = other.projects;
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

RootProbe::~RootProbe() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

struct Listing {
  bool has_entry = false;
  int error = 0;
};

// Whether the directory open as `dir_fd` has an entry besides "." and "..".
// Read through a descriptor of its own: a dup would share the reading
// position with whoever walks the root next.
Listing first_entry(int dir_fd) {
  Listing l;
  const int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = fd >= 0 ? ::fdopendir(fd) : nullptr;
  if (!d) {
    l.error = errno;
    if (fd >= 0) ::close(fd);
    return l;
  }
  errno = 0;
  while (const dirent* de = ::readdir(d)) {
    if (std::strcmp(de->d_name, ".") != 0 && std::strcmp(de->d_name, "..") != 0) {
      l.has_entry = true;
      break;
    }
  }
  l.error = errno;
  ::closedir(d);
  return l;
}

std::string projects_phrase(std::size_t n) { return std::to_string(n) + (n == 1 ? " project" : " projects"); }

}  // namespace

RootProbe probe_library_root(const std::filesystem::path& root, const RootExpectation& expect) {
  RootProbe p;
  p.expected_dev = expect.dev.value_or(0);
  p.projects = expect.projects;
  p.fd_ = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (p.fd_ < 0) {
    p.error = errno;
    p.state = p.error == ENOENT ? RootState::missing
              : p.error == ENOTDIR ? RootState::not_directory
                                   : RootState::cannot_open;
    return p;
  }
  struct stat st {};
  if (::fstat(p.fd_, &st) != 0) {
    p.error = errno;
    p.state = RootState::cannot_stat;
    return p;
  }
  p.dev = st.st_dev;
  p.ino = st.st_ino;
  if (expect.dev && *expect.dev != p.dev) {
    p.state = RootState::other_device;
    return p;
  }
  if (expect.list) {
    const Listing l = first_entry(p.fd_);
    if (!l.has_entry && l.error) {
      p.error = l.error;
      p.state = RootState::cannot_list;
      return p;
    }
    if (!l.has_entry && expect.projects) {
      p.state = RootState::empty;
      return p;
    }
  }
  p.state = RootState::online;
  return p;
}

std::string RootProbe::reason(const std::string& root) const {
  switch (state) {
    case RootState::online: return "";
    case RootState::missing: return "the library root " + root + " is gone (moved away, or its disk unmounted)";
    case RootState::not_directory:
    case RootState::cannot_open: return "cannot open the library root " + root + ": " + std::strerror(error);
    case RootState::cannot_stat: return "cannot stat the library root: " + std::string(std::strerror(error));
    case RootState::other_device:
      return "the library root " + root + " is on another device than before: is its disk mounted?";
    case RootState::cannot_list: return "cannot list the library root " + root + ": " + std::strerror(error);
    case RootState::empty:
      return "the library root " + root + " is empty but the index has " + projects_phrase(projects) +
             ": is its disk mounted?";
  }
  return "";
}

}  // namespace lima::index
