#include "fs/live_status_text.h"

#include "index/records_json.h"

namespace lima::fs {

namespace {

std::string plural(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string live_status_text(const index::LiveStatus& st) {
  std::string s;
  if (st.online)
    s += "library online: yes\n";
  else
    s += "library online: no, since " + index::format_time(st.offline_since_ns) + " (" + st.offline_reason + ")\n";
  if (st.mode == index::WatchMode::watching)
    s += "watcher: watching " + plural(st.watches, "directory", "directories") + " (limit " +
         std::to_string(st.watch_limit) + ")\n";
  else if (st.mode == index::WatchMode::periodic)
    s += "watcher: periodic sync" +
         (st.poll_interval.count() ? " every " + std::to_string(st.poll_interval.count()) + " s" : std::string(" off")) +
         " (" + st.mode_reason + ")\n";
  else
    s += "watcher: " + std::string(index::to_string(st.mode)) + "\n";
  s += "watcher events: " + std::to_string(st.events) + ", overflows: " + std::to_string(st.overflows) +
       ", runs: " + std::to_string(st.runs) + "\n";
  s += "next reconciliation: " +
       (st.reconcile_interval.count() ? index::format_time(st.next_reconcile_ns) : std::string("off")) + "\n";
  return s;
}

}  // namespace lima::fs
