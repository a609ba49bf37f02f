// The derived tables (project_stats, projects_lacking, shared_content) and the problem report
// read from them: after any sequence of asset writes (adds, removals,
// revivals, moves across projects, content changes, projects going and
// coming back), and after the migration of a schema-4 index, the report is
// the one a pass over every asset record gives (reference_problems below,
// the report as it was made before these tables).
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <span>
#include <tuple>
#include <unordered_map>

#include "index/derived_stats.h"
#include "index/key_codec.h"
#include "index/picture_failures.h"
#include "index/problems.h"
#include "index/runs.h"
#include "index/schema.h"
#include "support/indexed_library.h"
#include "test_support.h"

using namespace lima::index;
using lima::test::TempDir;
namespace stdfs = std::filesystem;

namespace {

// ---- the report from scratch: one pass over every asset record ----------

struct ProjectFacts {
  std::string name;  // "" for the library root
  std::uint64_t files = 0;
  bool image = false, model = false;
};

struct Copy {
  ContentHash hash;
  ProjectId project = kRootProject;
  AssetId id = 0;
};

std::string none_is(std::uint64_t files, const std::string& what) {
  return files == 1 ? "its only file is not " + what : "none of its " + std::to_string(files) + " files is " + what;
}

void reference_duplicates(Catalog& c, const Txn& t, const std::unordered_map<ProjectId, ProjectFacts>& projects,
                          std::span<const Copy> group, std::vector<Problem>& out) {
  if (group.front().project == group.back().project) return;
  struct Named {
    ProjectId project;
    std::string path;
  };
  std::vector<Named> named;
  for (const auto& copy : group) {
    auto a = c.asset(t, copy.id);
    if (!a) continue;
    named.push_back({copy.project, library_path(projects.at(copy.project).name, a->path)});
  }
  std::sort(named.begin(), named.end(), [](const Named& a, const Named& b) { return a.path < b.path; });
  for (const auto& me : named) {
    const Named* first = nullptr;
    std::size_t elsewhere = 0;
    for (const auto& other : named) {
      if (other.project == me.project) continue;
      if (!first) first = &other;
      ++elsewhere;
    }
    if (!first) continue;
    std::string detail = "same content as " + first->path;
    if (elsewhere > 1) detail += " (+" + std::to_string(elsewhere - 1) + " more)";
    out.push_back({me.path, ProblemKind::duplicate_content, std::move(detail), 0});
  }
}

std::vector<Problem> reference_problems(Catalog& c, const Txn& t) {
  std::vector<Problem> out = RunLog(c).problems(t);
  std::unordered_map<ProjectId, ProjectFacts> projects;
  projects.emplace(kRootProject, ProjectFacts{});
  for (auto& p : c.projects(t)) projects.emplace(p.id, ProjectFacts{std::move(p.name)});
  std::unordered_map<ContentHash, PictureFailure, ContentHashHasher> failures;
  t.scan_prefix(c.db().picture_failures, {}, [&](std::string_view k, std::string_view v) {
    auto h = ContentHash::from_view(k);
    if (auto f = h ? decode_picture_failure(*h, v) : std::nullopt; f && problem_kind_of(f->kind))
      failures.emplace(*h, std::move(*f));
    return true;
  });
  std::vector<Copy> copies;
  c.for_each_asset(t, [&](const Asset& a) {
    if (a.state != ItemState::live) return;
    auto it = projects.find(a.project);
    if (it == projects.end()) return;
    auto& f = it->second;
    ++f.files;
    f.image |= a.kind == Kind::image;
    f.model |= a.kind == Kind::model;
    if (a.size > 0) copies.push_back({a.hash, a.project, a.id});
    if (auto failed = failures.find(a.hash); failed != failures.end())
      out.push_back({library_path(f.name, a.path), *problem_kind_of(failed->second.kind), failed->second.reason, 0});
  });
  std::sort(copies.begin(), copies.end(), [](const Copy& a, const Copy& b) {
    return std::tie(a.hash.bytes, a.project, a.id) < std::tie(b.hash.bytes, b.project, b.id);
  });
  for (std::size_t i = 0; i < copies.size();) {
    std::size_t end = i + 1;
    while (end < copies.size() && copies[end].hash == copies[i].hash) ++end;
    if (end - i > 1) reference_duplicates(c, t, projects, std::span<const Copy>(copies).subspan(i, end - i), out);
    i = end;
  }
  for (const auto& [id, f] : projects) {
    if (id == kRootProject || f.files == 0) continue;
    if (!f.image) out.push_back({f.name, ProblemKind::no_images, none_is(f.files, "an image"), 0});
    if (!f.model) out.push_back({f.name, ProblemKind::no_models, none_is(f.files, "a 3D model"), 0});
  }
  std::sort(out.begin(), out.end(), [](const Problem& a, const Problem& b) {
    if (a.path != b.path) return a.path < b.path;
    return to_string(a.kind) < to_string(b.kind);
  });
  return out;
}

using Row = std::tuple<std::string, std::string, std::string, RunId>;  // path, kind, detail, run

std::vector<Row> rows(const std::vector<Problem>& ps) {
  std::vector<Row> out;
  for (const auto& p : ps) out.emplace_back(p.path, std::string(to_string(p.kind)), p.detail, p.run);
  return out;
}

// Both tables as a from-scratch count over the asset records says they
// should be.
struct Derived {
  std::map<ProjectId, ProjectStats> stats;
  std::vector<std::string> shared;  // hex
  std::map<ProjectId, std::pair<bool, bool>> lacking;  // no images, no models
  bool operator==(const Derived&) const = default;
};

Derived stored_tables(Catalog& c, const Txn& t) {
  Derived d;
  for_each_project_stats(t, c.db(), [&](ProjectId p, const ProjectStats& s) { return d.stats.emplace(p, s), true; });
  for_each_shared_content(t, c.db(), [&](const ContentHash& h) { return d.shared.push_back(h.hex()), true; });
  for_each_lacking_project(t, c.db(), [&](ProjectId p, const ProjectStats&, Lacking l) {
    return d.lacking.emplace(p, std::pair{l.images, l.models}), true;
  });
  return d;
}

Derived counted_tables(Catalog& c, const Txn& t) {
  Derived d;
  std::map<std::string, std::vector<ProjectId>> projects_of;
  c.for_each_asset(t, [&](const Asset& a) {
    if (a.state != ItemState::live) return;
    auto& s = d.stats[a.project];
    ++s.files;
    s.images += a.kind == Kind::image;
    s.models += a.kind == Kind::model;
    if (a.size > 0) projects_of[a.hash.hex()].push_back(a.project);
  });
  for (auto& [hex, ps] : projects_of)
    if (std::any_of(ps.begin(), ps.end(), [&](ProjectId p) { return p != ps.front(); })) d.shared.push_back(hex);
  for (const auto& [p, s] : d.stats)
    if (s.images == 0 || s.models == 0) d.lacking.emplace(p, std::pair{s.images == 0, s.models == 0});
  return d;
}

ContentHash content(std::uint32_t n) {
  ContentHash h;
  for (int b = 0; b < 4; ++b) h.bytes[static_cast<std::size_t>(b)] = static_cast<unsigned char>(n >> (8 * b));
  h.bytes[15] = 7;
  return h;
}

constexpr std::array<const char*, 4> kExts{".stl", ".png", ".txt", ".3mf"};
constexpr std::array<Kind, 4> kKinds{Kind::model, Kind::image, Kind::document, Kind::model};

// A library written straight through the catalog, edited at random, with
// the state it should hold kept beside it.
struct RandomLibrary : lima::test::IndexedLibrary {
  std::mt19937 rng;
  std::map<AssetId, Asset> assets;
  std::map<ProjectId, Project> projects;
  AssetId next_asset = 1;

