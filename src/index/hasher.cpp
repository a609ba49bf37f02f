#include "index/hasher.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#if defined(__x86_64__)
#include <xxh_x86dispatch.h>  // XXH3 with the best vector unit the CPU has (AVX2, …)
#endif

#include <cerrno>
#include <algorithm>
#include <memory>

#include "index/unique_fd.h"

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

}  // namespace

HashedFile hash_file(int dirfd, const char* name, std::span<char> buffer, const struct stat* expected,
                     int attempts, const std::function<bool()>& stop, const HeadReader& head) {
  HashedFile out;
  UniqueFd f{open_for_hash(dirfd, name)};
  if (f.fd < 0) {
    out.error = errno == ELOOP ? 0 : errno;
    out.not_regular = errno == ELOOP;  // O_NOFOLLOW on a symlink
    return out;
  }
  struct stat before{};
  if (expected) {
    before = *expected;  // what the walk saw; checked against the fd after reading
  } else if (::fstat(f.fd, &before) != 0) {
    out.error = errno;
    return out;
  }
  if (!S_ISREG(before.st_mode)) {
    out.not_regular = true;
    return out;
  }
  if (before.st_size > (off_t{1} << 20)) ::posix_fadvise(f.fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  // One XXH3 state per thread, reused for every file.
  thread_local std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(), XXH3_freeState);
  if (!state) {
    out.error = ENOMEM;
    return out;
  }

  for (int attempt = 0; attempt < attempts; ++attempt) {
    XXH3_128bits_reset(state.get());
    // Read exactly the expected size; the last read asks for one byte more,
    // so reaching the end needs no extra call and growth is noticed.
    const off_t size = before.st_size;
    off_t offset = 0;
    bool changed = false;
    while (offset <= size) {
      const auto want = static_cast<std::size_t>(std::min<off_t>(static_cast<off_t>(buffer.size()), size - offset + 1));
      ssize_t n = ::pread(f.fd, buffer.data(), want, offset);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EISDIR || errno == ESPIPE || errno == EINVAL) out.not_regular = true;
        else out.error = errno;
        return out;
      }
      if (n == 0) break;  // shorter than expected
      if (head && offset == 0)
        head(std::string_view(buffer.data(), static_cast<std::size_t>(n)), static_cast<std::size_t>(n) < want);
      XXH3_128bits_update(state.get(), buffer.data(), static_cast<std::size_t>(n));
      offset += n;
      if (static_cast<std::size_t>(n) < want) break;  // end of file
      if (stop && stop()) {
        out.stopped = true;
        return out;
      }
    }
    changed = offset != size;
    struct stat after{};
    if (::fstat(f.fd, &after) != 0) {
      out.error = errno;
      return out;
    }
    if (!S_ISREG(after.st_mode)) {
      out.not_regular = true;
      return out;
    }
    changed = changed || after.st_size != before.st_size || mtime_of(after) != mtime_of(before) ||
              after.st_ino != before.st_ino || after.st_dev != before.st_dev;
    if (!changed) {
      XXH128_canonical_t canon;
      XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(state.get()));
      for (std::size_t i = 0; i < 16; ++i) out.hash.bytes[i] = canon.digest[i];
      out.dev = after.st_dev;
      out.ino = after.st_ino;
      out.size = static_cast<std::uint64_t>(after.st_size);
      out.mtime_ns = mtime_of(after);
      return out;
    }
    before = after;  // try again against what the file is now
  }
  out.unstable = true;
  return out;
}

std::optional<std::string_view> read_head(int dirfd, const char* name, std::span<char> buffer) {
  UniqueFd f{open_for_hash(dirfd, name)};
  struct stat st{};
  if (f.fd < 0 || ::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  for (;;) {
    const ssize_t n = ::pread(f.fd, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    return std::string_view(buffer.data(), static_cast<std::size_t>(n));
  }
}

std::optional<ContentHash> hash_path(const std::filesystem::path& p) {
  std::vector<char> buf(std::size_t{1} << 20);
  auto r = hash_file(AT_FDCWD, p.c_str(), buf, nullptr);
  if (r.error || r.not_regular || r.unstable) return std::nullopt;
  return r.hash;
}

// ---- HashPool -------------------------------------------------------------

HashPool::HashPool(unsigned threads, std::size_t queue_capacity, std::size_t buffer_bytes, int nice)
    : capacity_(queue_capacity), buffer_bytes_(buffer_bytes), nice_(nice) {
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

void lower_thread_priority(int steps) {
  if (steps <= 0) return;
  const auto tid = static_cast<id_t>(::gettid());
  errno = 0;
  const int now = ::getpriority(PRIO_PROCESS, tid);
  if (errno == 0) ::setpriority(PRIO_PROCESS, tid, std::min(now + steps, 19));  // best effort
}

void HashPool::work(std::size_t) {
  lower_thread_priority(nice_);
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
    try {
      job(buffer);
    } catch (...) {
      // Jobs report their own failures; one that still throws must not take
      // the process down with it.
    }
    {
      std::lock_guard lock(mu_);
      --running_;
      if (queue_.empty() && running_ == 0) idle_.notify_all();
    }
  }
}

}  // namespace lima::index
