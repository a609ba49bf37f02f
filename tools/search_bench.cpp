#include "search_bench.h"

#include <dirent.h>
#include <httplib.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "child_process.h"
#include "daemon_api.h"
#include "progress_log.h"
#include "scratch_mounts.h"
#include "text_table.h"

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr int kPage = 50;
constexpr const char* kSkipWords = "LIMA_BENCH_SKIP_WORD_INDEX";

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

/// `limafs scan LIB --state STATE`, the word index skipped or not; seconds.
double timed_scan(const SearchBenchOptions& opt, const stdfs::path& lib, const stdfs::path& state, bool skip_words) {
  if (skip_words) ::setenv(kSkipWords, "1", 1); else ::unsetenv(kSkipWords);
  const stdfs::path err = opt.work / "search-scan.log";
  const ChildResult r = run_child({opt.limafs.string(), "scan", lib.string(), "--state", state.string()}, err);
  ::unsetenv(kSkipWords);
  if (!r.ok()) throw std::runtime_error("limafs scan " + lib.string() + " failed (" + r.describe() + "): " + file_tail(err));
  return r.seconds;
}

/// Reads every file's metadata once, so that neither scan pays a cold cache.
void warm_up(const stdfs::path& lib) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = stdfs::recursive_directory_iterator(lib, ec); !ec && it != stdfs::recursive_directory_iterator();
       it.increment(ec))
    n += it->is_regular_file(ec) ? 1 : 0;
  (void)n;
}

/// The bytes of an index's live pages (pages used less free pages, from
/// `mdb_stat -e -f`); 0 with `error` set when they cannot be read.
std::uint64_t live_bytes(const stdfs::path& index_dir, const stdfs::path& work, std::string& error) {
  const stdfs::path mdb_stat = find_in_path("mdb_stat");
  if (mdb_stat.empty()) {
    error = "mdb_stat is not installed (Debian package lmdb-utils)";
    return 0;
  }
  const stdfs::path out = work / "search-mdb-stat.txt", err = work / "search-mdb-stat.err";
  const ChildResult r = run_child({mdb_stat.string(), "-e", "-f", index_dir.string()}, err, out);
  if (!r.ok()) {
    error = "mdb_stat failed: " + file_tail(err);
    return 0;
  }
  std::ifstream in(out);
  std::string line;
  std::uint64_t page = 0, used = 0, free = 0;
  while (std::getline(in, line)) {
    const auto value = [&] { return std::strtoull(line.c_str() + line.rfind(':') + 1, nullptr, 10); };
    if (line.find("Page size:") != std::string::npos) page = value();
    else if (line.find("Number of pages used:") != std::string::npos) used = value();
    else if (line.find("Free pages:") != std::string::npos) free = value();
  }
  if (page == 0 || used == 0) error = "mdb_stat printed no page counts";
  return (used - std::min(used, free)) * page;
}

/// The words table's bytes on disk: the live pages of the index scanned
/// with the word index less those of the index scanned without it (the
/// words table is a DUPSORT table whose sub-pages `mdb_stat -a` does not
/// count under its name).
void table_sizes(const stdfs::path& with, const stdfs::path& without, const stdfs::path& work, ScanCost& cost) {
  const std::uint64_t a = live_bytes(with / "index", work, cost.sizes_error);
  const std::uint64_t b = live_bytes(without / "index", work, cost.sizes_error);
  cost.sizes_known = cost.sizes_error.empty() && a > 0;
  cost.catalog_bytes = a;
  cost.words_bytes = a > b ? a - b : 0;
}

std::string folder_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string file_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

std::string joined_tags(const json& item) {
  std::string s;
  if (const auto it = item.find("tags"); it != item.end() && it->is_array())
    for (const auto& t : *it) s += (s.empty() ? "" : " ") + (t.is_string() ? t.get<std::string>() : t.value("name", ""));
  return s;
}