  explicit RandomLibrary(unsigned seed) : rng(seed) {}

  std::uint32_t pick(std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng); }

  // Projects 1..8, plus the root (0).
  ProjectId any_project() { return pick(9); }

  void set_content(Asset& a) {
    const std::uint32_t c = pick(12);  // few contents: many copies
    a.hash = content(c);
    a.size = c == 0 ? 0 : 100 + c;     // content 0 is the empty file
  }

  void set_name(Asset& a) {
    const auto e = pick(4);
    a.path = (pick(3) == 0 ? "sub/" : "") + std::string("f") + std::to_string(a.id) + kExts[e];
    a.kind = kKinds[e];
  }

  void ensure_projects(WriteTxn& t) {
    for (ProjectId p = 1; p <= 8; ++p) {
      if (projects.contains(p)) continue;
      Project pr{.id = p, .name = "P" + std::to_string(p), .ino = p};
      cat->put_project(t, pr, nullptr);
      projects[p] = pr;
    }
  }

  // One random change of an asset (or a new one).
  AssetChange change() {
    const std::uint32_t op = assets.empty() ? 0 : pick(7);
    if (op == 0) {
      Asset a;
      a.id = next_asset++;
      a.project = any_project();
      a.ino = a.id;
      set_name(a);
      set_content(a);
      return {nullptr, a};
    }
    auto it = assets.begin();
    std::advance(it, pick(static_cast<std::uint32_t>(assets.size())));
    Asset a = it->second;
    switch (op) {
      case 1: a.state = a.state == ItemState::live ? ItemState::tombstone : ItemState::live; break;  // remove / revive
      case 2: a.project = any_project(); break;                                                      // moved
      case 3: set_content(a); break;                                                                 // content changed
      case 4: set_name(a); break;                                                                    // renamed
      case 5:  // revived elsewhere with other bytes
        a.state = ItemState::live;
        a.project = any_project();
        set_content(a);
        break;
      default: a.state = ItemState::tombstone; break;
    }
    return {&it->second, a};
  }

