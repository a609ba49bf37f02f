#include "tree_replica.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;

/// A file descriptor closed on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  /// Hands the descriptor over (to fdopendir).
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

class Replicator {
 public:
  explicit Replicator(const std::set<std::string>& opaque) : opaque_(opaque) {}

  /// Copies the entries of the open directory src into dst; `rel` names src
  /// in messages.
  void copy_dir(int src, int dst, const std::string& rel, bool top) {
    Fd listing(::dup(src));
    if (listing.get() < 0) fail("cannot dup", rel);
    DIR* d = ::fdopendir(listing.get());
    if (!d) fail("cannot list", rel);
    listing.release();
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* de = ::readdir(d)) {
      const std::string_view n = de->d_name;
      if (n != "." && n != "..") names.emplace_back(n);
    }
    const int err = errno;
    ::closedir(d);
    errno = err;
    if (err != 0) fail("cannot list", rel);
    for (const auto& name : names) copy_entry(src, dst, name, rel.empty() ? name : rel + "/" + name, top);
  }

  ReplicaStats stats;

 private:
  void copy_entry(int src, int dst, const std::string& name, const std::string& rel, bool top) {
    struct stat st {};
    if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) fail("cannot lstat", rel);
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    const mode_t perms = st.st_mode & 07777;
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(dst, name.c_str(), 0700) != 0) fail("cannot create", rel);
      ++stats.dirs;
      Fd from(::openat(src, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (from.get() < 0) fail("cannot open", rel);
      Fd to(::openat(dst, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (to.get() < 0) fail("cannot open the copy of", rel);
      if (!(top && opaque_.count(name))) copy_dir(from.get(), to.get(), rel, false);
      if (::fchmod(to.get(), perms) != 0 || ::futimens(to.get(), times) != 0) fail("cannot set attributes of", rel);
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
      const ssize_t n = ::readlinkat(src, name.c_str(), target.data(), target.size());
      if (n < 0) fail("cannot read link", rel);
      target.resize(static_cast<std::size_t>(n));
      if (::symlinkat(target.c_str(), dst, name.c_str()) != 0) fail("cannot create link", rel);
      if (::utimensat(dst, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) fail("cannot set times of", rel);
      ++stats.links;
    } else if (S_ISREG(st.st_mode)) {
      copy_file(src, dst, name, rel);
      Fd to(::openat(dst, name.c_str(), O_RDONLY | O_CLOEXEC));
      if (to.get() < 0 || ::fchmod(to.get(), perms) != 0 || ::futimens(to.get(), times) != 0) {
        fail("cannot set attributes of", rel);
      }
      ++stats.files;
    } else {
      ++stats.skipped;
    }
  }

  static void copy_file(int src, int dst, const std::string& name, const std::string& rel) {
    Fd in(::openat(src, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (in.get() < 0) fail("cannot open", rel);
    Fd out(::openat(dst, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (out.get() < 0) fail("cannot create", rel);
    char buf[65536];
    for (;;) {
      const ssize_t n = ::read(in.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("cannot read", rel);
      if (n == 0) break;
      for (ssize_t done = 0; done < n;) {
        const ssize_t w = ::write(out.get(), buf + done, static_cast<std::size_t>(n - done));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) fail("cannot write the copy of", rel);
        done += w;
      }
    }
  }

  const std::set<std::string>& opaque_;
};

}  // namespace

ReplicaStats replicate_tree(const stdfs::path& from, const stdfs::path& to, const std::set<std::string>& opaque) {
  const auto start = std::chrono::steady_clock::now();
  Fd src(::open(from.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (src.get() < 0) fail("cannot open", from.string());
  Fd dst(::open(to.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dst.get() < 0) fail("cannot open", to.string());
  Replicator r(opaque);
  r.copy_dir(src.get(), dst.get(), "", true);
  struct stat st {};
  if (::fstat(src.get(), &st) == 0) {
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    ::fchmod(dst.get(), st.st_mode & 07777);
    ::futimens(dst.get(), times);
  }
  r.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r.stats;
}

}  // namespace lima::bench
