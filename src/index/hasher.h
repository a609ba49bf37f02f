// Content hashing: XXH3-128 of a file's bytes (what `xxhsum -H2` prints), and
// a pool of worker threads so several files are read and hashed at once
// while the walk goes on.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

#include "index/records.h"

namespace lima::index {

/// The file as it was hashed.
struct HashedFile {
  ContentHash hash;
  std::uint64_t dev = 0, ino = 0, size = 0;
  std::int64_t mtime_ns = 0;
  int error = 0;           ///< errno of a failed open/read (ENOENT: vanished)
  bool not_regular = false;  ///< the name no longer refers to a regular file
  bool unstable = false;   ///< kept changing while being read
  bool stopped = false;    ///< given up part way because `stop` said so
};

/// Hashes the regular file `name` in directory `dirfd` (AT_FDCWD for a
/// path), never following a symlink and never blocking on a FIFO. The file's
/// access time is left alone where the kernel allows it. `expected` is the
/// file's stat from the walk, if any (saves a call; a file that is no longer
/// what the walk saw is re-read). A file that changes while being read is
/// re-read, up to `attempts` times. `stop`, when given, is asked between
/// two reads: true gives the file up (`stopped`), so a cancelled sync does
/// not wait for a large file to be read to its end. `head`, when given, is
/// shown the first bytes read (one buffer at most) and whether they are
/// the whole file, once per attempt: the last call is the hashed content's.
using HeadReader = std::function<void(std::string_view head, bool whole)>;
HashedFile hash_file(int dirfd, const char* name, std::span<char> buffer, const struct stat* expected,
                     int attempts = 3, const std::function<bool()>& stop = {}, const HeadReader& head = {});

/// The first bytes of the regular file `name` in `dirfd` (up to the
/// buffer's size), opened as hash_file() opens it; nullopt when it cannot
/// be read. The view points into `buffer`.
std::optional<std::string_view> read_head(int dirfd, const char* name, std::span<char> buffer);

/// Convenience for tests and tools: the hash of a path, or nullopt.
std::optional<ContentHash> hash_path(const std::filesystem::path& p);

/// Makes the calling thread (and the threads it starts from now on) `steps`
/// nicer; best effort.
void lower_thread_priority(int steps);

/// A fixed set of worker threads, each with its own read buffer, fed through
/// a bounded queue (submit() blocks while it is full).
class HashPool {
 public:
  using Job = std::function<void(std::span<char> buffer)>;
  /// The default buffer is small enough to stay in a core's L2 cache between
  /// the copy from the page cache and the hashing.
  /// Workers run `nice` steps nicer than the thread that makes the pool
  /// (setpriority(2) per thread): whoever consumes their results is not
  /// starved by them.
  HashPool(unsigned threads, std::size_t queue_capacity, std::size_t buffer_bytes = std::size_t{128} << 10,
           int nice = 0);
  ~HashPool();
  HashPool(const HashPool&) = delete;
  HashPool& operator=(const HashPool&) = delete;

  void submit(Job job);
  /// Blocks until every submitted job has finished.
  void wait_idle();

 private:
  void work(std::size_t index);

  std::mutex mu_;
  std::condition_variable has_job_, has_room_, idle_;
  std::deque<Job> queue_;
  std::size_t capacity_, running_ = 0, buffer_bytes_;
  int nice_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace lima::index