/// Every project and asset, through GET /api/v1/projects and /api/v1/assets.
std::vector<SearchDoc> list_documents(DaemonApi& api, const SearchLibrary& lib) {
  std::vector<SearchDoc> docs;
  for (const std::string list : {"projects", "assets"}) {
    std::string cursor;
    do {
      const json page = api.get("/api/v1/" + list + "?limit=1000" + (cursor.empty() ? "" : "&cursor=" + url_encode(cursor)));
      const json& items = page.at("items");
      for (const auto& item : items) {
        SearchDoc d;
        d.tags = joined_tags(item);
        if (list == "projects") {
          d.rowid = item.at("id").get<std::int64_t>();
          d.name = item.at("name").get<std::string>();
          if (auto n = lib.project_notes.find(d.name); n != lib.project_notes.end()) d.notes = n->second;
        } else {
          d.rowid = kAssetRowBase + item.at("id").get<std::int64_t>();
          const std::string path = item.at("path").get<std::string>();
          d.name = file_of(path);
          d.path = folder_of(path);
          d.project = item.value("project_name", "");
          if (auto n = lib.asset_notes.find({d.project, path}); n != lib.asset_notes.end()) d.notes = n->second;
        }
        docs.push_back(std::move(d));
      }
      const json& next = page.at("next_cursor");
      cursor = next.is_string() ? next.get<std::string>() : "";
    } while (!cursor.empty());
  }
  return docs;
}

/// The FTS5 rowid of a search result item.
std::int64_t rowid_of(const json& item) {
  const std::int64_t id = item.at("id").get<std::int64_t>();
  return item.value("type", "") == "asset" ? kAssetRowBase + id : id;
}

/// The search API on one keep-alive connection.
class SearchClient {
 public:
  explicit SearchClient(const std::string& url) : client_(url) {
    client_.set_keep_alive(true);
    client_.set_read_timeout(120);
  }

  /// One page; the body.
  std::string page(const std::string& q, int limit, const std::string& cursor = "") {
    const std::string path = "/api/v1/search?q=" + url_encode(q) + "&limit=" + std::to_string(limit) +
                             (cursor.empty() ? "" : "&cursor=" + url_encode(cursor));
    const auto res = client_.Get(path);
    if (!res) throw std::runtime_error("GET " + path + ": " + httplib::to_string(res.error()));
    if (res->status != 200) throw std::runtime_error("GET " + path + " answered " + std::to_string(res->status) + ": " + res->body);
    return res->body;
  }

  /// Every result, paging through with the cursor.
  std::vector<std::int64_t> all(const std::string& q) {
    std::vector<std::int64_t> out;
    std::string cursor;
    do {
      const json page = json::parse(this->page(q, 1000, cursor));
      for (const auto& item : page.at("items")) out.push_back(rowid_of(item));
      const json& next = page.at("next_cursor");
      cursor = next.is_string() ? next.get<std::string>() : "";
    } while (!cursor.empty());
    return out;
  }

 private:
  httplib::Client client_;
};

std::string describe(const std::vector<SearchDoc>& docs, std::int64_t rowid) {
  for (const auto& d : docs)
    if (d.rowid == rowid)
      return (d.rowid >= kAssetRowBase ? "asset " + d.project + "/" + (d.path.empty() ? "" : d.path + "/") + d.name
                                       : "project " + d.name) +
             (d.tags.empty() ? "" : " [tags: " + d.tags + "]") + (d.notes.empty() ? "" : " [note: " + d.notes + "]");
  return "item " + std::to_string(rowid) + " (not listed by the API)";
}

void compare_sets(SearchClient& api, FtsBaseline& fts, const std::vector<SearchDoc>& docs, const BenchQuery& q,
                  TierResult& res) {
  const auto mine = api.all(q.limafs);
  FtsBaseline::Query query(fts, q.fts, 0);
  const auto theirs = query.run();
  ++res.compared_queries;
  const std::set<std::int64_t> a(mine.begin(), mine.end()), b(theirs.begin(), theirs.end());
  if (a == b && a.size() == mine.size()) return;
  SetMismatch m{q.limafs, q.fts, mine.size(), theirs.size(), {}, {}};
  for (auto id : a)
    if (!b.contains(id) && m.only_limafs.size() < 5) m.only_limafs.push_back(describe(docs, id));
  for (auto id : b)
    if (!a.contains(id) && m.only_fts.size() < 5) m.only_fts.push_back(describe(docs, id));
  if (a.size() != mine.size()) m.only_limafs.push_back("(limafs listed " + std::to_string(mine.size() - a.size()) + " items twice)");
  res.mismatches.push_back(std::move(m));
}

