#include "scale_bench.h"

#include <httplib.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include "child_process.h"
#include "daemon_api.h"
#include "index_progress.h"
#include "library_scratch.h"
#include "progress_log.h"
#include "scratch_mounts.h"
#include "search_queries.h"
#include "seeded_rng.h"
#include "text_table.h"

namespace lima::bench {
double Timings::best_round_p50() const {
  if (round_p50s.empty()) return p50();
  return *std::min_element(round_p50s.begin(), round_p50s.end());
}

namespace {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
using namespace std::chrono_literals;

/// Spawn to ready: tier L's start-up sync takes a few seconds, a slow disk
/// much longer.
constexpr auto kStartTimeout = std::chrono::seconds(1800);
constexpr auto kIdle = 3s;
constexpr auto kCreateTimeout = 5000ms;
constexpr int kGiveUpAfter = 3;
constexpr int kChangeRounds = 7;
/// Rounds of the problem and status reads (Timings::best_round_p50).
constexpr int kReadRounds = 5;
/// Triangles of each new file: a 1 KiB STL.
constexpr std::uint64_t kNewFileTriangles = 19;
/// Assets read for choosing the search queries: about this many.
constexpr std::size_t kQueryDocs = 100'000;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double load_average() {
  double v = 0;
  std::ifstream("/proc/loadavg") >> v;
  return v;
}

/// Runs a command and throws with its stderr when it fails.
TimedRun timed(const std::vector<std::string>& argv, const stdfs::path& err, bool exit3_ok = false) {
  const ChildResult r = run_child(argv, err);
  if (!r.ok() && !(exit3_ok && r.exit_code == 3)) {
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    throw std::runtime_error(cmd + " failed (" + r.describe() + "): " + file_tail(err));
  }
  return {r.seconds, r.max_rss_kib};
}

/// The files the benchmark writes into a library: each path is recorded in
/// a file in WORK before it is written, and removed again by remove_all();
/// a record left by an interrupted run is honoured on construction.
class ScratchFiles {
 public:
  ScratchFiles(stdfs::path library, stdfs::path record) : library_(std::move(library)), record_(std::move(record)) {
    std::ifstream in(record_);
    for (std::string rel; std::getline(in, rel);)
      if (!rel.empty()) paths_.push_back(rel);
    remove_all();
  }
  ~ScratchFiles() { remove_all(); }
  ScratchFiles(const ScratchFiles&) = delete;
  ScratchFiles& operator=(const ScratchFiles&) = delete;

  /// Records rel (relative to the library) as written.
  void add(const std::string& rel) {
    paths_.push_back(rel);
    std::ofstream(record_, std::ios::app) << rel << "\n";
  }

  /// Removes every recorded file; how many were there.
  std::size_t remove_all() {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& rel : paths_) n += stdfs::remove(library_ / rel, ec) ? 1 : 0;
    paths_.clear();
    stdfs::remove(record_, ec);
    return n;
  }

 private:
  stdfs::path library_, record_;
  std::vector<std::string> paths_;
};

/// The project folders of a library, sorted.
std::vector<std::string> project_folders(const stdfs::path& lib) {
  std::vector<std::string> out;
  for (const auto& e : stdfs::directory_iterator(lib))
    if (e.is_directory() && !e.path().filename().string().starts_with(".")) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  if (out.empty()) throw std::runtime_error(lib.string() + " holds no project folder");
  return out;
}

/// Polls lstat(path) every 0.5 ms; the milliseconds since `since` when it
/// succeeded, nullopt after `timeout`.
std::optional<double> wait_visible(const stdfs::path& path, Clock::time_point since, std::chrono::milliseconds timeout) {
  struct stat st{};
  for (;;) {
    if (::lstat(path.c_str(), &st) == 0) return ms_since(since);
    if (Clock::now() - since > timeout) return std::nullopt;
    std::this_thread::sleep_for(500us);
  }
}

