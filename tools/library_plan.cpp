#include "library_plan.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include "seeded_rng.h"

namespace lima::bench {
namespace {

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = 1024 * kKiB;

constexpr std::int64_t kDay = 24 * 3600;
/// 2024-01-01T00:00:00Z; the root mtime falls within the year after it.
constexpr std::int64_t kEpochBase = 1704067200;

constexpr std::uint64_t kStlHeader = 80 + 4;  // header + triangle count
constexpr std::uint64_t kStlTriangle = 50;

const TierSpec kTiers[] = {
    // projects, files, median, sigma, cap, big files, big range
    {12, 120, 8.0 * kKiB, 1.2, 200'000, 0, 0, 0},
    {100, 10'000, 8.0 * kKiB, 1.6, 50 * kMiB, 1, 96 * kMiB, 104 * kMiB},
    {1'000, 100'000, 8.0 * kKiB, 1.6, 50 * kMiB, 4, 100 * kMiB, 200 * kMiB},
};

const std::array kAdjectives = {
    "Articulated", "Modular",     "Compact",    "Parametric",   "Flexi",       "Stackable",
    "Hexagonal",   "Low-Poly",    "Gridfinity", "Foldable",     "Tiny",        "Giant",
    "Rugged",      "Minimal",     "Vintage",    "Spiral",       "Twisted",     "Nested",
    "Magnetic",    "Snap-Fit",    "Wall-Mounted", "Desk",       "Garden",      "Kitchen",
    "Workshop",    "Retro",       "Geometric",  "Voronoi",      "Lattice",     "Hollow",
    "Curved",      "Ergonomic",   "Adjustable", "Universal",    "Mini",        "Heavy-Duty",
    "Lightweight", "Sliding",     "Rotating",   "Interlocking", "Hinged",      "Clockwork",
    "Celestial",   "Arctic",      "Desert",     "Crystal",      "Floral",      "Steampunk",
};

const std::array kNouns = {
    "Dragon",       "Vase",          "Planter",        "Cable Organizer", "Phone Stand",
    "Headphone Hook", "Spool Holder", "Gear Set",      "Tool Holder",     "Lamp Shade",
    "Chess Set",    "Dice Tower",    "Knight",         "Castle",          "Robot",
    "Octopus",      "Turtle",        "Fox",            "Owl",             "Cat",
    "Whale",        "Rocket",        "Drone Frame",    "Camera Mount",    "Filament Guide",
    "Clip",         "Bracket",       "Hinge",          "Box",             "Drawer",
    "Coaster",      "Keychain",      "Pen Holder",     "Bookend",         "Bird Feeder",
    "Fidget Spinner", "Marble Run",  "Puzzle Cube",    "Soap Dish",       "Wall Hook",
    "Fan Duct",     "Enclosure",     "Pi Case",        "Calibration Cube", "Lithophane",
    "Tray",         "Cookie Cutter", "Skull",
};

const std::array kParts = {
    "body",  "head",    "base",   "lid",    "arm_left", "arm_right", "leg",       "tail",
    "wing",  "hinge",   "clip",   "gear",   "plate",    "cover",     "frame",     "mount",
    "knob",  "handle",  "spacer", "insert", "adapter",  "shell_top", "shell_bottom", "stand",
    "ring",  "pin",     "joint",  "bracket",
};

const std::array kViews = {
    "render", "photo", "print", "front", "side",   "top",     "back",
    "detail", "assembly", "cover", "in_use", "painted", "closeup", "layer_test",
};

const std::array kDocs = {
    "README",   "assembly_instructions", "print_settings", "license",   "notes",
    "bill_of_materials", "changelog",   "Assembly Guide", "Print Profile", "slicer_notes",
    "user_manual", "calibration",
};

const std::array kOthers = {"all_parts", "source_files", "metadata", "project", "settings"};

struct Choice {
  const char* value;
  int weight;
};

template <std::size_t N>
const char* pick_weighted(SeededRng& rng, const std::array<Choice, N>& choices) {
  int total = 0;
  for (const auto& c : choices) total += c.weight;
  auto r = static_cast<int>(rng.below(static_cast<std::uint64_t>(total)));
  for (const auto& c : choices) {
    if (r < c.weight) return c.value;
    r -= c.weight;
  }
  return choices.back().value;
}

template <typename T, std::size_t N>
const T& pick(SeededRng& rng, const std::array<T, N>& items) {
  return items[rng.below(N)];
}

enum class Category { models, images, docs, other };

constexpr std::array<Choice, 4> kCategories = {{{"models", 52}, {"images", 26}, {"docs", 18}, {"other", 4}}};
constexpr std::array<Choice, 6> kModelExts = {
    {{"stl", 70}, {"3mf", 10}, {"obj", 6}, {"step", 5}, {"scad", 4}, {"gcode", 5}}};
constexpr std::array<Choice, 3> kImageExts = {{{"png", 50}, {"jpg", 40}, {"webp", 10}}};
constexpr std::array<Choice, 3> kDocExts = {{{"pdf", 40}, {"md", 35}, {"txt", 25}}};
constexpr std::array<Choice, 2> kOtherExts = {{{"zip", 60}, {"json", 40}}};

Category category_of(std::string_view name) {
  if (name == "models") return Category::models;
  if (name == "images") return Category::images;
  if (name == "docs") return Category::docs;
  return Category::other;
}

/// "Cable Organizer" -> "cable_organizer".
std::string slug(std::string_view words) {
  std::string out;
  for (char c : words) {
    out += (c == ' ' || c == '-') ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

/// Unique project names; numbered ("Articulated Dragon 0042") unless each
/// noun is to appear only once (small libraries read better that way).
std::vector<std::string> project_names(SeededRng& rng, const TierSpec& spec, bool numbered) {
  std::vector<std::string> names;
  std::unordered_set<std::string> seen;
  std::unordered_set<std::string_view> nouns;
  while (names.size() < spec.projects) {
    std::string name = pick(rng, kAdjectives);  // separate statements: fixed draw order
    const std::string_view noun = pick(rng, kNouns);
    if (!numbered && !nouns.insert(noun).second) continue;
    name += ' ';
    name += noun;
    if (numbered) {
      char num[8];
      std::snprintf(num, sizeof num, " %04u", static_cast<unsigned>(rng.below(10'000)));
      name += num;
    }
    if (seen.insert(name).second) names.push_back(std::move(name));
  }
  return names;
}

/// Files per project: a floor of 3 each, the rest spread by log-normal weights.
std::vector<std::size_t> files_per_project(SeededRng& rng, const TierSpec& spec) {
  const std::size_t floor_each = 3;
  std::vector<double> weights(spec.projects);
  for (auto& w : weights) w = std::exp(0.8 * rng.normal());
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  const std::size_t spread = spec.files - floor_each * spec.projects;
  std::vector<std::size_t> counts(spec.projects);
  std::size_t assigned = 0;
  for (std::size_t i = 0; i < spec.projects; ++i) {
    counts[i] = floor_each + static_cast<std::size_t>(static_cast<double>(spread) * weights[i] / sum);
    assigned += counts[i];
  }
  for (std::size_t i = 0; assigned < spec.files; i = (i + 1) % spec.projects, ++assigned) ++counts[i];
  return counts;
}

/// Rounds a size to the nearest valid binary STL size (84 + 50n, n >= 1) not above cap.
std::uint64_t stl_size(std::uint64_t size, std::uint64_t cap) {
  std::uint64_t n = size > kStlHeader ? (size - kStlHeader + kStlTriangle / 2) / kStlTriangle : 1;
  n = std::max<std::uint64_t>(n, 1);
  while (n > 1 && kStlHeader + kStlTriangle * n > cap) --n;
  return kStlHeader + kStlTriangle * n;
}

std::uint64_t sample_size(SeededRng& rng, const TierSpec& spec) {
  const double s = spec.median_size * std::exp(spec.sigma * rng.normal());
  const double capped = std::clamp(s, 32.0, static_cast<double>(spec.max_size));
  return static_cast<std::uint64_t>(capped);
}

/// Base name (without extension) and folder of a file in a project.
std::pair<std::string, std::string> place_file(SeededRng& rng, Category cat, const std::string& project_slug) {
  const double where = rng.uniform();
  switch (cat) {
    case Category::models: {
      std::string part = pick(rng, kParts);
      if (where < 0.12) return {part + "_" + std::to_string(rng.between(1, 40)), "models/parts"};
      if (where < 0.17) return {part + "_supported", "models/supports"};
      std::string name = project_slug + "_" + part;
      if (rng.chance(0.2)) name += "_v" + std::to_string(rng.between(2, 5));
      return {name, where < 0.27 ? "" : "models"};
    }
    case Category::images: {
      std::string name = rng.chance(0.3) ? "IMG_" + std::to_string(rng.between(1000, 9999))
                                         : project_slug + "_" + pick(rng, kViews);
      if (where < 0.1) return {name, "images/renders"};
      return {name, where < 0.2 ? "" : "images"};
    }
    case Category::docs: {
      std::string name = pick(rng, kDocs);
      if (where < 0.05) return {name, "docs/manual"};
      return {name, where < 0.15 ? "" : "docs"};
    }
    case Category::other:
      break;
  }
  std::string name = pick(rng, kOthers);
  if (name == "all_parts") name = project_slug + "_" + name;
  return {name, where < 0.8 ? "" : "models"};
}

std::string extension_of(const std::string& path) { return path.substr(path.rfind('.') + 1); }

/// Makes extra-large files out of a few randomly chosen ones.
void plant_big_files(SeededRng& rng, const TierSpec& spec, LibraryPlan& plan, std::vector<bool>& reserved) {
  for (std::size_t placed = 0; placed < spec.big_files;) {
    const std::size_t i = rng.below(plan.files.size());
    if (reserved[i]) continue;
    PlannedFile& f = plan.files[i];
    const auto ext = extension_of(f.path);
    if (ext != "stl" && ext != "3mf" && ext != "zip" && ext != "gcode") continue;
    f.size = static_cast<std::uint64_t>(rng.between(static_cast<std::int64_t>(spec.big_min),
                                                    static_cast<std::int64_t>(spec.big_max)));
    if (f.stl) f.size = stl_size(f.size, spec.big_max);
    reserved[i] = true;
    ++placed;
  }
}

/// Turns ~0.5% of the files into exact copies of a file (same extension) in
/// another project.
void plant_duplicates(SeededRng& rng, LibraryPlan& plan, std::vector<bool>& reserved) {
  std::unordered_map<std::string, std::vector<std::size_t>> by_ext;
  for (std::size_t i = 0; i < plan.files.size(); ++i) by_ext[extension_of(plan.files[i].path)].push_back(i);
  const std::size_t wanted = std::max<std::size_t>(2, plan.files.size() / 200);
  std::size_t attempts = 0;
  for (std::size_t made = 0; made < wanted && attempts < wanted * 100; ++attempts) {
    const std::size_t src = rng.below(plan.files.size());
    if (reserved[src]) continue;
    const auto& same_ext = by_ext[extension_of(plan.files[src].path)];
    const std::size_t dst = same_ext[rng.below(same_ext.size())];
    if (reserved[dst] || plan.files[dst].project == plan.files[src].project) continue;
    plan.files[dst].size = plan.files[src].size;
    plan.files[dst].content_seed = plan.files[src].content_seed;
    plan.files[dst].duplicate_of = static_cast<std::int64_t>(src);
    reserved[src] = reserved[dst] = true;
    ++made;
  }
}

}  // namespace

std::optional<Tier> parse_tier(std::string_view name) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "XS") return Tier::xs;
  if (upper == "S") return Tier::s;
  if (upper == "M") return Tier::m;
  return std::nullopt;
}

std::string_view tier_name(Tier tier) {
  switch (tier) {
    case Tier::xs: return "XS";
    case Tier::s: return "S";
    case Tier::m: return "M";
  }
  return "?";
}

const TierSpec& tier_spec(Tier tier) { return kTiers[static_cast<int>(tier)]; }

std::uint64_t LibraryPlan::total_bytes() const {
  std::uint64_t sum = 0;
  for (const auto& f : files) sum += f.size;
  return sum;
}

std::size_t LibraryPlan::duplicate_count() const {
  return static_cast<std::size_t>(
      std::count_if(files.begin(), files.end(), [](const PlannedFile& f) { return f.duplicate_of >= 0; }));
}

LibraryPlan plan_library(Tier tier, std::uint64_t seed) {
  const TierSpec& spec = tier_spec(tier);
  SeededRng rng(derive_seed(seed, 1));
  const std::uint64_t content_base = derive_seed(seed, 2);

  LibraryPlan plan;
  plan.tier = tier;
  plan.seed = seed;
  plan.root_mtime = kEpochBase + rng.between(0, 365 * kDay - 1);
  plan.projects = project_names(rng, spec, tier != Tier::xs);
  const auto counts = files_per_project(rng, spec);
  plan.files.reserve(spec.files);

  for (std::uint32_t p = 0; p < plan.projects.size(); ++p) {
    const std::string& project = plan.projects[p];
    // The noun part of the name, e.g. "dragon" for "Articulated Dragon 0042".
    const auto first_space = project.find(' ');
    const auto number = tier == Tier::xs ? std::string::npos : project.rfind(' ');
    const std::string project_slug = slug(project.substr(first_space + 1, number - first_space - 1));
    const std::int64_t project_time = plan.root_mtime - rng.between(kDay, 3 * 365 * kDay);
    const std::int64_t settled_time = project_time + 14 * kDay;

    std::vector<std::string> subdirs = {"models", "images", "docs"};
    std::unordered_set<std::string> used_paths;
    for (std::size_t i = 0; i < counts[p]; ++i) {
      const Category cat = category_of(pick_weighted(rng, kCategories));
      const char* ext = cat == Category::models   ? pick_weighted(rng, kModelExts)
                        : cat == Category::images ? pick_weighted(rng, kImageExts)
                        : cat == Category::docs   ? pick_weighted(rng, kDocExts)
                                                  : pick_weighted(rng, kOtherExts);
      auto [base, folder] = place_file(rng, cat, project_slug);
      const std::string dir = folder.empty() ? project : project + "/" + folder;
      std::string path = dir + "/" + base + "." + ext;
      for (int n = 2; !used_paths.insert(path).second; ++n) {
        path = dir + "/" + base + "_" + std::to_string(n) + "." + ext;
      }
      if (!folder.empty() && std::find(subdirs.begin(), subdirs.end(), folder) == subdirs.end()) {
        subdirs.push_back(folder);
      }

      PlannedFile f;
      f.path = std::move(path);
      f.project = p;
      f.stl = std::string_view(ext) == "stl";
      f.png = cat == Category::images;
      f.size = sample_size(rng, spec);
      if (f.stl) f.size = stl_size(f.size, spec.max_size);
      f.content_seed = derive_seed(content_base, plan.files.size());
      f.mtime = project_time + rng.between(0, 14 * kDay);
      plan.files.push_back(std::move(f));
    }

    plan.dirs.push_back({project, settled_time});
    std::sort(subdirs.begin() + 3, subdirs.end());  // nested ones, after their parents
    for (const auto& sub : subdirs) plan.dirs.push_back({project + "/" + sub, settled_time});
  }

  std::vector<bool> reserved(plan.files.size(), false);
  plant_big_files(rng, spec, plan, reserved);
  plant_duplicates(rng, plan, reserved);
  return plan;
}

std::vector<std::size_t> pick_files(const LibraryPlan& plan, double fraction, std::uint64_t seed) {
  const std::size_t n = plan.files.size();
  if (n == 0) return {};
  const auto want = std::clamp<std::size_t>(
      static_cast<std::size_t>(std::llround(static_cast<double>(n) * fraction)), 1, n);
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  SeededRng rng(derive_seed(seed, 3));
  for (std::size_t i = 0; i < want; ++i) std::swap(idx[i], idx[i + rng.below(n - i)]);
  idx.resize(want);
  std::sort(idx.begin(), idx.end());
  return idx;
}

}  // namespace lima::bench
