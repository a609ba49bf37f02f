#include "search_library.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <set>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "seeded_rng.h"
#include "write_all.h"

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;

constexpr const char* kStamp = ".limafs-bench-search-stamp";

const SearchLibrarySpec kSpecs[] = {
    {200, 10},         // S: 2,000 files
    {1'000, 100},      // M: 100,000 files
    {10'000, 100},     // L: 1,000,000 files
};

// The vocabulary, most frequent first: draws follow a Zipf law over each
// list, so the head words are everywhere and the tail words are rare.
const std::array kAdjectives = {
    "Articulated", "Modular",  "Compact",   "Parametric", "Hinged",   "Stackable", "Hexagonal", "Gridfinity",
    "Foldable",    "Tiny",     "Rugged",    "Minimal",    "Vintage",  "Spiral",    "Twisted",   "Nested",
    "Magnetic",    "Desk",     "Garden",    "Kitchen",    "Workshop", "Retro",     "Geometric", "Voronoi",
    "Lattice",     "Hollow",   "Curved",    "Ergonomic",  "Sliding",  "Rotating",  "Clockwork", "Celestial",
    "Arctic",      "Crystal",  "Floral",    "Steampunk",  "Café",     "Crème",     "Fjäll",     "Størrelse",
    "Nordic",      "Baroque",  "Quantum",   "Orbital",    "Dainty",   "Brutalist", "Whimsical", "Zephyr",
};

const std::array kNouns = {
    "Bracket",  "Gear",     "Mount",     "Holder",   "Benchy",   "Hinge",    "Clip",       "Box",
    "Vase",     "Dragon",   "Stand",     "Hook",     "Spool",    "Knob",     "Tray",       "Case",
    "Planter",  "Organizer", "Drawer",   "Lamp",     "Robot",    "Rocket",   "Turtle",     "Castle",
    "Coaster",  "Keychain", "Bookend",   "Enclosure", "Duct",    "Shelf",    "Pulley",     "Bearing",
    "Nozzle",   "Extruder", "Frame",     "Whistle",  "Octopus",  "Lithophane", "Skull",    "Fidget",
    "Carabiner", "Tripod",  "Gimbal",    "Sprocket", "Ratchet",  "Caliper",  "Tessellation", "Gnome",
    "Menorah",  "Ocarina",  "Zoetrope",  "Astrolabe", "Quokka",  "Narwhal",  "Pangolin",   "Axolotl",
};

const std::array kParts = {
    "body",   "base",    "lid",    "cover",   "plate",  "frame",   "arm",     "leg",    "handle", "spacer",
    "insert", "adapter", "shell",  "ring",    "pin",    "joint",   "wheel",   "axle",   "cap",    "nut",
    "bolt",   "washer",  "clamp",  "rail",    "slider", "spring",  "latch",   "panel",  "socket", "tab",
    "wedge",  "collar",  "bushing", "flange", "gusset", "sleeve",  "grommet", "ferrule", "tenon", "mortise",
};

const std::array kViews = {"render", "photo", "print", "front", "side", "top", "detail", "assembly", "closeup"};

const std::array kDocs = {"README", "assembly_guide", "print_settings", "license", "notes",
                          "bill_of_materials", "changelog", "størrelse_guide", "slicer_notes", "calibration"};

// camelCase and letter/digit endings: "gearPro", "lidV2". The word index
// splits these ("gearpro", "gear", "pro"); FTS5's unicode61 keeps one
// token. The benchmark never asks for a word that only occurs as such a
// second part (search_queries.h), so both engines agree on the sets.
const std::array kTails = {"Pro", "Max", "Lite", "Plus", "Mini", "V2", "V3", "XL"};

const std::array kTags = {"pla",    "petg",    "functional", "toy",     "gift",      "printed", "favorite",
                          "resin",  "tpu",     "calibrated", "multicolor", "supports", "remix",  "kids",
                          "cosplay", "office", "decor",      "tools",   "abs",       "nylon",   "wip",
                          "woodfill", "silk",  "glow",       "carbon",  "archived",  "sold",    "bestseller"};

const std::array kNoteWords = {
    "printed", "at",       "layer",  "height",  "with",     "supports", "needs",   "brim",    "the",
    "works",   "well",     "in",     "petg",    "tolerance", "tight",   "sanded",  "painted", "glued",
    "infill",  "percent",  "slow",   "first",   "layer",    "warped",   "corner",  "reprint", "remix",
    "of",      "original", "author", "scaled",  "fits",     "perfectly", "café",   "størrelse", "crème",
    "bridge",  "overhang", "stringing", "retraction", "ironing", "seam", "vase",    "mode",    "spiral",
};

/// Index in [0, n) drawn from a Zipf law of exponent 1.1.
class Zipf {
 public:
  explicit Zipf(std::size_t n) {
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) cdf_.push_back(sum += 1.0 / std::pow(static_cast<double>(i + 1), 1.1));
    for (auto& c : cdf_) c /= sum;
  }
  std::size_t operator()(SeededRng& rng) const {
    const double u = rng.uniform();
    std::size_t lo = 0, hi = cdf_.size() - 1;
    while (lo < hi) {
      const std::size_t mid = (lo + hi) / 2;
      if (cdf_[mid] < u) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

 private:
  std::vector<double> cdf_;
};

template <typename T, std::size_t N>
const T& zipf_pick(SeededRng& rng, const std::array<T, N>& items) {
  static const Zipf z(N);  // one per list size
  return items[z(rng)];
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// One project: its folder name and its files' paths inside it.
struct ProjectPlan {
  std::string name;
  std::vector<std::string> files;
};

std::string file_name(SeededRng& rng, const std::string& noun) {
  const double kind = rng.uniform();
  char num[16];
  if (kind < 0.45) {
    std::string n = noun + "_" + zipf_pick(rng, kParts);
    if (rng.chance(0.2)) n += "_v" + std::to_string(rng.between(2, 5));
    static constexpr std::array kExt = {".stl", ".stl", ".stl", ".3mf", ".step", ".obj"};
    return n + kExt[rng.below(kExt.size())];
  }
  if (kind < 0.60) {  // camelCase and digits: "sliderPro.3mf", "capV2.stl"
    return std::string(zipf_pick(rng, kParts)) + kTails[rng.below(kTails.size())] + (rng.chance(0.5) ? ".3mf" : ".stl");
  }
  if (kind < 0.75) {
    std::snprintf(num, sizeof num, "IMG_%04u.jpg", static_cast<unsigned>(rng.below(10'000)));
    return num;
  }
  if (kind < 0.88) return noun + "_" + kViews[rng.below(kViews.size())] + ".png";
  return std::string(kDocs[rng.below(kDocs.size())]) + (rng.chance(0.5) ? ".pdf" : ".md");
}

std::vector<ProjectPlan> plan_projects(const SearchLibrarySpec& spec, std::uint64_t seed) {
  SeededRng rng(derive_seed(seed, 41));
  std::vector<ProjectPlan> out;
  std::set<std::string> seen;
  while (out.size() < spec.projects) {
    std::string adjective = zipf_pick(rng, kAdjectives);
    std::string noun = zipf_pick(rng, kNouns);
    char num[8];
    std::snprintf(num, sizeof num, "%04u", static_cast<unsigned>(rng.below(10'000)));
    std::string name = adjective + " " + noun + " " + num;
    if (!seen.insert(name).second) continue;
    ProjectPlan p{name, {}};
    const std::string slug = lower(noun);
    std::set<std::string> used;
    for (std::size_t i = 0; i < spec.files_per_project; ++i) {
      static constexpr std::array kFolders = {"models", "models", "models/parts", "images", "docs", ""};
      const std::string folder = kFolders[rng.below(kFolders.size())];
      std::string path = (folder.empty() ? "" : folder + "/") + file_name(rng, slug);
      for (int n = 2; !used.insert(path).second; ++n) {
        const auto dot = path.rfind('.');
        path = path.substr(0, dot) + "_" + std::to_string(n) + path.substr(dot);
      }
      p.files.push_back(std::move(path));
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::string note_text(SeededRng& rng) {
  std::string s;
  const auto words = rng.between(4, 12);
  for (std::int64_t i = 0; i < words; ++i) {
    if (i) s += ' ';
    s += rng.chance(0.3) ? lower(zipf_pick(rng, kNouns)) : std::string(kNoteWords[rng.below(kNoteWords.size())]);
  }
  return s;
}

nlohmann::json tag_list(SeededRng& rng) {
  nlohmann::json tags = nlohmann::json::array();
  std::set<std::string> chosen;
  for (auto n = rng.between(1, 3); n > 0; --n) chosen.insert(zipf_pick(rng, kTags));
  for (const auto& t : chosen) tags.push_back(t);
  return tags;
}

/// Tags on 20% of the projects and 5% of the assets, notes on 10% and 2%.
void plan_metadata(const std::vector<ProjectPlan>& projects, std::uint64_t seed, SearchLibrary& lib) {
  SeededRng rng(derive_seed(seed, 42));
  nlohmann::json ps = nlohmann::json::array(), as = nlohmann::json::array();
  for (const auto& p : projects) {
    const bool tagged = rng.chance(0.20), noted = rng.chance(0.10);
    if (tagged || noted) {
      nlohmann::json j = {{"name", p.name}, {"tags", tagged ? tag_list(rng) : nlohmann::json::array()}};
      if (noted) j["note"] = lib.project_notes[p.name] = note_text(rng);
      lib.tagged_items += tagged;
      lib.noted_items += noted;
      ps.push_back(std::move(j));
    }
    for (const auto& f : p.files) {
      const bool ftagged = rng.chance(0.05), fnoted = rng.chance(0.02);
      if (!ftagged && !fnoted) continue;
      nlohmann::json j = {{"project", p.name}, {"path", f}, {"tags", ftagged ? tag_list(rng) : nlohmann::json::array()}};
      if (fnoted) j["note"] = lib.asset_notes[{p.name, f}] = note_text(rng);
      lib.tagged_items += ftagged;
      lib.noted_items += fnoted;
      as.push_back(std::move(j));
    }
  }
  lib.metadata = {{"format", "limafs-metadata"}, {"version", 1}, {"projects", std::move(ps)}, {"assets", std::move(as)}};
}

void make_dirs(const stdfs::path& dir) {
  std::error_code ec;
  stdfs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create " + dir.string() + ": " + ec.message());
}

/// Writes the projects [first, projects.size()) with stride `step`.
void write_projects(const stdfs::path& root, const std::vector<ProjectPlan>& projects, std::size_t first,
                    std::size_t step, std::atomic<bool>& failed, std::string& error) try {
  for (std::size_t i = first; i < projects.size() && !failed; i += step) {
    const auto& p = projects[i];
    const stdfs::path dir = root / p.name;
    make_dirs(dir / "models" / "parts");
    make_dirs(dir / "images");
    make_dirs(dir / "docs");
    for (std::size_t f = 0; f < p.files.size(); ++f) {
      const stdfs::path path = dir / p.files[f];
      const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      // A few bytes of content, distinct per file.
      const std::string content = "solid " + std::to_string(i) + "-" + std::to_string(f) + "\n";
      if (fd < 0 || !write_all(fd, reinterpret_cast<const unsigned char*>(content.data()), content.size())) {
        error = path.string() + ": " + std::system_category().message(errno);
        failed = true;
        if (fd >= 0) ::close(fd);
        return;
      }
      ::close(fd);
    }
  }
} catch (const std::exception& e) {
  error = e.what();
  failed = true;
}

}  // namespace

std::optional<SearchTier> parse_search_tier(std::string_view name) {
  const std::string n = lower(name);
  if (n == "s") return SearchTier::s;
  if (n == "m") return SearchTier::m;
  if (n == "l") return SearchTier::l;
  return std::nullopt;
}

std::string_view search_tier_name(SearchTier tier) {
  switch (tier) {
    case SearchTier::s: return "S";
    case SearchTier::m: return "M";
    case SearchTier::l: return "L";
  }
  return "?";
}

const SearchLibrarySpec& search_tier_spec(SearchTier tier) { return kSpecs[static_cast<int>(tier)]; }

SearchLibrary make_search_library(const stdfs::path& work, SearchTier tier, std::uint64_t seed, std::ostream* log) {
  const SearchLibrarySpec& spec = search_tier_spec(tier);
  SearchLibrary lib;
  lib.dir = work / ("search-lib-" + std::string(search_tier_name(tier)) + "-" + std::to_string(seed));
  const std::vector<ProjectPlan> projects = plan_projects(spec, seed);
  lib.projects = projects.size();
  for (const auto& p : projects) lib.files += p.files.size();
  plan_metadata(projects, seed, lib);

  const std::string stamp = "search tier " + std::string(search_tier_name(tier)) + " seed " + std::to_string(seed) +
                            " files " + std::to_string(lib.files);
  std::string found;
  std::getline(std::ifstream(lib.dir / kStamp), found);
  if (found == stamp) return lib;

  std::error_code ec;
  stdfs::remove_all(lib.dir, ec);
  if (ec) throw std::runtime_error("cannot remove " + lib.dir.string() + ": " + ec.message());
  make_dirs(lib.dir);
  if (log) *log << "writing " << lib.files << " files in " << lib.projects << " projects into " << lib.dir.string() << "\n";
  const auto t0 = std::chrono::steady_clock::now();
  std::atomic<bool> failed{false};
  std::string errors[2];
  {
    std::jthread other([&] { write_projects(lib.dir, projects, 1, 2, failed, errors[1]); });
    write_projects(lib.dir, projects, 0, 2, failed, errors[0]);
  }
  if (failed) throw std::runtime_error("cannot write the search library: " + errors[0] + errors[1]);
  std::ofstream(lib.dir / kStamp) << stamp << "\n";
  lib.generate_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return lib;
}

}  // namespace lima::bench
