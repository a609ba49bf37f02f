// The library of the search benchmark: many small files whose names read
// like a real 3D-printing library (project folders "Hinged Bracket 0042",
// files "bracket_hinge_v2.stl", "gearPro.3mf", "IMG_4711.jpg",
// "størrelse_guide.pdf"), drawn from a vocabulary of real-ish words with
// a long tail (so some words are rare and some are everywhere), some with
// accents, some camelCase, some with digits. File contents are a few bytes:
// only names matter to search, and tier L must be written in minutes.
//
// Tags and notes live outside the library: the plan also makes a metadata
// document (the format of `limafs export`) putting tags and notes on a
// fraction of the projects and assets, which the benchmark imports through
// the daemon's API in one request.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace lima::bench {

/// Size of the search library: S is a smoke test, M 100,000 files, L
/// 1,000,000 files in 10,000 projects.
enum class SearchTier { s, m, l };

/// Parses "S", "M" or "L" (any case).
std::optional<SearchTier> parse_search_tier(std::string_view name);
std::string_view search_tier_name(SearchTier tier);

struct SearchLibrarySpec {
  std::size_t projects = 0;
  std::size_t files_per_project = 0;
};
const SearchLibrarySpec& search_tier_spec(SearchTier tier);

/// A generated search library and its metadata.
struct SearchLibrary {
  std::filesystem::path dir;  ///< the library root
  std::size_t projects = 0, files = 0;
  double generate_s = 0;       ///< 0 when it was already there
  /// The metadata document to import ({"format": "limafs-metadata", ...}).
  nlohmann::json metadata;
  /// Notes by project name, and by (project name, asset path).
  std::map<std::string, std::string> project_notes;
  std::map<std::pair<std::string, std::string>, std::string> asset_notes;
  std::size_t tagged_items = 0, noted_items = 0;
};

/// Writes the library of (tier, seed) into WORK/search-lib-TIER-SEED unless
/// a finished one is there (its stamp file says so), and plans its
/// metadata. Deterministic. Throws std::runtime_error.
SearchLibrary make_search_library(const std::filesystem::path& work, SearchTier tier, std::uint64_t seed,
                                  std::ostream* log);

}  // namespace lima::bench