  // A write of n changes: one put_asset each, or one put_assets batch
  // (each asset at most once in a batch).
  void write(std::size_t n, bool batch) {
    cat->write([&](WriteTxn& t) {
      ensure_projects(t);
      if (!batch) {
        for (std::size_t i = 0; i < n; ++i) {
          auto [before, now] = change();
          cat->put_asset(t, now, before);
          assets[now.id] = now;
        }
        return;
      }
      std::vector<AssetChange> changes;
      std::vector<Asset> befores;
      befores.reserve(n);
      std::set<AssetId> seen;
      for (std::size_t i = 0; i < n; ++i) {
        auto c = change();
        if (!seen.insert(c.after.id).second) continue;
        if (c.before) {
          befores.push_back(*c.before);
          c.before = &befores.back();
        }
        changes.push_back(std::move(c));
      }
      cat->put_assets(t, changes);
      for (const auto& c : changes) assets[c.after.id] = c.after;
    });
  }

  // A project goes (its files stay live in the index, as after a crash
  // mid-sync) or comes back.
  void flip_project() {
    const ProjectId p = 1 + pick(8);
    cat->write([&](WriteTxn& t) {
      ensure_projects(t);
      Project before = projects[p], now = before;
      now.state = before.state == ItemState::live ? ItemState::tombstone : ItemState::live;
      cat->put_project(t, now, &before);
      projects[p] = now;
    });
  }

  void fail_picture(std::uint32_t c, PictureFailureKind kind) {
    cat->write([&](WriteTxn& t) { record_picture_failure(*cat, t, {content(c), 1, kind, "broken " + std::to_string(c)}); });
  }

  void check() {
    ReadTxn t(cat->env());
    const auto report = library_problems(*cat, t);
    CHECK(rows(report) == rows(reference_problems(*cat, t)));
    CHECK(stored_tables(*cat, t) == counted_tables(*cat, t));
  }
};

// Loads a dump of an index (a "db NAME" line per sub-database, then
// "hex(key) hex(value)" lines) into STATE/index.
std::string unhex(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
  return out;
}

