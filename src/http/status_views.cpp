#include "http/status_views.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "index/records_json.h"

namespace lima::http {

namespace {

std::string_view phase_name(index::SyncPhase phase) {
  switch (phase) {
    case index::SyncPhase::starting: return "starting";
    case index::SyncPhase::walking: return "walking";
    case index::SyncPhase::writing: return "writing";
    case index::SyncPhase::done: return "done";
  }
  return "unknown";
}

}  // namespace

nlohmann::json progress_json(const index::RunProgress& p) {
  return nlohmann::json{{"phase", phase_name(p.phase)},
                        {"files_done", p.files_done},
                        {"files_total", p.files_total},
                        {"files_total_final", p.files_total_final},
                        {"bytes_done", p.bytes_done},
                        {"bytes_total", p.bytes_total},
                        {"items_written", p.items_written},
                        {"items_to_write", p.items_to_write}};
}

std::string sync_metrics_text(const index::SyncMetrics& m) {
  const auto& buckets = index::SyncMetrics::kBuckets;
  std::ostringstream o;
  o << "# HELP limafs_sync_running 1 while a sync run is going on.\n# TYPE limafs_sync_running gauge\n"
    << "limafs_sync_running " << (m.running ? 1 : 0) << "\n";
  o << "# HELP limafs_sync_runs_total Sync runs finished since the daemon started, by status.\n"
    << "# TYPE limafs_sync_runs_total counter\n";
  for (const auto& [status, n] : m.finished_by_status)
    o << "limafs_sync_runs_total{status=\"" << status << "\"} " << n << "\n";
  o << "# HELP limafs_sync_duration_seconds How long sync runs took.\n# TYPE limafs_sync_duration_seconds histogram\n";
  for (std::size_t i = 0; i < buckets.size(); ++i)
    o << "limafs_sync_duration_seconds_bucket{le=\"" << buckets[i] << "\"} " << m.duration_buckets[i] << "\n";
  o << "limafs_sync_duration_seconds_bucket{le=\"+Inf\"} " << m.duration_count << "\n"
    << "limafs_sync_duration_seconds_sum " << m.duration_sum << "\n"
    << "limafs_sync_duration_seconds_count " << m.duration_count << "\n";
  o << "# HELP limafs_sync_last_duration_seconds Duration of the last finished run.\n"
    << "# TYPE limafs_sync_last_duration_seconds gauge\nlimafs_sync_last_duration_seconds " << m.last_duration << "\n";
  return o.str();
}

nlohmann::json library_json(const index::LiveStatus& s) {
  nlohmann::json j{{"online", s.online}};
  if (!s.online) {
    j["offline_reason"] = s.offline_reason;
    j["offline_since"] = index::format_time(s.offline_since_ns);
  }
  return j;
}

nlohmann::json watcher_json(const index::LiveStatus& s) {
  using nlohmann::json;
  json j{{"state", index::to_string(s.mode)},
         {"reason", s.mode_reason.empty() ? json(nullptr) : json(s.mode_reason)},
         {"watches", s.watches},
         {"watch_limit", s.watch_limit},
         {"events", s.events},
         {"overflows", s.overflows},
         {"pending_dirs", s.pending_dirs},
         {"files_being_written", s.files_being_written},
         {"runs", s.runs},
         {"last_event_at", s.last_event_ns ? json(index::format_time(s.last_event_ns)) : nullptr},
         {"quiet_ms", s.quiet.count()},
         {"reconcile_interval_s", s.reconcile_interval.count()},
         {"next_reconcile_at", s.reconcile_interval.count() ? json(index::format_time(s.next_reconcile_ns)) : json(nullptr)},
         {"poll_interval_s", s.poll_interval.count()}};
  if (s.mode == index::WatchMode::periodic && s.poll_interval.count())
    j["next_poll_at"] = index::format_time(s.next_poll_ns);
  return j;
}

std::string live_metrics_text(const index::LiveStatus& s) {
  std::string o;
  auto metric = [&](const char* name, const char* type, const char* help, std::uint64_t v) {
    o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
         std::to_string(v) + "\n";
  };
  metric("limafs_library_online", "gauge", "1 while the library is online (root there, readable, on its disk).",
         s.online ? 1 : 0);
  metric("limafs_watcher_watching", "gauge", "1 while inotify watches the library (0: periodic sync or offline).",
         s.mode == index::WatchMode::watching ? 1 : 0);
  metric("limafs_watcher_watches", "gauge", "inotify watches in use.", s.watches);
  metric("limafs_watcher_watch_limit", "gauge", "The inotify watch limit that applies.", s.watch_limit);
  metric("limafs_watcher_pending_dirs", "gauge", "Changed directories waiting for their rescan.", s.pending_dirs);
  metric("limafs_watcher_files_being_written", "gauge", "Files held back until their writer closes them.",
         s.files_being_written);
  metric("limafs_watcher_events_total", "counter", "inotify events read.", s.events);
  metric("limafs_watcher_overflows_total", "counter", "inotify queue overflows (each followed by a full sync).",
         s.overflows);
  metric("limafs_watcher_batches_total", "counter", "Batches of changes synced by the live sync.", s.batches);
  return o;
}

nlohmann::json pictures_json(const thumbs::PictureStats& s) {
  return {{"queued", s.queued},   {"running", s.running},
          {"made", s.made},       {"failed", s.failed},
          {"per_second", std::round(s.per_second * 10) / 10}, {"workers", s.workers}};
}

std::string picture_metrics_text(const thumbs::PictureStats& s) {
  std::string o;
  auto metric = [&](const char* name, const char* type, const char* help, const std::string& v) {
    o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " + v + "\n";
  };
  metric("limafs_pictures_queued", "gauge", "Pictures waiting to be made.", std::to_string(s.queued));
  metric("limafs_pictures_running", "gauge", "Pictures being made now.", std::to_string(s.running));
  metric("limafs_pictures_made_total", "counter", "Pictures made since the daemon started.", std::to_string(s.made));
  metric("limafs_pictures_failed_total", "counter",
         "Files that got no picture since the daemon started (each tried once per content).", std::to_string(s.failed));
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.1f", s.per_second);
  metric("limafs_pictures_per_second", "gauge", "Pictures made (or failed) per second over the last 10 s.", rate);
  return o;
}

std::string pictures_status_text(const thumbs::PictureStats& s) {
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.1f", s.per_second);
  return "pictures: " + std::to_string(s.queued) + " queued, " + std::to_string(s.running) + " being made, " +
         std::to_string(s.made) + " made, " + std::to_string(s.failed) + " failed since start, " + rate +
         " per second (" + std::to_string(s.workers) + " workers)\n";
}

}  // namespace lima::http