/// Writes new 1 KiB STL files into random projects (their top folder or
/// models/) and times each from close() to lstat() finding it in the mount.
class NewFiles {
 public:
  NewFiles(const stdfs::path& lib, const stdfs::path& mnt, ScratchFiles& scratch, std::vector<std::string> projects,
           std::uint64_t seed)
      : lib_(lib), view_(mnt / "projects"), scratch_(scratch), projects_(std::move(projects)),
        prefix_(scratch_run_prefix()), rng_(derive_seed(seed, 0x5ca1e)) {}

  /// One new file; the ms until visible, nullopt on a timeout.
  std::optional<double> one() {
    const std::string& project = projects_[rng_.below(projects_.size())];
    const std::string rel = project + (rng_.chance(0.5) ? "/models/" : "/") + prefix_ + std::to_string(++made_) + ".stl";
    scratch_.add(rel);
    maker_.create(lib_ / rel, kNewFileTriangles, rng_.next());
    const auto closed = Clock::now();
    return wait_visible(view_ / rel, closed, kCreateTimeout);
  }

  void pause() { std::this_thread::sleep_for(std::chrono::milliseconds(rng_.between(50, 100))); }

 private:
  stdfs::path lib_, view_;
  ScratchFiles& scratch_;
  std::vector<std::string> projects_;
  std::string prefix_;
  SeededRng rng_;
  FileMaker maker_;
  std::uint64_t made_ = 0;
};

/// GETs on one keep-alive connection, timed to the answer's last byte.
class TimedClient {
 public:
  explicit TimedClient(const std::string& url) : client_(url) {
    client_.set_keep_alive(true);
    client_.set_read_timeout(120);
  }
  double get(const std::string& path) {
    const auto t0 = Clock::now();
    const auto res = client_.Get(path);
    const double ms = ms_since(t0);
    if (!res) throw std::runtime_error("GET " + path + ": " + httplib::to_string(res.error()));
    if (res->status != 200) throw std::runtime_error("GET " + path + " answered " + std::to_string(res->status));
    last_body_ = res->body;
    return ms;
  }
  const std::string& last_body() const { return last_body_; }

 private:
  httplib::Client client_;
  std::string last_body_;
};

double timed_stat(const stdfs::path& path) {
  struct stat st{};
  const auto t0 = Clock::now();
  const int rc = ::stat(path.c_str(), &st);
  const double ms = ms_since(t0);
  if (rc != 0) throw std::runtime_error("stat " + path.string() + ": " + std::system_category().message(errno));
  return ms;
}

/// The durations of the sync runs the watcher made after run `after`.
void watcher_run_durations(const std::string& url, std::uint64_t after, ScaleTierResult& res) {
  DaemonApi api(url);
  std::string cursor;
  bool older = false;
  do {
    const json page = api.get("/api/v1/sync/runs?limit=100" + (cursor.empty() ? "" : "&cursor=" + url_encode(cursor)));
    for (const auto& run : page.at("items")) {
      if (run.at("id").get<std::uint64_t>() <= after) {
        older = true;
        break;
      }
      if (run.value("trigger", "") != "watcher") continue;
      ++res.watcher_run_count;
      res.watcher_runs.ms.ms.push_back(static_cast<double>(run.value("duration_ms", std::int64_t{0})));
    }
    const json& next = page.at("next_cursor");
    cursor = next.is_string() ? next.get<std::string>() : "";
  } while (!older && !cursor.empty());
}

