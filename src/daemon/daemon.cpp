#include "daemon/daemon.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "fs/live_status_text.h"
#include "http/status_views.h"
#include "fs/mount.h"
#include "index/log.h"
#include "index/names.h"
#include "index/picture_failures.h"

namespace lima::daemon {

namespace {

// The mount's request counters as Prometheus text.
std::string fuse_metrics(const fs::RequestStats& stats) {
  std::string out =
      "# HELP limafs_fuse_requests_total Requests the kernel sent the mount, by operation.\n"
      "# TYPE limafs_fuse_requests_total counter\n";
  for (std::size_t i = 0; i < fs::kOpNames.size(); ++i)
    out += "limafs_fuse_requests_total{op=\"" + std::string(fs::kOpNames[i]) + "\"} " +
           std::to_string(stats.get(static_cast<fs::Op>(i))) + "\n";
  return out;
}

DaemonOptions with_live_defaults(DaemonOptions o) {
  o.live.library = o.library;
  o.live.ignore_globs = o.ignore_globs;
  return o;
}

}  // namespace

Daemon::Daemon(DaemonOptions options, std::unique_ptr<index::Catalog> catalog)
    : opts_(with_live_defaults(std::move(options))),
      catalog_(std::move(catalog)),
      syncs_(*catalog_, {opts_.library, opts_.ignore_globs, opts_.allow_device_change}),
      live_(*catalog_, opts_.live,
            [this](const index::SyncRequest& r) {
              return syncs_.run_now(r.mode, r.scope, r.trigger, nullptr, r.cancel, r.held);
            }),
      feed_(*catalog_, opts_.library),
      started_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count()) {
  syncs_.set_held_files([this] { return live_.files_being_written(); });
  syncs_.set_written_hook([this](const std::string& path) { live_.written_by_daemon(path); });
}

index::Result<std::unique_ptr<Daemon>> Daemon::start(DaemonOptions options, const StopSignals& signals) {
  auto catalog = index::Catalog::open(options.state, index::OpenMode::read_write);
  if (!catalog) return tl::unexpected(catalog.error());
  std::unique_ptr<Daemon> d(new Daemon(std::move(options), std::move(*catalog)));

  http::ApiContext ctx;
  ctx.catalog = d->catalog_.get();
  ctx.library = d->opts_.library;
  ctx.sync = &d->syncs_;
  ctx.settle = [d = d.get()] {
    if (auto* m = d->mounted_.load()) m->flush();
  };
  ctx.extra_metrics = [d = d.get()] {
    auto* m = d->mounted_.load();
    return m ? fuse_metrics(m->stats()) : std::string();
  };
  ctx.mount_status = [d = d.get()] {
    auto* m = d->mounted_.load();
    return nlohmann::json{{"mountpoint", d->opts_.mountpoint.string()}, {"mounted", m && !m->finished()}};
  };
  ctx.live_status = [d = d.get()] { return d->live_.status(); };
  ctx.started_ns = d->started_ns_;
  ctx.version = d->opts_.version;

  // Only the main thread takes the stop signals.
  const auto masked = signals.masked();
  d->backup_ = std::make_unique<index::BackupWriter>(*d->catalog_);
  if (auto started = d->start_pictures(); !started) return tl::unexpected(started.error());
  ctx.pictures = d->pictures_.get();
  auto api = http::ApiServer::start(std::move(ctx), d->opts_.api);
  if (!api) return index::fail(api.error().code, "cannot start the control API: " + api.error().message);
  d->api_ = std::move(*api);
  // Watching starts before the startup sync, so that nothing changed while
  // it runs is missed; what the watcher sees meanwhile is synced after it.
  d->live_.start();
  return d;
}

Daemon::~Daemon() { stop(); }

std::string Daemon::api_url() const { return api_->url(); }

void Daemon::wait_for_watches() {
  if (!live_.wait_started(std::chrono::seconds(60))) log::warning("setting up the watches takes long; syncing meanwhile");
}

bool Daemon::index_holds_library() {
  index::ReadTxn t(catalog_->env());
  const auto root = catalog_->library_root(t);
  const auto n = catalog_->counts(t);
  return root && *root == opts_.library.lexically_normal().string() && n.projects + n.assets > 0;
}

index::Result<index::Run> Daemon::sync_at_startup(index::SyncProgress& progress, const std::atomic<bool>& stop) {
  return syncs_.run_now(index::Mode::incremental, "", index::Trigger::startup, &progress, &stop);
}

index::Result<void> Daemon::mount() {
  fs::MountOptions mopts;
  mopts.mountpoint = opts_.mountpoint;
  mopts.fuse_options = opts_.fuse_options;
  mopts.api_url = api_->url();
  mopts.status_text = [this] {
    auto text = fs::live_status_text(live_.status());
    if (pictures_) text += http::pictures_status_text(pictures_->stats());
    return text;
  };
  auto mount = fs::Mount::start(*catalog_, opts_.library, mopts);
  if (!mount) {
    live_.stop();
    return tl::unexpected(mount.error());
  }
  mount_ = std::move(*mount);
  mounted_ = mount_.get();
  return {};
}

