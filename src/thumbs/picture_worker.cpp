#include "thumbs/picture_worker.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "thumbs/make_picture.h"
#include "thumbs/vips_runtime.h"

namespace lima::thumbs {

namespace {
constexpr auto kRateWindow = std::chrono::seconds(10);

// Pictures are background work: the calling worker thread (and the libvips
// threads it starts, which inherit it) yields the CPU to the mount and the
// API (nice 10) and its reads to theirs (best-effort I/O, lowest level).
void lower_priority() {
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  (void)::setpriority(PRIO_PROCESS, tid, 10);
  constexpr int kWhoProcess = 1, kClassBestEffort = 2, kClassShift = 13, kLowest = 7;
  (void)::syscall(SYS_ioprio_set, kWhoProcess, static_cast<int>(tid), (kClassBestEffort << kClassShift) | kLowest);
}
constexpr std::size_t kBatch = 256;  // asked of Hooks::more at a time
}  // namespace

tl::expected<std::unique_ptr<PictureWorker>, std::string> PictureWorker::start(PictureWorkerOptions options,
                                                                               Hooks hooks) {
  if (auto v = start_vips(); !v) return tl::unexpected("cannot start libvips: " + v.error());
  std::unique_ptr<PictureWorker> w(new PictureWorker(std::move(options), std::move(hooks)));
  const int n = std::max(1, w->opts_.workers);
  for (int i = 0; i < n; ++i) w->threads_.emplace_back([p = w.get()] { p->run(); });
  return w;
}

PictureWorker::PictureWorker(PictureWorkerOptions options, Hooks hooks)
    : opts_(std::move(options)), hooks_(std::move(hooks)), store_(opts_.store) {}

PictureWorker::~PictureWorker() { stop(); }

void PictureWorker::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

PictureWorker::Answer PictureWorker::request(const PictureJob& job) {
  if (auto f = store_.find(job.hash, job.size)) return {Status::ready, *f, {}};
  if (auto failure = store_.failure(job.hash)) return {Status::failed, {}, *failure};
  {
    std::lock_guard lock(mu_);
    const auto k = key(job);
    if (queued_.insert(k).second) {
      queue_.push_front(job);
    } else {
      // Waiting already: move it to the front (unless it is being made).
      auto it = std::find_if(queue_.begin(), queue_.end(), [&](const PictureJob& j) { return key(j) == k; });
      if (it != queue_.end() && it != queue_.begin()) {
        PictureJob moved = std::move(*it);
        queue_.erase(it);
        queue_.push_front(std::move(moved));
      }
    }
  }
  wake_.notify_one();
  return {};
}

void PictureWorker::enqueue(const PictureJob& job) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= kMaxQueued) {
      exhausted_ = false;  // found again through `more`
      ++pokes_;
      return;
    }
    if (!queued_.insert(key(job)).second) return;
    queue_.push_back(job);
  }
  wake_.notify_one();
}

void PictureWorker::poke() {
  {
    std::lock_guard lock(mu_);
    exhausted_ = false;
    ++pokes_;
  }
  wake_.notify_one();
}

PictureStats PictureWorker::stats() const {
  std::lock_guard lock(mu_);
  PictureStats s;
  s.queued = queue_.size();
  s.running = running_;
  s.made = made_;
  s.failed = failed_;
  s.workers = static_cast<int>(threads_.size());
  const auto now = Clock::now();
  const auto n = std::count_if(recent_.begin(), recent_.end(), [&](auto t) { return now - t <= kRateWindow; });
  s.per_second = static_cast<double>(n) / std::chrono::duration<double>(kRateWindow).count();
  return s;
}

void PictureWorker::run() {
  lower_priority();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (queue_.empty() && !exhausted_ && !asking_ && hooks_.more) {
      asking_ = true;
      const auto pokes = pokes_;
      lock.unlock();
      std::vector<PictureJob> more;
      try {
        more = hooks_.more(kBatch, store_);
      } catch (...) {
        more.clear();
      }
      lock.lock();
      asking_ = false;
      // A poke while it asked may name work the answer missed: ask again.
      if (more.empty() && pokes == pokes_) exhausted_ = true;
      for (auto& j : more)
        if (queued_.insert(key(j)).second) queue_.push_back(std::move(j));
      wake_.notify_all();
      continue;
    }
    if (queue_.empty()) {
      wake_.wait(lock);
      continue;
    }
    PictureJob job = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    make(job);
    lock.lock();
    --running_;
    queued_.erase(key(job));
    const auto now = Clock::now();
    recent_.push_back(now);
    while (!recent_.empty() && now - recent_.front() > kRateWindow) recent_.pop_front();
  }
  lock.unlock();
  end_vips_thread();
}

void PictureWorker::make(const PictureJob& job) {
  if (store_.find(job.hash, job.size) || store_.failure(job.hash)) return;  // made meanwhile
  auto picture = make_picture(job.file, job.size, Format::webp, opts_.limits);
  if (picture) {
    // A state directory that cannot be written loses this picture only: it
    // is asked for (and made) again.
    if (store_.put(job.hash, job.size, *picture)) {
      std::lock_guard lock(mu_);
      ++made_;
    }
    return;
  }
  // A file that vanished under us is not this content's failure: the next
  // sync brings its new state.
  if (::access(job.file.c_str(), F_OK) != 0) return;
  (void)store_.put_failure(job.hash, picture.error());
  {
    std::lock_guard lock(mu_);
    ++failed_;
  }
  if (hooks_.failed) hooks_.failed(job, picture.error());
}

}  // namespace lima::thumbs