/// Repeats the class's queries round-robin for `budget` seconds (at least
/// once each, at most 2,000 rounds).
template <class Run>
void repeat_class(const QueryClass& c, double budget, Latencies& out, Run run) {
  const auto t0 = Clock::now();
  for (int round = 0; round < 2000 && (round == 0 || seconds_since(t0) < budget); ++round) {
    for (std::size_t i = 0; i < c.queries.size(); ++i) {
      const auto q0 = Clock::now();
      run(i);
      const double ms = seconds_since(q0) * 1000.0;
      out.ms.push_back(ms);
    }
  }
}

/// Adds 1,000 evenly spaced quantiles of `from` to `to`: every class
/// weighs the same in the overall figures, however fast its queries ran.
void add_quantiles(const Latencies& from, Latencies& to) {
  std::vector<double> v = from.ms;
  std::sort(v.begin(), v.end());
  if (v.empty()) return;
  for (std::size_t k = 0; k < 1000; ++k) to.ms.push_back(v[std::min(v.size() - 1, (2 * k + 1) * v.size() / 2000)]);
}

/// opendir + readdir of every entry + closedir; milliseconds and entries.
std::pair<double, std::size_t> cold_ls(const stdfs::path& dir) {
  const auto t0 = Clock::now();
  DIR* d = ::opendir(dir.c_str());
  if (!d) throw std::runtime_error("opendir " + dir.string() + ": " + std::system_category().message(errno));
  std::size_t n = 0;
  while (::readdir(d)) ++n;
  ::closedir(d);
  return {seconds_since(t0) * 1000.0, n >= 2 ? n - 2 : n};
}

bool mounted(DaemonApi& api) {
  const json status = api.get("/api/v1/status");
  const auto m = status.find("mount");
  return m != status.end() && m->is_object() && m->value("mounted", false);
}

