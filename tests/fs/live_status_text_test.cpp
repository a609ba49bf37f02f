// The live sync's lines of .limafs/status, rendered from hand-built
// statuses: what a user reads there about the library and the watcher.
#include <catch2/catch.hpp>

#include "fs/live_status_text.h"

using lima::fs::live_status_text;
using lima::index::LiveStatus;
using lima::index::WatchMode;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t kNoon = 1'767'268'800'000'000'000;  // 2026-01-01T12:00:00Z

}  // namespace

TEST_CASE("status text: an online library being watched, with the next reconciliation", "[status]") {
  LiveStatus st;
  st.mode = WatchMode::watching;
  st.watches = 12;
  st.watch_limit = 65536;
  st.events = 40;
  st.overflows = 1;
  st.runs = 3;
  st.reconcile_interval = 3600s;
  st.next_reconcile_ns = kNoon;
  CHECK(live_status_text(st) ==
        "library online: yes\n"
        "watcher: watching 12 directories (limit 65536)\n"
        "watcher events: 40, overflows: 1, runs: 3\n"
        "next reconciliation: 2026-01-01T12:00:00.000Z\n");
  st.watches = 1;
  st.reconcile_interval = 0s;
  const auto one = live_status_text(st);
  CHECK(one.find("watcher: watching 1 directory (limit 65536)\n") != std::string::npos);
  CHECK(one.find("next reconciliation: off\n") != std::string::npos);
}

TEST_CASE("status text: an offline library says since when and why", "[status]") {
  LiveStatus st;
  st.online = false;
  st.offline_since_ns = kNoon + 250'000'000;
  st.offline_reason = "the library root /srv/prints is gone (moved away, or its disk unmounted)";
  st.mode = WatchMode::offline;
  CHECK(live_status_text(st) ==
        "library online: no, since 2026-01-01T12:00:00.250Z (the library root /srv/prints is gone (moved away, or "
        "its disk unmounted))\n"
        "watcher: offline\n"
        "watcher events: 0, overflows: 0, runs: 0\n"
        "next reconciliation: off\n");
}

TEST_CASE("status text: periodic syncs say how often and why", "[status]") {
  LiveStatus st;
  st.mode = WatchMode::periodic;
  st.mode_reason = "watching is off (--no-watch)";
  st.poll_interval = 60s;
  CHECK(live_status_text(st).find("watcher: periodic sync every 60 s (watching is off (--no-watch))\n") !=
        std::string::npos);
  st.poll_interval = 0s;
  CHECK(live_status_text(st).find("watcher: periodic sync off (watching is off (--no-watch))\n") != std::string::npos);
  st.mode = WatchMode::starting;
  CHECK(live_status_text(st).find("watcher: starting\n") != std::string::npos);
}
