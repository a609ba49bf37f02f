#include "http/sync_service.h"

#include <malloc.h>

#include <algorithm>
#include <array>
#include <sstream>

#include "index/runs.h"

namespace lima::http {

namespace {

constexpr std::array<double, 10> kBuckets{0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 7200};

std::string_view phase_name(int phase) {
  switch (static_cast<index::SyncPhase>(phase)) {
    case index::SyncPhase::starting: return "starting";
    case index::SyncPhase::walking: return "walking";
    case index::SyncPhase::writing: return "writing";
    case index::SyncPhase::done: return "done";
  }
  return "unknown";
}

}  // namespace

SyncService::SyncService(index::Catalog& catalog, SyncSettings settings)
    : catalog_(catalog), settings_(std::move(settings)), duration_buckets_(kBuckets.size(), 0) {}

SyncService::~SyncService() {
  cancel_ = true;
  if (worker_.joinable()) worker_.join();
}

index::Result<index::Run> SyncService::run(index::Mode mode, const std::string& scope, index::Trigger trigger,
                                           index::SyncProgress* progress,
                                           const std::function<void(const index::Run&)>& on_begin,
                                           const std::atomic<bool>* cancel, std::vector<std::string> held,
                                           const std::vector<std::string>& complete) {
  std::lock_guard run_lock(run_mu_);
  index::SyncOptions o;
  o.library = settings_.library;
  o.ignore_globs = settings_.ignore_globs;
  o.allow_device_change = settings_.allow_device_change;
  o.mode = mode;
  o.scope = scope;
  o.trigger = trigger;
  o.held = std::move(held);
  if (held_files_) {
    auto more = held_files_();
    o.held.insert(o.held.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  std::erase_if(o.held, [&](const std::string& f) { return std::find(complete.begin(), complete.end(), f) != complete.end(); });
  o.progress = progress;
  o.cancel = cancel ? cancel : &cancel_;
  cancel_executing_ = false;  // no run is executing: nobody can set it meanwhile
  o.cancel_run = &cancel_executing_;
  o.on_begin = [&](const index::Run& begun) {
    {
      std::lock_guard l(mu_);
      executing_ = begun.id;
    }
    generation_.fetch_add(1);
    if (on_begin) on_begin(begun);
  };
  auto r = index::run_sync(catalog_, o);
  {
    std::lock_guard l(mu_);
    executing_.reset();
  }
  // A sync's snapshot of the index is large and short-lived: give its
  // memory back rather than leaving it in the allocator's per-thread pools
  // of a daemon that may now idle for hours.
  ::malloc_trim(0);
  generation_.fetch_add(1);
  if (r) record(*r);
  return r;
}

index::Result<SyncService::Started> SyncService::start(index::Mode mode, const std::string& scope,
                                                       index::Trigger trigger) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !background_ || current_; });  // another start is being recorded
  if (background_) {
    // The run may have just ended (its record says so) while its thread
    // winds down: then wait for that, and start a new one.
    index::ReadTxn t(catalog_.env());
    auto now = index::RunLog(catalog_).get(t, current_->id);
    t.commit();
    if (now && now->status == index::RunStatus::running) return Started{*now, false};
    cv_.wait(lock, [&] { return !background_; });
  }
  if (worker_.joinable()) worker_.join();  // the previous run has ended
  background_ = true;
  progress_ = std::make_unique<index::SyncProgress>();
  struct Outcome {
    std::optional<index::Error> error;
    bool settled = false;
  };
  auto outcome = std::make_shared<Outcome>();  // shared: the worker outlives this call
  worker_ = std::thread([this, mode, scope, trigger, outcome] {
    auto r = run(mode, scope, trigger, progress_.get(), [&](const index::Run& begun) {
      std::lock_guard l(mu_);
      current_ = begun;
      outcome->settled = true;
      cv_.notify_all();
    });
    std::lock_guard l(mu_);
    if (!r && !outcome->settled) outcome->error = r.error();  // never started: the caller gets the error
    outcome->settled = true;
    background_ = false;
    current_.reset();
    generation_.fetch_add(1);
    cv_.notify_all();
  });
  cv_.wait(lock, [&] { return outcome->settled; });
  if (outcome->error) return tl::unexpected(*outcome->error);
  // The run may have ended already; its record is in the index either way.
  if (current_) return Started{*current_, true};
  index::ReadTxn t(catalog_.env());
  auto runs = index::RunLog(catalog_).list(t, 1);
  if (runs.empty()) return index::fail(index::Errc::io, "the sync run vanished from the index");
  return Started{runs.front(), true};
}