void load_dump(const stdfs::path& dump, const stdfs::path& state) {
  std::ifstream in(dump);
  REQUIRE(in);
  stdfs::create_directories(state / "index");
  Env env(state / "index", EnvOptions{});
  std::vector<std::unique_ptr<std::string>> names;
  env.write([&](WriteTxn& t) {
    std::optional<Dbi> db;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      if (line.starts_with("db ")) {
        names.push_back(std::make_unique<std::string>(line.substr(3)));
        db = env.open_db(t, names.back()->c_str());
        continue;
      }
      REQUIRE(db);
      const auto space = line.find(' ');
      REQUIRE(space != std::string::npos);
      t.put(*db, unhex(line.substr(0, space)), unhex(line.substr(space + 1)));
    }
  });
}

}  // namespace

TEST_CASE("derived stats: the report after random asset writes is the one a pass over every asset gives") {
  const unsigned seed = GENERATE(1u, 2u, 3u, 4u);
  RandomLibrary lib(seed);
  INFO("seed " << seed);
  lib.fail_picture(3, PictureFailureKind::undecodable_image);
  lib.fail_picture(5, PictureFailureKind::no_picture);  // never a problem
  for (int round = 0; round < 60; ++round) {
    INFO("round " << round);
    if (round % 7 == 6) lib.flip_project();
    if (round == 20) lib.fail_picture(7, PictureFailureKind::over_cap);
    lib.write(1 + lib.pick(round < 10 ? 12 : 30), round % 3 == 0);
    lib.check();
  }
  // The report found something of each derived kind along the way.
  ReadTxn t(lib.cat->env());
  const auto counts = count_by_kind(library_problems(*lib.cat, t));
  CHECK(std::any_of(counts.begin(), counts.end(), [](auto& k) { return k.first == ProblemKind::duplicate_content; }));
}

TEST_CASE("derived stats: a content stops being shared when its last copy elsewhere goes, and is again when it returns") {
  lima::test::IndexedLibrary lib;
  const ContentHash boat = content(42);
  Asset a{.id = 1, .project = 1, .path = "boat.stl", .size = 10, .hash = boat, .kind = Kind::model};
  Asset b{.id = 2, .project = 2, .path = "boat.stl", .size = 10, .hash = boat, .kind = Kind::model};
  auto shared = [&] {
    ReadTxn t(lib.cat->env());
    return stored_tables(*lib.cat, t).shared;
  };
  lib.cat->write([&](WriteTxn& t) {
    lib.cat->put_project(t, Project{.id = 1, .name = "A", .ino = 1}, nullptr);
    lib.cat->put_project(t, Project{.id = 2, .name = "B", .ino = 2}, nullptr);
    lib.cat->put_asset(t, a, nullptr);
  });
  CHECK(shared().empty());
  lib.cat->write([&](WriteTxn& t) { lib.cat->put_asset(t, b, nullptr); });
  CHECK(shared() == std::vector<std::string>{boat.hex()});
  {
    ReadTxn t(lib.cat->env());
    CHECK(*project_stats(t, lib.cat->db(), 1) == ProjectStats{1, 0, 1});
    CHECK(rows(library_problems(*lib.cat, t)) ==
          std::vector<Row>{{"A", "no_images", "its only file is not an image", 0},
                           {"A/boat.stl", "duplicate_content", "same content as B/boat.stl", 0},
                           {"B", "no_images", "its only file is not an image", 0},
                           {"B/boat.stl", "duplicate_content", "same content as A/boat.stl", 0}});
  }
  Asset moved = b;
  moved.project = 1;
  moved.path = "boat copy.stl";
  lib.cat->write([&](WriteTxn& t) { lib.cat->put_asset(t, moved, &b); });
  CHECK(shared().empty());  // both in A now: plates, not duplicates
  {
    ReadTxn t(lib.cat->env());
    CHECK(*project_stats(t, lib.cat->db(), 1) == ProjectStats{2, 0, 2});
    CHECK_FALSE(project_stats(t, lib.cat->db(), 2));  // no live file: no row
  }
  Asset gone = moved;
  gone.state = ItemState::tombstone;
  lib.cat->write([&](WriteTxn& t) { lib.cat->put_asset(t, gone, &moved); });
  Asset back = gone;
  back.state = ItemState::live;
  back.project = kRootProject;
  back.path = "boat.stl";
  lib.cat->write([&](WriteTxn& t) { lib.cat->put_asset(t, back, &gone); });
  CHECK(shared() == std::vector<std::string>{boat.hex()});  // the root's loose files count as a project
  ReadTxn t(lib.cat->env());
  CHECK(rows(library_problems(*lib.cat, t)) == rows(reference_problems(*lib.cat, t)));
}