TierResult run_tier(const SearchBenchOptions& opt, SearchTier tier) {
  const Progress progress(opt.log);
  const std::string name(search_tier_name(tier));
  TierResult res;
  res.tier = tier;
  progress("== tier " + name);
  const SearchLibrary lib = make_search_library(opt.work, tier, opt.seed, opt.log);
  res.projects = lib.projects;
  res.files = lib.files;
  res.generate_s = lib.generate_s;
  res.tagged = lib.tagged_items;
  res.noted = lib.noted_items;
  progress(lib.generate_s > 0 ? "generated " + lib.dir.string() + " in " + fmt("%.1f s", lib.generate_s)
                              : "reusing " + lib.dir.string());

  // The cost of the word index: scans with it and without it.
  const stdfs::path with = opt.work / ("search-state-" + name), without = opt.work / ("search-state-" + name + "-nowords");
  warm_up(lib.dir);
  std::vector<double> iw, iwo, rw, rwo;
  std::error_code ec;
  for (int r = 0; r < opt.scan_repeat; ++r) {
    for (const auto& s : {with, without}) stdfs::remove_all(s, ec);
    iwo.push_back(timed_scan(opt, lib.dir, without, true));
    iw.push_back(timed_scan(opt, lib.dir, with, false));
    rwo.push_back(timed_scan(opt, lib.dir, without, true));
    rw.push_back(timed_scan(opt, lib.dir, with, false));
    progress("scan " + std::to_string(r + 1) + ": initial " + fmt("%.2f s", iw.back()) + " (without words " +
             fmt("%.2f s", iwo.back()) + "), rescan " + fmt("%.3f s", rw.back()) + " (without words " +
             fmt("%.3f s", rwo.back()) + ")");
  }
  res.scan.initial_with = median(iw);
  res.scan.initial_without = median(iwo);
  res.scan.rescan_with = median(rw);
  res.scan.rescan_without = median(rwo);
  table_sizes(with, without, opt.work, res.scan);
  stdfs::remove_all(without, ec);

  // The daemon on the scanned index; tags and notes imported through its API.
  const stdfs::path mnt = opt.work / ("search-mnt-" + name);
  prepare_mountpoint(mnt);
  const auto started = Clock::now();
  DaemonProcess daemon(opt.limafs, lib.dir, mnt, with, opt.work / ("search-daemon-" + name + ".log"));
  const std::string url = daemon.wait_for_api(std::chrono::seconds(60));
  std::vector<SearchDoc> docs;
  std::unique_ptr<FtsBaseline> fts;
  {
    DaemonApi api(url);
    for (daemon.check_running(); !api.healthy() || !mounted(api); daemon.check_running()) {
      if (seconds_since(started) > 1800) throw std::runtime_error("the daemon did not mount its view in 30 minutes");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    res.startup_s = seconds_since(started);
    auto t0 = Clock::now();
    api.post("/api/v1/metadata/import", lib.metadata);
    res.import_s = seconds_since(t0);
    progress("daemon serving after " + fmt("%.1f s", res.startup_s) + "; imported tags and notes of " +
             std::to_string(lib.metadata["projects"].size() + lib.metadata["assets"].size()) + " items in " +
             fmt("%.1f s", res.import_s));
    t0 = Clock::now();
    docs = list_documents(api, lib);
    res.listing_s = seconds_since(t0);
  }
  res.docs = docs.size();
  const auto t0 = Clock::now();
  fts = std::make_unique<FtsBaseline>(opt.work / ("search-fts-" + name + ".sqlite"));
  fts->build(docs);
  res.fts_build_s = seconds_since(t0);
  progress("listed " + std::to_string(docs.size()) + " documents through the API in " + fmt("%.1f s", res.listing_s) +
           "; FTS5 table built in " + fmt("%.2f s", res.fts_build_s));

  const std::vector<QueryClass> classes = choose_queries(docs, opt.queries_per_class);
  {
    SearchClient api(url);
    for (const auto& c : classes)
      if (c.compared)
        for (const auto& q : c.queries) compare_sets(api, *fts, docs, q, res);
    progress("compared the result sets of " + std::to_string(res.compared_queries) + " queries: " +
             std::to_string(res.mismatches.size()) + " differ");
    for (const auto& c : classes) {
      ClassResult cr{c, {}, {}, {}, {}};
      std::vector<std::unique_ptr<FtsBaseline::Query>> prepared;
      for (const auto& q : c.queries) {
        cr.limafs_hits.push_back(json::parse(api.page(q.limafs, kPage)).at("items").size());
        prepared.push_back(std::make_unique<FtsBaseline::Query>(*fts, q.fts, kPage));
        cr.fts_hits.push_back(prepared.back()->run().size());
      }
      repeat_class(c, opt.seconds_per_class, cr.limafs, [&](std::size_t i) { api.page(c.queries[i].limafs, kPage); });
      repeat_class(c, opt.seconds_per_class, cr.fts, [&](std::size_t i) { prepared[i]->run(); });
      progress(c.label + ": limafs p50 " + fmt("%.3f ms", cr.limafs.p50()) + " p99 " + fmt("%.3f ms", cr.limafs.p99()) +
               ", FTS5 p50 " + fmt("%.3f ms", cr.fts.p50()) + " p99 " + fmt("%.3f ms", cr.fts.p99()));
      add_quantiles(cr.limafs, res.limafs_all);
      add_quantiles(cr.fts, res.fts_all);
      res.classes.push_back(std::move(cr));
    }
  }

  for (const auto& q : fresh_queries(docs, *fts, opt.cold_queries, 1000, classes)) {
    const auto [ms, entries] = cold_ls(mnt / "search" / q.limafs);
    res.cold_ls.ms.push_back(ms);
    res.cold_entries_max = std::max(res.cold_entries_max, entries);
  }
  res.cold_queries = res.cold_ls.ms.size();
  progress("cold ls of " + std::to_string(res.cold_queries) + " fresh search/<query>/ folders: p50 " +
           fmt("%.2f ms", res.cold_ls.p50()) + ", p99 " + fmt("%.2f ms", res.cold_ls.p99()));

  res.stop = daemon.stop();
  progress("stopped the daemon: " + res.stop.text());
  if (!opt.keep) {
    stdfs::remove_all(with, ec);
    stdfs::remove(opt.work / ("search-fts-" + name + ".sqlite"), ec);
  }
  if (!res.stop.mount_left) stdfs::remove(mnt, ec);
  return res;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

double Latencies::p50() const { return percentile(ms, 0.50); }
double Latencies::p99() const { return percentile(ms, 0.99); }
double ClassResult::ratio_p50() const { return fts.p50() > 0 ? limafs.p50() / fts.p50() : 0; }
double ClassResult::ratio_p99() const { return fts.p99() > 0 ? limafs.p99() / fts.p99() : 0; }

SearchBenchResults run_search_benchmark(const SearchBenchOptions& opt) {
  SearchBenchResults out;
  for (const auto tier : opt.tiers) out.tiers.push_back(run_tier(opt, tier));
  return out;
}

}  // namespace lima::bench