index::Result<index::Run> SyncService::run_now(index::Mode mode, const std::string& scope, index::Trigger trigger,
                                               index::SyncProgress* progress, const std::atomic<bool>* cancel,
                                               std::vector<std::string> held) {
  return run(mode, scope, trigger, progress, {}, cancel, std::move(held));
}

index::Result<index::Run> SyncService::index_written(const std::string& scope, const std::vector<std::string>& files) {
  if (written_hook_)
    for (const auto& f : files) written_hook_(f);
  return run(index::Mode::incremental, scope, index::Trigger::api, nullptr, {}, nullptr, {}, files);
}

index::Result<index::Run> SyncService::cancel_run(index::RunId id) {
  bool asked = false;
  {
    std::lock_guard l(mu_);
    if (executing_ == id) {
      cancel_executing_ = true;
      asked = true;
    }
  }
  index::ReadTxn t(catalog_.env());  // not under mu_: readers of the index take mu_ too
  auto run = index::RunLog(catalog_).get(t, id);
  if (!run) return index::fail(index::Errc::not_found, "no sync run with id " + std::to_string(id));
  if (!asked) {
    // A record still saying "running" belongs to a process that died.
    const auto status = run->status == index::RunStatus::running ? index::RunStatus::interrupted : run->status;
    return index::fail(index::Errc::conflict, "sync run " + std::to_string(id) + " is not running (it ended " +
                                                  std::string(index::to_string(status)) + ")");
  }
  return *run;
}

std::optional<index::RunId> SyncService::running() const {
  std::lock_guard l(mu_);
  if (current_) return current_->id;
  return std::nullopt;
}

std::optional<nlohmann::json> SyncService::progress(index::RunId id) const {
  std::lock_guard l(mu_);
  if (!current_ || current_->id != id || !progress_) return std::nullopt;
  const auto& p = *progress_;
  const auto seen = p.files_seen.load(), expected = p.files_expected.load();
  const bool walked = p.walk_done.load();
  const auto to_hash = p.files_to_hash.load(), hashed = p.files_hashed.load();
  // Files done: walked and, where needed, hashed. The total is what the
  // walk found, or while it goes on the larger of that and the index's count.
  const auto total = walked ? seen : std::max(seen, expected);
  const auto done = seen - std::min(seen, to_hash - std::min(to_hash, hashed));
  return nlohmann::json{{"phase", phase_name(p.phase.load())},
                        {"files_done", std::min(done, total)},
                        {"files_total", total},
                        {"files_total_final", walked},
                        {"bytes_done", p.bytes_hashed.load()},
                        {"bytes_total", p.bytes_to_hash.load()},
                        {"items_written", p.items_written.load()},
                        {"items_to_write", p.items_to_write.load()}};
}

void SyncService::record(const index::Run& run) {
  std::lock_guard l(mu_);
  ++finished_by_status_[std::string(index::to_string(run.status))];
  if (run.ended_ns <= run.started_ns) return;
  const double secs = static_cast<double>(run.ended_ns - run.started_ns) / 1e9;
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (secs <= kBuckets[i]) ++duration_buckets_[i];
  duration_sum_ += secs;
  ++duration_count_;
  last_duration_ = secs;
}

std::string SyncService::metrics() const {
  std::lock_guard l(mu_);
  std::ostringstream o;
  o << "# HELP limafs_sync_running 1 while a sync run is going on.\n# TYPE limafs_sync_running gauge\n"
    << "limafs_sync_running " << (background_ ? 1 : 0) << "\n";
  o << "# HELP limafs_sync_runs_total Sync runs finished since the daemon started, by status.\n"
    << "# TYPE limafs_sync_runs_total counter\n";
  for (const auto& [status, n] : finished_by_status_) o << "limafs_sync_runs_total{status=\"" << status << "\"} " << n << "\n";
  o << "# HELP limafs_sync_duration_seconds How long sync runs took.\n# TYPE limafs_sync_duration_seconds histogram\n";
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    o << "limafs_sync_duration_seconds_bucket{le=\"" << kBuckets[i] << "\"} " << duration_buckets_[i] << "\n";
  o << "limafs_sync_duration_seconds_bucket{le=\"+Inf\"} " << duration_count_ << "\n"
    << "limafs_sync_duration_seconds_sum " << duration_sum_ << "\n"
    << "limafs_sync_duration_seconds_count " << duration_count_ << "\n";
  o << "# HELP limafs_sync_last_duration_seconds Duration of the last finished run.\n"
    << "# TYPE limafs_sync_last_duration_seconds gauge\nlimafs_sync_last_duration_seconds " << last_duration_ << "\n";
  return o.str();
}

void SyncService::wait_idle() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !background_; });
  lock.unlock();
  std::lock_guard run_lock(run_mu_);
}

}  // namespace lima::http
