#include "index/records_json.h"

#include <ctime>

namespace lima::index {

std::string format_time(std::int64_t unix_ns) {
  if (unix_ns <= 0) return {};
  std::time_t secs = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>((unix_ns / 1'000'000) % 1000));
  return buf;
}

nlohmann::json to_json(const RunCounts& c) {
  return {{"added", c.added},
          {"changed", c.changed},
          {"moved", c.moved},
          {"removed", c.removed},
          {"unchanged", c.unchanged},
          {"errors", c.errors},
          {"skipped", c.skipped},
          {"revived", c.revived},
          {"projects_added", c.projects_added},
          {"projects_removed", c.projects_removed},
          {"projects_renamed", c.projects_renamed},
          {"files_hashed", c.files_hashed},
          {"bytes_hashed", c.bytes_hashed}};
}

nlohmann::json to_json(const Problem& p) {
  return {{"path", p.path}, {"kind", to_string(p.kind)}, {"detail", p.detail}, {"error", is_error(p.kind)}};
}

nlohmann::json to_json(const Run& run) {
  nlohmann::json problems = nlohmann::json::array();
  for (const auto& p : run.problems) problems.push_back(to_json(p));
  nlohmann::json j = {{"id", run.id},
                      {"trigger", to_string(run.trigger)},
                      {"mode", to_string(run.mode)},
                      {"scope", run.scope},
                      {"status", to_string(run.status)},
                      {"started_at", format_time(run.started_ns)},
                      {"ended_at", run.ended_ns ? nlohmann::json(format_time(run.ended_ns)) : nlohmann::json()},
                      {"duration_ms", run.ended_ns ? (run.ended_ns - run.started_ns) / 1'000'000 : 0},
                      {"counts", to_json(run.counts)},
                      {"problems", problems}};
  if (!run.message.empty()) j["message"] = run.message;
  return j;
}

nlohmann::json to_json(const IndexCounts& c) {
  return {{"projects", c.projects},
          {"assets", c.assets},
          {"tombstoned_projects", c.tombstoned_projects},
          {"tombstoned_assets", c.tombstoned_assets},
          {"tags", c.tags},
          {"collections", c.collections},
          {"runs", c.runs},
          {"problems", c.problems}};
}

std::string dump_json(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace lima::index