/// Documents for choosing search queries: every project, and the assets of
/// evenly spaced projects (about kQueryDocs), with the tags the metadata
/// document gives them.
std::vector<SearchDoc> query_documents(const SearchLibrary& lib, const std::vector<std::string>& projects) {
  std::map<std::string, std::string> project_tags;
  std::map<std::pair<std::string, std::string>, std::string> asset_tags;
  const auto joined = [](const json& item) {
    std::string s;
    for (const auto& t : item.value("tags", json::array())) s += (s.empty() ? "" : " ") + t.get<std::string>();
    return s;
  };
  for (const auto& p : lib.metadata.at("projects")) project_tags[p.at("name").get<std::string>()] = joined(p);
  for (const auto& a : lib.metadata.at("assets"))
    asset_tags[{a.at("project").get<std::string>(), a.at("path").get<std::string>()}] = joined(a);

  std::vector<SearchDoc> docs;
  const std::size_t stride = std::max<std::size_t>(1, lib.files / kQueryDocs);
  std::int64_t rowid = 0;
  for (std::size_t i = 0; i < projects.size(); ++i) {
    const std::string& name = projects[i];
    docs.push_back({++rowid, name, project_tags[name], "", lib.project_notes.count(name) ? lib.project_notes.at(name) : "", ""});
    if (i % stride != 0) continue;
    const stdfs::path dir = lib.dir / name;
    for (const auto& e : stdfs::recursive_directory_iterator(dir)) {
      if (!e.is_regular_file() || e.path().filename().string().starts_with(kScratchPrefix)) continue;
      const std::string rel = e.path().lexically_relative(dir).generic_string();
      const auto slash = rel.rfind('/');
      SearchDoc d{kAssetRowBase + (++rowid), e.path().filename().string(), asset_tags[{name, rel}],
                  slash == std::string::npos ? "" : rel.substr(0, slash), "", name};
      if (auto n = lib.asset_notes.find({name, rel}); n != lib.asset_notes.end()) d.notes = n->second;
      docs.push_back(std::move(d));
    }
  }
  return docs;
}

void measure_search(const SearchLibrary& lib, const std::vector<std::string>& projects, const std::string& url,
                    const ScaleBenchOptions& opt, ScaleTierResult& res, const Progress& progress) {
  DaemonApi api(url);
  auto t0 = Clock::now();
  api.post("/api/v1/metadata/import", lib.metadata);
  if (!wait_quiet(api, 120s)) throw std::runtime_error("the daemon did not settle after the metadata import");
  progress("imported the tags and notes of " +
           std::to_string(lib.metadata["projects"].size() + lib.metadata["assets"].size()) + " items in " +
           fmt("%.0f ms", ms_since(t0)));
  const std::vector<SearchDoc> docs = query_documents(lib, projects);
  std::vector<std::string> queries;
  for (const auto& c : choose_queries(docs, 3)) {
    if (c.id != "rare" && c.id != "common" && c.id != "and" && c.id != "tag") continue;
    for (const auto& q : c.queries) queries.push_back(q.limafs);
    if (!c.queries.empty()) res.search_examples.push_back(c.label + ": " + c.queries.front().limafs);
  }
  res.search_queries = queries.size();
  TimedClient client(url);
  for (int round = 0; round < opt.search_repeats; ++round)
    for (const auto& q : queries) res.search.ms.ms.push_back(client.get("/api/v1/search?q=" + url_encode(q) + "&limit=50"));
  progress("search, " + std::to_string(queries.size()) + " queries x " + std::to_string(opt.search_repeats) + ": p50 " +
           fmt("%.2f ms", res.search.p50()) + ", p99 " + fmt("%.2f ms", res.search.p99()));
}

