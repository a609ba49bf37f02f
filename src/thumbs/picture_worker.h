// The thumbnail worker: a queue of files to make pictures of and the
// threads that make them into the picture store. What a client waits for
// goes to the front; what a sync found new goes to the back; when the queue
// runs low it asks for more (the daemon walks its index in batches), so the
// memory it holds is bounded by a batch, never by the library. Its threads
// run at nice 10 and the lowest best-effort I/O priority: browsing the
// mount and the API come first.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "thumbs/picture.h"
#include "thumbs/picture_store.h"

namespace lima::thumbs {

struct PictureJob {
  std::string hash;            ///< the file's content hash, 32 hex digits
  std::filesystem::path file;  ///< absolute
  int size = kDefaultSize;
};

struct PictureStats {
  std::uint64_t queued = 0;   ///< waiting in the queue
  std::uint64_t running = 0;  ///< being made now
  std::uint64_t made = 0;     ///< made since the start
  std::uint64_t failed = 0;   ///< could not be made since the start (each once per content)
  double per_second = 0;      ///< made or failed per second, over the last 10 s
  int workers = 0;
};

struct PictureWorkerOptions {
  std::filesystem::path store;  ///< STATE/pictures
  int workers = 2;
  Limits limits;
};

class PictureWorker {
 public:
  struct Hooks {
    /// More background work when the queue runs low: up to `max` jobs whose
    /// pictures are neither stored nor failed; none when nothing is left.
    /// Called on a worker thread, one call at a time, with the worker's
    /// store (also before start() has returned).
    std::function<std::vector<PictureJob>(std::size_t max, PictureStore& store)> more;
    /// A file got no picture (its failure is stored); on a worker thread.
    std::function<void(const PictureJob&, const Failure&)> failed;
  };

  /// Starts libvips (once per process) and the worker threads. Errors:
  /// libvips cannot start.
  static tl::expected<std::unique_ptr<PictureWorker>, std::string> start(PictureWorkerOptions options, Hooks hooks);
  ~PictureWorker();
  PictureWorker(const PictureWorker&) = delete;
  PictureWorker& operator=(const PictureWorker&) = delete;

  /// Ends the threads after the files being made now (each bounded by the
  /// time cap). Idempotent.
  void stop();

  enum class Status { ready, pending, failed };
  struct Answer {
    Status status = Status::pending;
    std::filesystem::path file;  ///< ready: the stored picture
    Failure failure;             ///< failed: why
  };
  /// What a client asks for: the stored picture, the stored failure, or
  /// pending, with the job moved to the front of the queue.
  Answer request(const PictureJob& job);
  /// Background work (new and changed files): the back of the queue,
  /// repeats dropped, at most kMaxQueued waiting (the rest is found again
  /// through Hooks::more).
  void enqueue(const PictureJob& job);
  /// Asks Hooks::more again (the index changed since it said "nothing").
  void poke();
  PictureStats stats() const;
  PictureStore& store() { return store_; }
  const PictureStore& store() const { return store_; }

  static constexpr std::size_t kMaxQueued = 10000;

 private:
  PictureWorker(PictureWorkerOptions options, Hooks hooks);
  void run();
  void make(const PictureJob& job);
  static std::string key(const PictureJob& job) { return job.hash + "-" + std::to_string(job.size); }

  PictureWorkerOptions opts_;
  Hooks hooks_;
  PictureStore store_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<PictureJob> queue_;
  std::unordered_set<std::string> queued_;   // keys in queue_ or being made
  bool stopping_ = false;
  bool exhausted_ = false;  // `more` said nothing is left, until poked
  bool asking_ = false;     // a thread is in `more`
  std::uint64_t pokes_ = 0;  // poke() calls, so one made while asking is not lost
  std::uint64_t running_ = 0, made_ = 0, failed_ = 0;
  std::deque<Clock::time_point> recent_;  // completions of the last 10 s
  std::vector<std::thread> threads_;
};

}  // namespace lima::thumbs
