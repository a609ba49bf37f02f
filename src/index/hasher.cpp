#include "index/hasher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#if defined(__x86_64__)
#include <xxh_x86dispatch.h>  // XXH3 with the best vector unit the CPU has (AVX2, …)
#endif

#include <cerrno>
#include <memory>

namespace lima::index {

namespace {

std::int64_t mtime_of(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

int open_for_hash(int dirfd, const char* name) {
  const int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  int fd = ::openat(dirfd, name, flags | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::openat(dirfd, name, flags);  // O_NOATIME needs ownership
  return fd;
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

HashedFile hash_file(int dirfd, const char* name, std::span<char> buffer, int attempts) {
  HashedFile out;
  Fd f{open_for_hash(dirfd, name)};
  if (f.fd < 0) {
    out.error = errno == ELOOP ? 0 : errno;
    out.not_regular = errno == ELOOP;  // O_NOFOLLOW on a symlink
    return out;
  }
  struct stat before{};
  if (::fstat(f.fd, &before) != 0) {
    out.error = errno;
    return out;
  }
  if (!S_ISREG(before.st_mode)) {
    out.not_regular = true;
    return out;
  }
  ::posix_fadvise(f.fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  XXH3_state_t* state = XXH3_createState();
  if (!state) {
    out.error = ENOMEM;
    return out;
  }
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> guard(state, XXH3_freeState);

  for (int attempt = 0; attempt < attempts; ++attempt) {
    XXH3_128bits_reset(state);
    off_t offset = 0;
    for (;;) {
      ssize_t n = ::pread(f.fd, buffer.data(), buffer.size(), offset);
      if (n < 0) {
        if (errno == EINTR) continue;
        out.error = errno;
        return out;
      }
      if (n == 0) break;
      XXH3_128bits_update(state, buffer.data(), static_cast<std::size_t>(n));
      offset += n;
    }
    struct stat after{};
    if (::fstat(f.fd, &after) != 0) {
      out.error = errno;
      return out;
    }
    const bool stable = after.st_size == before.st_size && mtime_of(after) == mtime_of(before) &&
                        offset == before.st_size;
    if (stable) {
      XXH128_canonical_t canon;
      XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(state));
      for (std::size_t i = 0; i < 16; ++i) out.hash.bytes[i] = canon.digest[i];
      out.dev = before.st_dev;
      out.ino = before.st_ino;
      out.size = static_cast<std::uint64_t>(before.st_size);
      out.mtime_ns = mtime_of(before);
      return out;
    }
    before = after;
  }
  out.unstable = true;
  return out;
}

std::optional<ContentHash> hash_path(const std::filesystem::path& p) {
  std::vector<char> buf(std::size_t{1} << 20);
  auto r = hash_file(AT_FDCWD, p.c_str(), buf);
  if (r.error || r.not_regular || r.unstable) return std::nullopt;
  return r.hash;
}

// ---- HashPool -------------------------------------------------------------

HashPool::HashPool(unsigned threads, std::size_t queue_capacity, std::size_t buffer_bytes)
    : capacity_(queue_capacity), buffer_bytes_(buffer_bytes) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.emplace_back([this, i] { work(i); });
}

HashPool::~HashPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  has_job_.notify_all();
  for (auto& t : threads_) t.join();
}

void HashPool::submit(Job job) {
  std::unique_lock lock(mu_);
  has_room_.wait(lock, [&] { return queue_.size() < capacity_; });
  queue_.push_back(std::move(job));
  lock.unlock();
  has_job_.notify_one();
}

void HashPool::wait_idle() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
}

void HashPool::work(std::size_t) {
  std::vector<char> buffer(buffer_bytes_);
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      has_job_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    has_room_.notify_one();
    job(buffer);
    {
      std::lock_guard lock(mu_);
      --running_;
      if (queue_.empty() && running_ == 0) idle_.notify_all();
    }
  }
}

}  // namespace lima::index