ScaleTierResult run_tier(const ScaleBenchOptions& opt, SearchTier tier) {
  const Progress progress(opt.log);
  const std::string name(search_tier_name(tier));
  ScaleTierResult res;
  res.tier = tier;
  res.load_average = load_average();
  progress("== tier " + name + " (load average " + fmt("%.2f", res.load_average) + ")");
  const SearchLibrary lib = make_search_library(opt.work, tier, opt.seed, opt.log);
  res.library = lib.dir;
  res.projects = lib.projects;
  res.files = lib.files;
  res.generate_s = lib.generate_s;
  progress(lib.generate_s > 0 ? "generated " + lib.dir.string() + " in " + fmt("%.1f s", lib.generate_s)
                              : "reusing " + lib.dir.string());
  ScratchFiles scratch(lib.dir, opt.work / ("scale-scratch-" + name + ".txt"));
  const std::vector<std::string> projects = project_folders(lib.dir);

  // Scans against their baselines, each baseline run once first to warm the cache.
  const stdfs::path err = opt.work / "scale-child.log";
  const stdfs::path state = opt.work / ("scale-state-" + name);
  const std::vector<std::string> hash = {"/bin/sh", "-c", "find \"$1\" -type f -print0 | xargs -0 -P2 xxhsum -H2 > /dev/null",
                                         "sh", lib.dir.string()};
  const std::vector<std::string> list = {"find", lib.dir.string(), "-printf", "%i %s %T@ %p\n"};
  const std::vector<std::string> scan = {opt.limafs.string(), "scan", lib.dir.string(), "--state", state.string()};
  progress("warming the page cache (both baselines once)");
  timed(hash, err);
  timed(list, err);
  std::error_code ec;
  stdfs::remove_all(state, ec);
  res.initial_baseline = timed(hash, err);
  res.initial_scan = timed(scan, err, true);
  progress("initial index: limafs scan " + fmt("%.2f s", res.initial_scan.seconds) + " (peak RSS " +
           fmt("%.0f MiB", static_cast<double>(res.initial_scan.max_rss_kib) / 1024) + "), baseline " +
           fmt("%.2f s", res.initial_baseline.seconds));
  res.rescan_baseline = timed(list, err);
  res.rescan = timed(scan, err, true);
  progress("no-change rescan: limafs scan " + fmt("%.2f s", res.rescan.seconds) + " (peak RSS " +
           fmt("%.0f MiB", static_cast<double>(res.rescan.max_rss_kib) / 1024) + "), baseline " +
           fmt("%.2f s", res.rescan_baseline.seconds));

  // The daemon on that index.
  const stdfs::path mnt = opt.work / ("scale-mnt-" + name);
  prepare_mountpoint(mnt);
  unmount_on_signal({mnt});
  const auto spawned = Clock::now();
  DaemonProcess daemon(opt.limafs, lib.dir, mnt, state, opt.work / ("scale-daemon-" + name + ".log"),
                       {"--thumb-workers", "0"});
  const std::string url = watch_startup(daemon, mnt, spawned, kStartTimeout, res.startup);
  progress("daemon: API after " + fmt("%.2f s", res.startup.api_s) + ", view after " +
           fmt("%.2f s", res.startup.mount_s) + ", start-up sync ended after " + fmt("%.2f s", res.startup.sync_s) +
           " (" + res.startup.sync_status + ", " + std::to_string(res.startup.sync_added) + " added, " +
           std::to_string(res.startup.sync_changed) + " changed); peak RSS " +
           fmt("%.0f MiB", static_cast<double>(res.startup.peak_rss_kib) / 1024));
  measure_steady(daemon, url, kIdle, res.startup);
  progress("steady RSS " + fmt("%.0f MiB", static_cast<double>(res.startup.steady_rss_kib) / 1024) + " (watcher " +
           res.startup.watcher_state + ")");

  // Reading the problem report and the status, before any change: in
  // rounds, the three reads interleaved, so that a burst of other load
  // spoils a round rather than one read's figures.
  const stdfs::path problems_txt = mnt / ".limafs" / "problems.txt";
  {
    TimedClient client(url);
    res.stat_problems_first_ms = timed_stat(problems_txt);
    const int per_round = std::max(1, opt.repeats / kReadRounds);
    for (int round = 0; round < kReadRounds; ++round) {
      auto take = [&](Timings& into, auto&& once) {
        Latencies this_round;
        for (int i = 0; i < per_round; ++i) this_round.ms.push_back(once());
        into.round_p50s.push_back(this_round.percentile(0.50));
        into.ms.ms.insert(into.ms.ms.end(), this_round.ms.begin(), this_round.ms.end());
      };
      take(res.stat_problems, [&] { return timed_stat(problems_txt); });
      take(res.get_problems, [&] { return client.get("/api/v1/problems?limit=100"); });
      take(res.get_status, [&] { return client.get("/api/v1/status"); });
    }
    client.get("/api/v1/problems?limit=100");  // for its counts
    const json page = json::parse(client.last_body(), nullptr, false);
    if (!page.is_discarded() && page.contains("counts"))
      for (const auto& [kind, n] : page["counts"].items()) res.problems_count += n.is_number() ? n.get<std::size_t>() : 0;
  }
  progress("stat problems.txt: first " + fmt("%.2f ms", res.stat_problems_first_ms) + ", then p50 " +
           fmt("%.3f ms", res.stat_problems.p50()) + ", GET /problems p50 " +
           fmt("%.2f ms", res.get_problems.p50()) + " (" + std::to_string(res.problems_count) +
           " problems), GET /status p50 " + fmt("%.2f ms", res.get_status.p50()));

  // New files into the watched library.
  std::uint64_t last_run = 0;
  {
    DaemonApi api(url);
    last_run = newest_run_id(api);
  }
  NewFiles files(lib.dir, mnt, scratch, projects, opt.seed);
  int in_a_row = 0;
  for (int i = 0; i < opt.samples && in_a_row < kGiveUpAfter; ++i) {
    const auto ms = files.one();
    res.create_visible.ms.ms.push_back(ms.value_or(static_cast<double>(kCreateTimeout.count())));
    res.create_timeouts += ms ? 0 : 1;
    in_a_row = ms ? 0 : in_a_row + 1;
    files.pause();
  }
  progress("new file → visible in the mount, " + std::to_string(res.create_visible.ms.ms.size()) + " samples: p50 " +
           fmt("%.1f ms", res.create_visible.p50()) + ", p99 " + fmt("%.1f ms", res.create_visible.p99()) +
           (res.create_timeouts ? ", " + std::to_string(res.create_timeouts) + " timed out" : ""));
  watcher_run_durations(url, last_run, res);
  progress("  " + std::to_string(res.watcher_run_count) + " sync runs by the watcher meanwhile, p50 " +
           fmt("%.1f ms", res.watcher_runs.p50()) + ", p99 " + fmt("%.1f ms", res.watcher_runs.p99()));
  for (int i = 0; i < kChangeRounds; ++i) {
    files.pause();
    if (!files.one()) continue;
    res.problems_after_change_ms.push_back(timed_stat(problems_txt));
  }
  progress("first stat of problems.txt after a change:" + [&] {
    std::string s;
    for (double ms : res.problems_after_change_ms) s += fmt(" %.2f ms", ms);
    return s;
  }());

  measure_search(lib, projects, url, opt, res, progress);

  res.stop = daemon.stop();
  progress("stopped the daemon: " + res.stop.text());
  scratch.remove_all();
  if (!opt.keep) stdfs::remove_all(state, ec);
  if (!res.stop.mount_left) stdfs::remove(mnt, ec);
  stdfs::remove(err, ec);
  return res;
}

}  // namespace

ScaleBenchResults run_scale_benchmark(const ScaleBenchOptions& opt) {
  for (const char* tool : {"find", "xargs", "xxhsum"})
    if (find_in_path(tool).empty())
      throw std::runtime_error(std::string(tool) + " not found in PATH" +
                               (std::string_view(tool) == "xxhsum" ? " (Debian package xxhash)" : ""));
  ScaleBenchResults out;
  for (const auto tier : opt.tiers) out.tiers.push_back(run_tier(opt, tier));
  return out;
}

}  // namespace lima::bench
