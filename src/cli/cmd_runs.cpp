// `limafs runs LIBRARY [RUN]`: the recorded sync runs, newest first, or one
// run with its problems.
#include <cstdio>
#include <filesystem>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/progress_view.h"
#include "index/names.h"
#include "index/records_json.h"
#include "index/runs.h"

namespace lima::cli {

namespace {

constexpr const char* kHelp = R"(usage: limafs runs LIBRARY [RUN] [options]

List the recorded sync runs of LIBRARY, newest first, or show run RUN in
detail with the problems it found. Reads the index only; works while
another limafs is syncing.

Options:
  --state DIR     state directory (default: as for 'limafs scan')
  --limit N       list at most N runs (default 20)
  --json          print JSON (an array of runs, or one run)
  -h, --help      show this help
)";

std::optional<std::uint64_t> parse_u64(const std::string& s) {
  if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoull(s);
}

void print_detail(const index::Run& r) {
  const auto& c = r.counts;
  std::printf("run %llu: %s\n", static_cast<unsigned long long>(r.id), index::to_string(r.status).data());
  std::printf("  trigger   %s\n  mode      %s\n  scope     %s\n", index::to_string(r.trigger).data(),
              index::to_string(r.mode).data(), r.scope.empty() ? "(whole library)" : index::printable(r.scope).c_str());
  std::printf("  started   %s\n  ended     %s\n", index::format_time(r.started_ns).c_str(),
              r.ended_ns ? index::format_time(r.ended_ns).c_str() : "(running)");
  if (r.ended_ns)
    std::printf("  duration  %s\n", human_duration(static_cast<double>(r.ended_ns - r.started_ns) / 1e9).c_str());
  if (!r.message.empty()) std::printf("  message   %s\n", r.message.c_str());
  std::printf("  files     %llu added, %llu changed, %llu moved, %llu removed, %llu unchanged, %llu errors, %llu skipped\n",
              (unsigned long long)c.added, (unsigned long long)c.changed, (unsigned long long)c.moved,
              (unsigned long long)c.removed, (unsigned long long)c.unchanged, (unsigned long long)c.errors,
              (unsigned long long)c.skipped);
  std::printf("  projects  %llu added, %llu removed, %llu renamed\n", (unsigned long long)c.projects_added,
              (unsigned long long)c.projects_removed, (unsigned long long)c.projects_renamed);
  std::printf("  hashed    %llu files, %s\n", (unsigned long long)c.files_hashed,
              human_bytes(static_cast<double>(c.bytes_hashed)).c_str());
  if (!r.problems.empty()) {
    std::printf("  problems%s:\n", r.problems.size() >= index::kMaxRunProblems ? " (first 100)" : "");
    for (const auto& p : r.problems)
      std::printf("    %-22s %s: %s\n", index::to_string(p.kind).data(), index::printable(p.path).c_str(),
                  p.detail.c_str());
  }
}

}  // namespace

int cmd_runs(const std::vector<std::string>& argv) {
  std::string err;
  auto args = parse_args(argv, {{"state", true}, {"limit", true}, {"json"}, {"help"}}, err);
  if (!args) return complain(kUsage, "runs: " + err + " (try 'limafs runs --help')");
  if (args->has("help")) {
    std::fputs(kHelp, stdout);
    return kOk;
  }
  if (args->positional.empty() || args->positional.size() > 2)
    return complain(kUsage, "runs: usage: limafs runs LIBRARY [RUN]");
  std::size_t limit = 20;
  if (auto l = args->value("limit")) {
    auto n = parse_u64(*l);
    if (!n || *n == 0) return complain(kUsage, "runs: --limit takes a positive number, not '" + *l + "'");
    limit = static_cast<std::size_t>(*n);
  }
  std::optional<std::uint64_t> run_id;
  if (args->positional.size() == 2) {
    run_id = parse_u64(args->positional[1]);
    if (!run_id) return complain(kUsage, "runs: RUN is a run number, not '" + args->positional[1] + "'");
  }
  const auto library = resolve_library(args->positional.front());
  const auto state = resolve_state(library, args->all("state"));
  auto catalog = index::Catalog::open(state, index::OpenMode::read_only);
  if (!catalog) return complain(kError, catalog.error().message);
  index::ReadTxn t((*catalog)->env());
  index::RunLog log(**catalog);
  const bool json = args->has("json");

  if (run_id) {
    auto r = log.get(t, *run_id);
    if (!r) return complain(kError, "no run " + std::to_string(*run_id) + " in the index of " + library.string());
    if (json) std::printf("%s\n", index::dump_json(index::to_json(*r)).c_str());
    else print_detail(*r);
    return kOk;
  }
  auto runs = log.list(t, limit);
  if (json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : runs) arr.push_back(index::to_json(r));
    std::printf("%s\n", index::dump_json(arr).c_str());
    return kOk;
  }
  if (runs.empty()) {
    std::printf("no runs recorded yet\n");
    return kOk;
  }
  std::printf("%-5s %-20s %-8s %-11s %-12s %-11s %7s %7s %6s %7s %9s %6s %9s\n", "RUN", "STARTED (UTC)", "TRIGGER",
              "MODE", "SCOPE", "STATUS", "ADDED", "CHANGED", "MOVED", "REMOVED", "UNCHANGED", "ERRORS", "DURATION");
  for (const auto& r : runs) {
    std::string started = index::format_time(r.started_ns).substr(0, 19);
    if (started.size() > 10) started[10] = ' ';
    std::string scope = r.scope.empty() ? "-" : index::printable(r.scope);
    if (scope.size() > 12) scope = scope.substr(0, 11) + "~";
    const auto& c = r.counts;
    std::printf("%-5llu %-20s %-8s %-11s %-12s %-11s %7llu %7llu %6llu %7llu %9llu %6llu %9s\n",
                (unsigned long long)r.id, started.c_str(), index::to_string(r.trigger).data(),
                index::to_string(r.mode).data(), scope.c_str(), index::to_string(r.status).data(),
                (unsigned long long)c.added, (unsigned long long)c.changed, (unsigned long long)c.moved,
                (unsigned long long)c.removed, (unsigned long long)c.unchanged, (unsigned long long)c.errors,
                r.ended_ns ? human_duration(static_cast<double>(r.ended_ns - r.started_ns) / 1e9).c_str() : "…");
  }
  return kOk;
}

}  // namespace lima::cli
