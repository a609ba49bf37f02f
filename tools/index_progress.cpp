#include "index_progress.h"

#include <thread>

namespace lima::bench {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr auto kPollInterval = std::chrono::milliseconds(10);

std::uint64_t number(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

std::string text(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::uint64_t project_assets(DaemonApi& api, const std::string& project) {
  const json page = api.get("/api/v1/projects?name=" + url_encode(project));
  const json& items = page.at("items");
  if (items.empty()) return 0;
  const auto id = items.front().at("id").get<std::uint64_t>();
  return number(api.get("/api/v1/projects/" + std::to_string(id)), "assets");
}

std::uint64_t index_assets(DaemonApi& api) {
  const json status = api.get("/api/v1/status");
  const auto counts = status.find("counts");
  return counts != status.end() && counts->is_object() ? number(*counts, "assets") : 0;
}

bool daemon_quiet(DaemonApi& api) {
  const json status = api.get("/api/v1/status");
  if (const auto last = status.find("last_run"); last != status.end() && last->is_object()) {
    if (text(*last, "status") == "running") return false;
  }
  if (const auto running = status.find("running_run"); running != status.end() && !running->is_null()) return false;
  if (const auto watcher = status.find("watcher"); watcher != status.end() && watcher->is_object()) {
    if (number(*watcher, "pending_dirs") > 0 || number(*watcher, "files_being_written") > 0) return false;
  }
  return true;
}

AssetWait wait_for_assets(DaemonApi& api, const std::function<std::uint64_t()>& count, std::uint64_t expected,
                          Clock::time_point since, std::chrono::milliseconds timeout) {
  AssetWait w;
  for (;;) {
    ++w.polls;
    w.last_count = count();
    const auto now = Clock::now();
    w.seconds = std::chrono::duration<double>(now - since).count();
    if (w.last_count == expected && daemon_quiet(api)) {
      w.reached = true;
      return w;
    }
    if (now - since > timeout) return w;
    std::this_thread::sleep_for(kPollInterval);
  }
}

bool wait_quiet(DaemonApi& api, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!daemon_quiet(api)) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

std::uint64_t newest_run_id(DaemonApi& api) {
  const json page = api.get("/api/v1/sync/runs?limit=1");
  const json& items = page.at("items");
  return items.empty() ? 0 : items.front().at("id").get<std::uint64_t>();
}

RunTally runs_since(DaemonApi& api, std::uint64_t after) {
  RunTally t;
  std::string cursor;
  bool older_seen = false;
  do {
    const json page = api.get("/api/v1/sync/runs?limit=100" + (cursor.empty() ? "" : "&cursor=" + url_encode(cursor)));
    for (const auto& run : page.at("items")) {
      if (run.at("id").get<std::uint64_t>() <= after) {
        older_seen = true;
        break;
      }
      ++t.runs;
      ++t.by_trigger[text(run, "trigger")];
      const json& counts = run.at("counts");
      t.added += number(counts, "added");
      t.removed += number(counts, "removed");
      t.errors += number(counts, "errors");
      ++t.scopes[text(run, "scope")];
    }
    const auto next = page.find("next_cursor");
    cursor = next != page.end() && next->is_string() ? next->get<std::string>() : "";
  } while (!older_seen && !cursor.empty());
  return t;
}

WatcherInfo watcher_info(DaemonApi& api) {
  const json status = api.get("/api/v1/status");
  WatcherInfo w;
  if (const auto it = status.find("watcher"); it != status.end() && it->is_object()) {
    w.state = text(*it, "state");
    w.reason = text(*it, "reason");
    w.watches = number(*it, "watches");
    w.events = number(*it, "events");
    w.overflows = number(*it, "overflows");
  }
  return w;
}

}  // namespace lima::bench