TEST_CASE("derived stats: an index of schema 4 is migrated, its report unchanged") {
  TempDir dir;
  load_dump(stdfs::path(LIMA_TEST_DATA_DIR) / "index_v4.dump", dir.path());
  auto c = Catalog::open(dir.path(), OpenMode::read_write);
  REQUIRE(c);
  Catalog& cat = **c;
  CHECK(cat.schema_version() == schema::kSchemaVersion);
  ReadTxn t(cat.env());
  CHECK(get_u32(*t.get(cat.db().meta, schema::kMetaSchemaVersion)) == schema::kSchemaVersion);
  CHECK(stored_tables(cat, t) == counted_tables(cat, t));
  const auto report = library_problems(cat, t);
  CHECK(rows(report) == rows(reference_problems(cat, t)));
  std::vector<std::tuple<std::string, std::string>> found;
  for (const auto& p : report) found.emplace_back(p.path, std::string(to_string(p.kind)));
  CHECK(found == std::vector<std::tuple<std::string, std::string>>{
                     {"A/model.stl", "duplicate_content"},
                     {"B", "no_images"},
                     {"B/copy.stl", "duplicate_content"},
                     {"C", "no_images"},
                     {"D", "no_images"},
                     {"D", "no_models"},
                     {"E", "empty_project"},
                     {"F", "no_images"},
                     {"G", "no_images"},  // its bytes' other copy, H/x.stl, is a tombstone
                     {"H", "no_models"},
                     {"H/x.stl", "removed"},
                     {"H/y.png", "undecodable_image"},
                     {"loose.stl", "duplicate_content"},
                     {"loose.stl", "loose_file"},
                 });
  CHECK(report.front().detail == "same content as B/copy.stl (+1 more)");
}

TEST_CASE("derived stats: an index of schema 5 gets the projects that lack images or models, its report unchanged") {
  TempDir dir;
  load_dump(stdfs::path(LIMA_TEST_DATA_DIR) / "index_v4.dump", dir.path());
  std::vector<Row> before;
  {
    // Made schema 5 again: the same tables without projects_lacking.
    auto c = Catalog::open(dir.path(), OpenMode::read_write);
    REQUIRE(c);
    (*c)->env().write([&](WriteTxn& t) {
      t.clear((*c)->db().projects_lacking);
      std::string v;
      put_u32(v, 5);
      t.put((*c)->db().meta, schema::kMetaSchemaVersion, v);
    });
    ReadTxn t((*c)->env());
    for (const auto& [kind, n] : count_by_kind(library_problems(**c, t)))  // without the table, none is found
      CHECK((kind != ProblemKind::no_images && kind != ProblemKind::no_models));
    before = rows(reference_problems(**c, t));
  }
  auto c = Catalog::open(dir.path(), OpenMode::read_write);
  REQUIRE(c);
  CHECK((*c)->schema_version() == 6);
  ReadTxn t((*c)->env());
  CHECK(stored_tables(**c, t) == counted_tables(**c, t));
  CHECK(rows(library_problems(**c, t)) == before);
  CHECK(stored_tables(**c, t).lacking.size() == 7);  // B, C, D, F, G, H and the loose files
}

