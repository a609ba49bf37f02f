#include "index/sync_coordinator.h"

#include <algorithm>

#include "index/runs.h"

namespace lima::index {

SyncCoordinator::SyncCoordinator(Catalog& catalog, SyncSettings settings)
    : catalog_(catalog), settings_(std::move(settings)) {}

SyncCoordinator::~SyncCoordinator() {
  cancel_ = true;
  if (worker_.joinable()) worker_.join();
}

Result<Run> SyncCoordinator::run(Mode mode, const std::string& scope, Trigger trigger, SyncProgress* progress,
                                 const std::function<void(const Run&)>& on_begin, const std::atomic<bool>* cancel,
                                 std::vector<std::string> held, const std::vector<std::string>& complete) {
  std::lock_guard run_lock(run_mu_);
  SyncOptions o;
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
  o.on_begin = [&](const Run& begun) {
    {
      std::lock_guard l(mu_);
      executing_ = begun.id;
    }
    generation_.fetch_add(1);
    if (on_begin) on_begin(begun);
  };
  auto r = run_sync(catalog_, o);
  {
    std::lock_guard l(mu_);
    executing_.reset();
  }
  generation_.fetch_add(1);
  if (r) record(*r);
  return r;
}

Result<SyncCoordinator::Started> SyncCoordinator::start(Mode mode, const std::string& scope, Trigger trigger) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !background_ || current_; });  // another start is being recorded
  if (background_) {
    // The run may have just ended (its record says so) while its thread
    // winds down: then wait for that, and start a new one.
    ReadTxn t(catalog_.env());
    auto now = RunLog(catalog_).get(t, current_->id);
    t.commit();
    if (now && now->status == RunStatus::running) return Started{*now, false};
    cv_.wait(lock, [&] { return !background_; });
  }
  if (worker_.joinable()) worker_.join();  // the previous run has ended
  background_ = true;
  progress_ = std::make_unique<SyncProgress>();
  struct Outcome {
    std::optional<Error> error;
    bool settled = false;
  };
  auto outcome = std::make_shared<Outcome>();  // shared: the worker outlives this call
  worker_ = std::thread([this, mode, scope, trigger, outcome] {
    auto r = run(mode, scope, trigger, progress_.get(), [&](const Run& begun) {
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
  ReadTxn t(catalog_.env());
  auto runs = RunLog(catalog_).list(t, 1);
  if (runs.empty()) return fail(Errc::io, "the sync run vanished from the index");
  return Started{runs.front(), true};
}

Result<Run> SyncCoordinator::run_now(Mode mode, const std::string& scope, Trigger trigger, SyncProgress* progress,
                                     const std::atomic<bool>* cancel, std::vector<std::string> held) {
  return run(mode, scope, trigger, progress, {}, cancel, std::move(held));
}

Result<Run> SyncCoordinator::index_written(const std::string& scope, const std::vector<std::string>& files) {
  if (written_hook_)
    for (const auto& f : files) written_hook_(f);
  return run(Mode::incremental, scope, Trigger::api, nullptr, {}, nullptr, {}, files);
}

Result<Run> SyncCoordinator::cancel_run(RunId id) {
  bool asked = false;
  {
    std::lock_guard l(mu_);
    if (executing_ == id) {
      cancel_executing_ = true;
      asked = true;
    }
  }
  ReadTxn t(catalog_.env());  // not under mu_: readers of the index take mu_ too
  auto run = RunLog(catalog_).get(t, id);
  if (!run) return fail(Errc::not_found, "no sync run with id " + std::to_string(id));
  if (!asked) {
    // A record still saying "running" belongs to a process that died.
    const auto status = run->status == RunStatus::running ? RunStatus::interrupted : run->status;
    return fail(Errc::conflict, "sync run " + std::to_string(id) + " is not running (it ended " +
                                    std::string(to_string(status)) + ")");
  }
  return *run;
}

std::optional<RunId> SyncCoordinator::running() const {
  std::lock_guard l(mu_);
  if (current_) return current_->id;
  return std::nullopt;
}

std::optional<RunProgress> SyncCoordinator::progress(RunId id) const {
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
  RunProgress r;
  r.phase = static_cast<SyncPhase>(p.phase.load());
  r.files_done = std::min(done, total);
  r.files_total = total;
  r.files_total_final = walked;
  r.bytes_done = p.bytes_hashed.load();
  r.bytes_total = p.bytes_to_hash.load();
  r.items_written = p.items_written.load();
  r.items_to_write = p.items_to_write.load();
  return r;
}

void SyncCoordinator::record(const Run& run) {
  std::lock_guard l(mu_);
  ++metrics_.finished_by_status[std::string(to_string(run.status))];
  if (run.ended_ns <= run.started_ns) return;
  const double secs = static_cast<double>(run.ended_ns - run.started_ns) / 1e9;
  for (std::size_t i = 0; i < SyncMetrics::kBuckets.size(); ++i)
    if (secs <= SyncMetrics::kBuckets[i]) ++metrics_.duration_buckets[i];
  metrics_.duration_sum += secs;
  ++metrics_.duration_count;
  metrics_.last_duration = secs;
}

SyncMetrics SyncCoordinator::metrics() const {
  std::lock_guard l(mu_);
  SyncMetrics m = metrics_;
  m.running = background_;
  return m;
}

void SyncCoordinator::wait_idle() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !background_; });
  lock.unlock();
  std::lock_guard run_lock(run_mu_);
}

}  // namespace lima::index
