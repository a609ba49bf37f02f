#include "search_report.h"

#include <ostream>
#include <string>
#include <vector>

#include "text_table.h"

namespace lima::bench {
namespace {

double ratio(double a, double b) { return b > 0 ? a / b : 0; }

/// The p99 target of a tier, 0 when it has none.
double p99_target(SearchTier t) {
  return t == SearchTier::m ? kSearchP99MsM : t == SearchTier::l ? kSearchP99MsL : 0;
}

bool class_ok(const ClassResult& c) {
  return c.ratio_p50() <= kSearchRatioTarget && c.ratio_p99() <= kSearchRatioTarget;
}

bool scan_ok(const ScanCost& s) {
  return ratio(s.initial_with, s.initial_without) <= kScanCostTarget &&
         ratio(s.rescan_with, s.rescan_without) <= kScanCostTarget;
}

bool words_ok(const ScanCost& s) {
  return s.sizes_known && ratio(static_cast<double>(s.words_bytes), static_cast<double>(s.catalog_bytes)) <= kWordsShareTarget;
}

bool tier_ok(const TierResult& t) {
  bool ok = scan_ok(t.scan) && words_ok(t.scan);
  for (const auto& c : t.classes) ok = ok && class_ok(c);
  if (const double target = p99_target(t.tier); target > 0) ok = ok && t.limafs_all.p99() <= target;
  if (t.tier == SearchTier::m) ok = ok && t.cold_ls.p99() <= kColdLsP99Ms;
  return ok;
}

std::string ms(double v) { return fmt("%.3f ms", v); }
std::string yes(bool ok) { return ok ? "yes" : "NO"; }

/// The rows of one tier: measurement, limafs, FTS5 (or the baseline), ratio, target, ok.
std::vector<std::vector<std::string>> tier_rows(const TierResult& t) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : t.classes) {
    rows.push_back({"search: " + c.queries.label + " (" + std::to_string(c.queries.queries.size()) + " queries, " +
                        std::to_string(c.limafs.ms.size()) + " runs)",
                    "p50 " + ms(c.limafs.p50()) + ", p99 " + ms(c.limafs.p99()),
                    "p50 " + ms(c.fts.p50()) + ", p99 " + ms(c.fts.p99()),
                    fmt("%.2f", c.ratio_p50()) + " / " + fmt("%.2f", c.ratio_p99()),
                    fmt("<= %.1f", kSearchRatioTarget), yes(class_ok(c))});
  }
  const double target = p99_target(t.tier);
  rows.push_back({"search: every class", "p50 " + ms(t.limafs_all.p50()) + ", p99 " + ms(t.limafs_all.p99()),
                  "p50 " + ms(t.fts_all.p50()) + ", p99 " + ms(t.fts_all.p99()),
                  fmt("%.2f", ratio(t.limafs_all.p50(), t.fts_all.p50())) + " / " +
                      fmt("%.2f", ratio(t.limafs_all.p99(), t.fts_all.p99())),
                  target > 0 ? "limafs p99 <= " + fmt("%.0f ms", target) : "",
                  target > 0 ? yes(t.limafs_all.p99() <= target) : ""});
  rows.push_back({"result sets of the AND-of-prefix classes",
                  std::to_string(t.compared_queries - t.mismatches.size()) + " of " +
                      std::to_string(t.compared_queries) + " equal",
                  "", "", "all equal", yes(t.mismatches.empty())});
  rows.push_back({"cold ls search/<query>/ (" + std::to_string(t.cold_queries) + " fresh queries, <= " +
                      std::to_string(t.cold_entries_max) + " entries)",
                  "p50 " + ms(t.cold_ls.p50()) + ", p99 " + ms(t.cold_ls.p99()), "", "",
                  t.tier == SearchTier::m ? "p99 <= " + fmt("%.0f ms", kColdLsP99Ms) : "",
                  t.tier == SearchTier::m ? yes(t.cold_ls.p99() <= kColdLsP99Ms) : ""});
  rows.push_back({"build the FTS5 table (" + std::to_string(t.docs) + " documents)", "",
                  fmt("%.2f s", t.fts_build_s), "", "", ""});
  const auto& s = t.scan;
  rows.push_back({"initial scan: with word index / without", fmt("%.2f s", s.initial_with),
                  fmt("%.2f s", s.initial_without), fmt("%.2f", ratio(s.initial_with, s.initial_without)),
                  fmt("<= %.2f", kScanCostTarget), yes(ratio(s.initial_with, s.initial_without) <= kScanCostTarget)});
  rows.push_back({"no-change rescan: with word index / without", fmt("%.3f s", s.rescan_with),
                  fmt("%.3f s", s.rescan_without), fmt("%.2f", ratio(s.rescan_with, s.rescan_without)),
                  fmt("<= %.2f", kScanCostTarget), yes(ratio(s.rescan_with, s.rescan_without) <= kScanCostTarget)});
  if (s.sizes_known) {
    const double share = ratio(static_cast<double>(s.words_bytes), static_cast<double>(s.catalog_bytes));
    rows.push_back({"words table / whole catalog on disk", fmt("%.1f MiB", static_cast<double>(s.words_bytes) / 1048576.0),
                    fmt("%.1f MiB", static_cast<double>(s.catalog_bytes) / 1048576.0), fmt("%.0f%%", share * 100),
                    fmt("<= %.0f%%", kWordsShareTarget * 100), yes(share <= kWordsShareTarget)});
  } else {
    rows.push_back({"words table / whole catalog on disk", s.sizes_error, "", "", "", "NO"});
  }
  return rows;
}