TEST_CASE("derived stats: an index of schema 3 is migrated through 4 and 5 to 6, its report unchanged") {
  TempDir dir;
  load_dump(stdfs::path(LIMA_TEST_DATA_DIR) / "index_v3.dump", dir.path());
  auto c = Catalog::open(dir.path(), OpenMode::read_write);
  REQUIRE(c);
  ReadTxn t((*c)->env());
  CHECK(stored_tables(**c, t) == counted_tables(**c, t));
  const auto report = library_problems(**c, t);
  CHECK_FALSE(report.empty());
  CHECK(rows(report) == rows(reference_problems(**c, t)));
}

// Run by hand on an index made by `limafs scan` (LIMA_BENCH_STATE=its state
// directory): both reports on the same snapshot, and what each took.
TEST_CASE("derived stats: the report on a scanned library, against a pass over every asset", "[.bench]") {
  const char* state = std::getenv("LIMA_BENCH_STATE");
  if (!state) {
    WARN("set LIMA_BENCH_STATE to a state directory");
    return;
  }
  auto c = Catalog::open(state, OpenMode::read_only);
  REQUIRE(c);
  ReadTxn t((*c)->env());
  auto timed = [&](auto&& fn) {
    const auto start = std::chrono::steady_clock::now();
    auto r = fn();
    return std::pair{std::move(r), std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)};
  };
  const auto [ref, ref_ms] = timed([&] { return reference_problems(**c, t); });
  const auto [now, now_ms] = timed([&] { return library_problems(**c, t); });
  WARN((*c)->counts(t).assets << " assets, " << now.size() << " problems: a pass over every asset " << ref_ms.count()
                              << " ms, from the derived tables " << now_ms.count() << " ms");
  CHECK(rows(now) == rows(ref));
}

// Run by hand: 100,000 assets in 1,000 projects, one file in ten a copy of
// a file of the neighbouring project; both reports and what each took.
TEST_CASE("derived stats: the report on 100,000 assets with 10,000 duplicates, against a pass over every asset",
          "[.bench]") {
  lima::test::IndexedLibrary lib;
  constexpr std::uint64_t kProjects = 1000, kPerProject = 100;
  const auto write_start = std::chrono::steady_clock::now();
  lib.cat->write([&](WriteTxn& t) {
    std::vector<AssetChange> changes;
    for (std::uint64_t p = 1; p <= kProjects; ++p) {
      lib.cat->put_project(t, Project{.id = p, .name = "Project " + std::to_string(p), .ino = p}, nullptr);
      for (std::uint64_t i = 0; i < kPerProject; ++i) {
        Asset a{.id = (p - 1) * kPerProject + i + 1, .project = p, .path = "file" + std::to_string(i) + ".stl",
                .size = 100 + i};
        a.ino = a.id;
        const std::uint64_t bytes = i % 10 == 0 ? (p + 1) / 2 * 1000 + i : a.id + 1'000'000;
        a.hash = content(static_cast<std::uint32_t>(bytes));
        a.kind = i == 1 ? Kind::image : Kind::model;
        changes.push_back({nullptr, std::move(a)});
      }
    }
    lib.cat->put_assets(t, changes);
  });
  const std::chrono::duration<double, std::milli> write_ms = std::chrono::steady_clock::now() - write_start;
  ReadTxn t(lib.cat->env());
  auto timed = [&](auto&& fn) {
    const auto start = std::chrono::steady_clock::now();
    auto r = fn();
    return std::pair{std::move(r), std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)};
  };
  const auto [ref, ref_ms] = timed([&] { return reference_problems(*lib.cat, t); });
  const auto [now, now_ms] = timed([&] { return library_problems(*lib.cat, t); });
  WARN("written in " << write_ms.count() << " ms; " << now.size() << " problems: a pass over every asset "
                     << ref_ms.count() << " ms, from the derived tables " << now_ms.count() << " ms");
  CHECK(now.size() == kProjects * kPerProject / 10);
  CHECK(rows(now) == rows(ref));
}
