// The search benchmark: on a generated library (search_library.h), against
// SQLite FTS5 over the same documents (fts_baseline.h), in one run:
//
// - the cost of keeping the word index: `limafs scan` of the library, and a
//   no-change rescan, with and without LIMA_BENCH_SKIP_WORD_INDEX=1 (the
//   catalog then keeps no word index), and the words table's share of the
//   catalog on disk (live pages with it against without it, mdb_stat);
// - the daemon started on the scanned index, the tags and notes imported
//   through its API, every project and asset listed through its API: these
//   are the documents of the FTS5 table (whose build is timed);
// - per query class (search_queries.h): GET /api/v1/search?q=..&limit=50 on
//   one keep-alive connection against the FTS5 query with LIMIT 50, p50 and
//   p99 of many repetitions;
// - for the AND-of-prefix classes, the whole result sets compared;
// - a cold `ls search/<query>/` in the mount, over queries never asked before.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "daemon_process.h"
#include "search_library.h"
#include "search_queries.h"

namespace lima::bench {

struct SearchBenchOptions {
  std::vector<SearchTier> tiers = {SearchTier::m, SearchTier::l};
  std::uint64_t seed = 1;
  std::filesystem::path work;
  std::filesystem::path limafs;
  double seconds_per_class = 4;    ///< time budget of each class, per side
  std::size_t queries_per_class = 6;
  std::size_t cold_queries = 200;  ///< distinct queries for the cold ls
  int scan_repeat = 1;
  bool keep = false;
  std::ostream* log = nullptr;
};

/// Latency samples, milliseconds.
struct Latencies {
  std::vector<double> ms;
  double p50() const;
  double p99() const;
};

struct ClassResult {
  QueryClass queries;
  Latencies limafs, fts;
  std::vector<std::size_t> limafs_hits, fts_hits;  ///< per query, of the first page (≤ 50)
  double ratio_p50() const;
  double ratio_p99() const;
};

/// A result set that differs between the engines.
struct SetMismatch {
  std::string query, fts;
  std::size_t limafs_count = 0, fts_count = 0;
  std::vector<std::string> only_limafs, only_fts;  ///< a few items of each, described
};

struct ScanCost {
  double initial_with = 0, initial_without = 0;  ///< seconds (median)
  double rescan_with = 0, rescan_without = 0;
  /// Live bytes (pages used less free pages, `mdb_stat -e -f`) of the index
  /// scanned with the word index, and how many more than without it.
  std::uint64_t words_bytes = 0, catalog_bytes = 0;
  bool sizes_known = false;
  std::string sizes_error;
};

struct TierResult {
  SearchTier tier = SearchTier::s;
  std::size_t projects = 0, files = 0, docs = 0, tagged = 0, noted = 0;
  double generate_s = 0, startup_s = 0, import_s = 0, listing_s = 0, fts_build_s = 0;
  ScanCost scan;
  std::vector<ClassResult> classes;
  Latencies limafs_all, fts_all;
  std::size_t compared_queries = 0;
  std::vector<SetMismatch> mismatches;
  Latencies cold_ls;
  std::size_t cold_queries = 0, cold_entries_max = 0;
  DaemonStop stop;
};

struct SearchBenchResults {
  std::vector<TierResult> tiers;
};

/// Runs every tier in turn. Throws std::runtime_error.
SearchBenchResults run_search_benchmark(const SearchBenchOptions& options);

}  // namespace lima::bench