nlohmann::ordered_json latency_json(const Latencies& l) {
  return {{"runs", l.ms.size()}, {"p50_ms", l.p50()}, {"p99_ms", l.p99()}};
}

}  // namespace

SearchVerdict judge(const SearchBenchResults& r) {
  SearchVerdict v;
  for (const auto& t : r.tiers) {
    v.sets_equal = v.sets_equal && t.mismatches.empty();
    v.targets_met = v.targets_met && tier_ok(t);
  }
  return v;
}

void print_report(std::ostream& out, const SearchBenchResults& r, const SearchBenchOptions& opt, const SearchVerdict& v) {
  for (const auto& t : r.tiers) {
    out << "\ntier " << search_tier_name(t.tier) << ": " << t.projects << " projects, " << t.files << " files ("
        << t.tagged << " items tagged, " << t.noted << " with a note); library "
        << (t.generate_s > 0 ? "generated in " + fmt("%.1f s", t.generate_s) : std::string("reused"))
        << "; daemon up in " << fmt("%.1f s", t.startup_s) << ", metadata import " << fmt("%.1f s", t.import_s)
        << ", listing " << fmt("%.1f s", t.listing_s) << "\n\n";
    print_table(out, {"measurement", "limafs", "FTS5 / baseline", "ratio (p50 / p99)", "target", "ok?"}, tier_rows(t));
    for (const auto& c : t.classes) {
      out << "  " << c.queries.label << ":";
      for (std::size_t i = 0; i < c.queries.queries.size(); ++i) {
        out << (i ? "," : "") << " " << c.queries.queries[i].limafs << " [" << c.limafs_hits[i] << "/" << c.fts_hits[i]
            << "]";
      }
      out << "   (FTS5: " << (c.queries.queries.empty() ? "" : c.queries.queries.front().fts) << ", ...)\n";
    }
    for (const auto& m : t.mismatches) {
      out << "RESULT SETS DIFFER for '" << m.query << "' (FTS5 " << m.fts << "): limafs " << m.limafs_count
          << " items, FTS5 " << m.fts_count << "\n";
      for (const auto& s : m.only_limafs) out << "    only limafs: " << s << "\n";
      for (const auto& s : m.only_fts) out << "    only FTS5:   " << s << "\n";
    }
    out << "daemon stop: " << t.stop.text() << "\n";
  }
  if (r.tiers.size() > 1) {
    out << "\nevery measurement by tier (limafs; FTS5 or the baseline after the bar):\n\n";
    std::vector<std::string> header = {"measurement"};
    for (const auto& t : r.tiers) header.push_back("tier " + std::string(search_tier_name(t.tier)));
    std::vector<std::vector<std::string>> rows;
    for (std::size_t ti = 0; ti < r.tiers.size(); ++ti) {
      const auto tr = tier_rows(r.tiers[ti]);
      for (std::size_t i = 0; i < tr.size(); ++i) {
        if (ti == 0) rows.push_back({tr[i][0]});
        if (i < rows.size()) rows[i].push_back(tr[i][1] + (tr[i][2].empty() ? "" : " | " + tr[i][2]));
      }
    }
    print_table(out, header, rows);
  }
  out << "\n"
      << (v.sets_equal ? "result sets: equal" : "result sets: DIFFER (the run fails)") << "; "
      << (v.targets_met ? "all targets met" : "some targets missed") << (opt.seconds_per_class > 0 ? "" : "") << "\n";
}

