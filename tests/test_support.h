// Shared test fixtures: temp directories that always go away, file helpers.
#pragma once

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

namespace lima::test {

namespace stdfs = std::filesystem;

/// A fresh directory under $TMPDIR, removed (permissions restored first)
/// when the object goes away, even when a test fails.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (stdfs::temp_directory_path() / "limafs-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    for (auto it = stdfs::recursive_directory_iterator(path_, stdfs::directory_options::skip_permission_denied, ec);
         !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec))
      if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0755);
    ::chmod(path_.c_str(), 0755);
    stdfs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const stdfs::path& path() const { return path_; }
  stdfs::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  stdfs::path path_;
};

/// fs.inotify.max_queued_events, if readable.
inline std::optional<std::size_t> inotify_queue_limit() {
  std::ifstream f("/proc/sys/fs/inotify/max_queued_events");
  std::size_t n = 0;
  if (!(f >> n)) return std::nullopt;
  return n;
}

/// Writes `content` to p, creating parent directories.
inline void write_file(const stdfs::path& p, const std::string& content) {
  stdfs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << content;
  if (!f) throw std::runtime_error("cannot write " + p.string());
}

/// `n` deterministic pseudo-random bytes.
inline std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    auto v = rng();
    for (std::size_t k = 0; k < 8 && i + k < n; ++k) s[i + k] = static_cast<char>(v >> (8 * k));
  }
  return s;
}

/// `n` bytes (at least 33) that start as a PNG of w × h pixels (signature
/// and IHDR chunk, all the index reads of an image), then random bytes.
inline std::string png_start(std::uint32_t w, std::uint32_t h, std::size_t n, unsigned seed) {
  auto be32 = [](std::uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                       static_cast<char>(v)};
  };
  std::string s = std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + "IHDR" + be32(w) + be32(h) +
                  std::string("\x08\x02\0\0\0", 5) + be32(0);
  return s + random_bytes(n > s.size() ? n - s.size() : 0, seed);
}

inline std::string read_file(const stdfs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

/// Sets a file's mtime (seconds since the epoch), without following symlinks.
inline void set_mtime(const stdfs::path& p, long secs) {
  timespec ts[2] = {{secs, 0}, {secs, 0}};
  ::utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW);
}

/// Output of a shell command (stdout), or throws.
inline std::string shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  ::pclose(p);
  return out;
}

/// Mounts a fresh tmpfs at `where` (root only) and lazily unmounts it when
/// destroyed, even when a test fails. ok() says whether the mount worked.
class TmpfsMount {
 public:
  explicit TmpfsMount(const stdfs::path& where, const std::string& size = "16m") : where_(where) {
    ok_ = ::mount("tmpfs", where.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~TmpfsMount() {
    if (ok_) ::umount2(where_.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  bool ok() const { return ok_; }

 private:
  stdfs::path where_;
  bool ok_ = false;
};

/// Fills the filesystem of `file`'s folder: writes `file` until no space is
/// left. Returns the bytes written.
inline std::uint64_t fill_filesystem(const stdfs::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + file.string());
  const std::string chunk(64 * 1024, 'f');
  std::uint64_t n = 0;
  for (std::size_t len = chunk.size(); len > 0;) {
    const auto w = ::write(fd, chunk.data(), len);
    if (w > 0) n += static_cast<std::uint64_t>(w);
    else len /= 2;  // the last few blocks
  }
  ::close(fd);
  return n;
}

/// Appends to a file, one byte per write and as fast as it can, until
/// destroyed: a writer that keeps a file changing while something reads it.
/// The constructor returns once the first byte is written.
class AppendingWriter {
 public:
  explicit AppendingWriter(const stdfs::path& p)
      : thread_([this, p] {
          int fd = ::open(p.c_str(), O_WRONLY | O_APPEND);
          while (!stop_ && fd >= 0 && ::write(fd, "x", 1) == 1) {
            writes_.fetch_add(1);
            writes_.notify_all();
            std::this_thread::yield();
          }
          if (fd >= 0) ::close(fd);
          stop_ = true;
          writes_.fetch_add(1);
          writes_.notify_all();
        }) {
    writes_.wait(0);
  }
  ~AppendingWriter() {
    stop_ = true;
    thread_.join();
  }
  AppendingWriter(const AppendingWriter&) = delete;
  AppendingWriter& operator=(const AppendingWriter&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> writes_{0};
  std::thread thread_;
};

}  // namespace lima::test
