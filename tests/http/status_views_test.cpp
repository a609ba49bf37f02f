// The API's renderings of the live sync's status and the sync
// coordinator's figures, from hand-built values: the members of /status and
// the lines of /metrics a monitoring system reads.
#include <catch2/catch.hpp>

#include "http/status_views.h"

using namespace lima;
using index::LiveStatus;
using index::WatchMode;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t kNoon = 1'767'268'800'000'000'000;  // 2026-01-01T12:00:00Z

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("/status: the library online, or offline with the reason and since when", "[status]") {
  LiveStatus st;
  CHECK(http::library_json(st) == json{{"online", true}});
  st.online = false;
  st.offline_reason = "the library root /srv/prints is gone";
  st.offline_since_ns = kNoon;
  CHECK(http::library_json(st) == json{{"online", false},
                                       {"offline_reason", "the library root /srv/prints is gone"},
                                       {"offline_since", "2026-01-01T12:00:00.000Z"}});
}

TEST_CASE("/status: the watcher member", "[status]") {
  LiveStatus st;
  st.mode = WatchMode::watching;
  st.watches = 12;
  st.watch_limit = 8192;
  st.events = 40;
  st.overflows = 1;
  st.pending_dirs = 2;
  st.files_being_written = 1;
  st.runs = 3;
  st.last_event_ns = kNoon;
  st.quiet = 30ms;
  st.reconcile_interval = 3600s;
  st.next_reconcile_ns = kNoon + 3'600'000'000'000;
  st.poll_interval = 60s;
  st.next_poll_ns = kNoon;  // not shown: it is watching
  CHECK(http::watcher_json(st) == json{{"state", "watching"},
                                       {"reason", nullptr},
                                       {"watches", 12},
                                       {"watch_limit", 8192},
                                       {"events", 40},
                                       {"overflows", 1},
                                       {"pending_dirs", 2},
                                       {"files_being_written", 1},
                                       {"runs", 3},
                                       {"last_event_at", "2026-01-01T12:00:00.000Z"},
                                       {"quiet_ms", 30},
                                       {"reconcile_interval_s", 3600},
                                       {"next_reconcile_at", "2026-01-01T13:00:00.000Z"},
                                       {"poll_interval_s", 60}});

  st.mode = WatchMode::periodic;
  st.mode_reason = "watching is off (--no-watch)";
  st.last_event_ns = 0;
  st.reconcile_interval = 0s;
  const auto periodic = http::watcher_json(st);
  CHECK(periodic["state"] == "periodic");
  CHECK(periodic["reason"] == "watching is off (--no-watch)");
  CHECK(periodic["last_event_at"].is_null());
  CHECK(periodic["next_reconcile_at"].is_null());
  CHECK(periodic["next_poll_at"] == "2026-01-01T12:00:00.000Z");
}

TEST_CASE("/metrics: the live sync's gauges and counters", "[status]") {
  LiveStatus st;
  st.online = false;
  st.mode = WatchMode::offline;
  st.watch_limit = 8192;
  st.events = 7;
  st.batches = 2;
  const auto text = http::live_metrics_text(st);
  CHECK(text.starts_with("# HELP limafs_library_online 1 while the library is online (root there, readable, on its "
                         "disk).\n# TYPE limafs_library_online gauge\nlimafs_library_online 0\n"));
  CHECK(has_line(text, "limafs_watcher_watching 0"));
  CHECK(has_line(text, "limafs_watcher_watch_limit 8192"));
  CHECK(has_line(text, "# TYPE limafs_watcher_events_total counter"));
  CHECK(has_line(text, "limafs_watcher_events_total 7"));
  CHECK(has_line(text, "limafs_watcher_batches_total 2"));
  st.online = true;
  st.mode = WatchMode::watching;
  CHECK(has_line(http::live_metrics_text(st), "limafs_library_online 1"));
  CHECK(has_line(http::live_metrics_text(st), "limafs_watcher_watching 1"));
}

TEST_CASE("a running run's progress and the sync metrics", "[status]") {
  index::RunProgress p;
  p.phase = index::SyncPhase::walking;
  p.files_done = 5;
  p.files_total = 10;
  p.bytes_done = 100;
  p.bytes_total = 400;
  CHECK(http::progress_json(p) == json{{"phase", "walking"},
                                       {"files_done", 5},
                                       {"files_total", 10},
                                       {"files_total_final", false},
                                       {"bytes_done", 100},
                                       {"bytes_total", 400},
                                       {"items_written", 0},
                                       {"items_to_write", 0}});

  index::SyncMetrics m;
  m.running = true;
  m.finished_by_status = {{"cancelled", 1}, {"ok", 3}};
  m.duration_buckets = {0, 1, 2, 4, 4, 4, 4, 4, 4, 4};
  m.duration_count = 4;
  m.duration_sum = 7.25;
  m.last_duration = 4.5;
  const auto text = http::sync_metrics_text(m);
  CHECK(has_line(text, "limafs_sync_running 1"));
  CHECK(has_line(text, "limafs_sync_runs_total{status=\"cancelled\"} 1"));
  CHECK(has_line(text, "limafs_sync_runs_total{status=\"ok\"} 3"));
  CHECK(has_line(text, "limafs_sync_duration_seconds_bucket{le=\"0.1\"} 0"));
  CHECK(has_line(text, "limafs_sync_duration_seconds_bucket{le=\"5\"} 4"));
  CHECK(has_line(text, "limafs_sync_duration_seconds_bucket{le=\"7200\"} 4"));
  CHECK(has_line(text, "limafs_sync_duration_seconds_bucket{le=\"+Inf\"} 4"));
  CHECK(has_line(text, "limafs_sync_duration_seconds_sum 7.25"));
  CHECK(has_line(text, "limafs_sync_duration_seconds_count 4"));
  CHECK(has_line(text, "limafs_sync_last_duration_seconds 4.5"));
}