void Daemon::serve_until_stopped(StopSignals& signals) {
  while (!mount_->finished())
    if (signals.wait(std::chrono::milliseconds(200))) break;
}

index::Result<void> Daemon::start_pictures() {
  if (opts_.thumb_workers <= 0) return {};
  thumbs::PictureWorkerOptions o;
  o.store = catalog_->state_dir() / "pictures";
  o.workers = opts_.thumb_workers;
  o.limits = opts_.picture_limits;
  thumbs::PictureWorker::Hooks hooks;
  hooks.more = [this](std::size_t max, thumbs::PictureStore& store) {
    auto jobs = feed_.more(store, max);
    if (jobs.empty() && feed_.done() && collection_due()) {
      // Every file has its picture: what no live file needs any more goes
      // (pictures of changed contents; a deleted file's went with it).
      auto c = store.collect([this](std::string_view h) { return feed_.needed(h); }, stopping_);
      if (c.removed) log::notice("removed " + std::to_string(c.removed) + " pictures no file needs any more");
      drop_orphan_failures();
    }
    return jobs;
  };
  hooks.failed = [this](const thumbs::PictureJob& job, const thumbs::Failure& f) { record_picture_failure(job, f); };
  auto worker = thumbs::PictureWorker::start(std::move(o), std::move(hooks));
  if (!worker) return index::fail(index::Errc::io, worker.error());
  pictures_ = std::move(*worker);
  feed_listener_ = catalog_->subscribe([this](const index::Changes& ch) {
    if (feed_.changed(ch)) {
      pictures_->poke();
    }
  });
  return {};
}

void Daemon::stop() {
  stopping_ = true;
  syncs_.cancel();  // a long API sync must not hold up the live sync's stop
  live_.stop();
  if (api_) api_->stop();
  if (feed_listener_ >= 0) catalog_->unsubscribe(std::exchange(feed_listener_, -1));
  if (pictures_) pictures_->stop();
  if (mount_) {
    mount_->stop();
    mounted_ = nullptr;
    log::notice("unmounted " + index::printable(opts_.mountpoint.string()));
    if (auto written = backup_->flush(); !written)
      log::warning("the last metadata export failed: " + written.error().message);
    if (mount_->abandoned()) {
      std::fflush(nullptr);
      std::_Exit(0);  // its threads still run: nothing may be destroyed under them
    }
  }
  syncs_.wait_idle();
}

bool Daemon::collection_due() {
  // A whole walk of the store: once after start-up, then at most daily, so
  // that no single change costs a walk of the library's pictures.
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  std::int64_t last = last_collection_.load();
  if (last != 0 && now - last < std::chrono::nanoseconds(kCollectionInterval).count()) return false;
  return last_collection_.compare_exchange_strong(last, now);
}

void Daemon::drop_orphan_failures() {
  // A batch per write, so a sync or an edit waits for one batch at most.
  std::optional<index::ContentHash> from;
  do {
    if (stopping_) return;
    index::FailureCleanup done;
    catalog_->write([&](index::WriteTxn& t) { done = index::drop_orphan_picture_failures(*catalog_, t, from, 1000); });
    from = done.next;
  } while (from);
}

void Daemon::record_picture_failure(const thumbs::PictureJob& job, const thumbs::Failure& failure) {
  auto hash = index::ContentHash::parse(job.hash);
  if (!hash) return;
  index::PictureFailure f;
  f.hash = *hash;
  f.picture_version = thumbs::kPictureVersion;
  // The index keeps thumbs::FailureKind's values (picture_failures.h).
  static_assert(static_cast<int>(index::PictureFailureKind::undecodable_image) ==
                    static_cast<int>(thumbs::FailureKind::undecodable_image) &&
                static_cast<int>(index::PictureFailureKind::unparsable_model) ==
                    static_cast<int>(thumbs::FailureKind::unparsable_model) &&
                static_cast<int>(index::PictureFailureKind::over_cap) == static_cast<int>(thumbs::FailureKind::over_cap) &&
                static_cast<int>(index::PictureFailureKind::no_picture) ==
                    static_cast<int>(thumbs::FailureKind::no_picture));
  f.kind = static_cast<index::PictureFailureKind>(failure.kind);
  f.reason = failure.reason;
  if (failure.kind != thumbs::FailureKind::no_picture)
    log::info("no picture of " + index::printable(job.file.string()) + ": " + failure.reason);
  try {
    catalog_->write([&](index::WriteTxn& t) { index::record_picture_failure(*catalog_, t, f); });
  } catch (const std::exception& e) {
    log::warning("cannot record a picture failure in the index: " + std::string(e.what()));
  }
}

}  // namespace lima::daemon