nlohmann::ordered_json report_json(const SearchBenchResults& r, const SearchBenchOptions& opt, const SearchVerdict& v) {
  nlohmann::ordered_json tiers = nlohmann::ordered_json::array();
  for (const auto& t : r.tiers) {
    nlohmann::ordered_json classes = nlohmann::ordered_json::array();
    for (const auto& c : t.classes) {
      nlohmann::ordered_json queries = nlohmann::ordered_json::array();
      for (std::size_t i = 0; i < c.queries.queries.size(); ++i)
        queries.push_back({{"limafs", c.queries.queries[i].limafs}, {"fts5", c.queries.queries[i].fts},
                           {"limafs_first_page", c.limafs_hits[i]}, {"fts5_first_page", c.fts_hits[i]}});
      classes.push_back({{"class", c.queries.id}, {"label", c.queries.label}, {"compared", c.queries.compared},
                         {"queries", queries}, {"limafs", latency_json(c.limafs)}, {"fts5", latency_json(c.fts)},
                         {"ratio_p50", c.ratio_p50()}, {"ratio_p99", c.ratio_p99()}, {"ok", class_ok(c)}});
    }
    nlohmann::ordered_json mismatches = nlohmann::ordered_json::array();
    for (const auto& m : t.mismatches)
      mismatches.push_back({{"query", m.query}, {"fts5", m.fts}, {"limafs_count", m.limafs_count},
                            {"fts5_count", m.fts_count}, {"only_limafs", m.only_limafs}, {"only_fts5", m.only_fts}});
    const auto& s = t.scan;
    tiers.push_back({
        {"tier", search_tier_name(t.tier)}, {"projects", t.projects}, {"files", t.files}, {"documents", t.docs},
        {"tagged_items", t.tagged}, {"noted_items", t.noted}, {"generate_s", t.generate_s},
        {"daemon_startup_s", t.startup_s}, {"metadata_import_s", t.import_s}, {"listing_s", t.listing_s},
        {"fts5_build_s", t.fts_build_s}, {"classes", classes},
        {"all_classes", {{"limafs", latency_json(t.limafs_all)}, {"fts5", latency_json(t.fts_all)},
                         {"target_p99_ms", p99_target(t.tier)}}},
        {"result_sets", {{"compared_queries", t.compared_queries}, {"mismatches", mismatches}}},
        {"cold_ls", {{"queries", t.cold_queries}, {"max_entries", t.cold_entries_max},
                     {"latency", latency_json(t.cold_ls)}, {"target_p99_ms", kColdLsP99Ms}}},
        {"scan", {{"initial_with_words_s", s.initial_with}, {"initial_without_words_s", s.initial_without},
                  {"rescan_with_words_s", s.rescan_with}, {"rescan_without_words_s", s.rescan_without},
                  {"initial_ratio", ratio(s.initial_with, s.initial_without)},
                  {"rescan_ratio", ratio(s.rescan_with, s.rescan_without)}, {"target_ratio", kScanCostTarget}}},
        {"words_table", {{"known", s.sizes_known}, {"words_bytes", s.words_bytes}, {"catalog_bytes", s.catalog_bytes},
                         {"share", ratio(static_cast<double>(s.words_bytes), static_cast<double>(s.catalog_bytes))},
                         {"target_share", kWordsShareTarget}, {"error", s.sizes_error}}},
        {"daemon_stop", t.stop.text()}, {"ok", tier_ok(t)},
    });
  }
  return {{"seed", opt.seed}, {"seconds_per_class", opt.seconds_per_class}, {"tiers", tiers},
          {"result_sets_equal", v.sets_equal}, {"targets_met", v.targets_met}};
}

}  // namespace lima::bench
