// The search language gives one answer through all three front doors: the
// API (GET /api/v1/search, paged, and the q= filters of /projects and
// /assets), the command line (`limafs search`, text and JSON) and the mount
// (search/<query>/, listed best first). The real daemon runs with its
// defaults (watcher, API and mount on) over a library whose names exercise
// folding, word splitting, folders, duplicate names and every kind of file;
// each query's answer is written out by hand.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <httplib.h>

#include <cerrno>
#include <cstdlib>
#include <map>

#include <nlohmann/json.hpp>

#include "e2e/daemon_fixture.h"

using namespace lima::e2e;
using nlohmann::json;

namespace {

/// Results in rank order: "project:<name>" for a project, "<project>/<path>"
/// for a file.
using Results = std::vector<std::string>;
using ResultSet = std::set<std::string>;

ResultSet as_set(const Results& r) { return ResultSet(r.begin(), r.end()); }

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// A private runtime directory for the daemon registry, so that the client
// commands find this test's daemon and no other.
struct PrivateRuntime {
  explicit PrivateRuntime(const stdfs::path& dir) {
    stdfs::create_directories(dir);
    stdfs::permissions(dir, stdfs::perms::owner_all);
    ::setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
  }
  ~PrivateRuntime() { ::unsetenv("XDG_RUNTIME_DIR"); }
};

struct Reply {
  int status = 0;
  json body;
};

// The search fixture: 18 projects, 62 files, tags, notes and collections.
//
//   Benchy            models/3DBenchy.stl (20000 B), models/parts/hull.stl, images/cover.png, README.md
//                     tags boat, pla; collection Boats
//   Benchy Mini       benchy_mini.stl, notes.txt; tag pla-plus
//   Størrelse Guide   størrelse.scad, guide.pdf
//   Café Table        Café Top.stl, legs/front/leg.stl, legs/back/leg.stl, photo.jpg; tag furniture
//   Über Gear         gearBox.3mf, partV2.stl, partV10.stl
//   Dragon            head.stl (tag support), body.obj (note "needs supports everywhere"),
//                     wings/wing_left.stl, wings/wing_right.stl, dragon.3mf, render.webp,
//                     support/tree.stl; tags fantasy, petg
//   Speed Boat        speed-boat hull.stl, boat speed.stl; tags boat, "dual color"; collection Boats
//   Calibration Cube  cube_20mm.stl, cube.gcode, XMLFile.xml, settings.ini; note "print at 0.2 mm"
//   Lamp              lampShade.stl (tag pla), base.stl, wiring.pdf, bulb.png, LICENSE (60 B);
//                     collection Gift Ideas
//   Vase              vase.3mf (modified 2020), spiral_vase.stl; note "spiral mode only"
//   Rocket            nose_cone.stl, fins/fin.stl, engine.bin (11 MiB), support.stl; tag toy
//   Keychain          keychain.stl, keychain.svg, font.ttf; tags toy, gift; collection Gift Ideas
//   Gears             set/small/gear-10.stl, set/large/gear-40.stl, supports.stl; note "lubricate the axle"
//   Wall Shelf        Bracket.STL, spare/Bracket.STL, shelf.png
//   Phone Stand       stand.stl, stand.f3d, docs/manual.md, docs/assembly.pdf; tag gift;
//                     collection Gift Ideas
//   Mini Figures      orc.stl, elf.stl, Elf Archer.stl, base_25mm.stl
//   2024 Calendar     january.png, december.png, calendar.pdf
//   Schloß Drache     turm.stl, Mauer.stl, tor.obj (the folder modified 2017)
//
// Images hold PNG headers; every file but LICENSE has 100 to 16383 bytes,
// except 3DBenchy.stl and engine.bin.
struct SearchLibrary {
  TempDir tmp;
  stdfs::path root = stdfs::canonical(tmp.path());
  stdfs::path lib = root / "Models";
  stdfs::path mnt = root / "mnt";
  stdfs::path state = root / "state";
  MountSweeper sweeper{root};
  PrivateRuntime runtime{root / "run"};
  std::unique_ptr<Daemon> daemon;
  std::string url;
  std::map<std::string, std::uint64_t> project_ids;  // name → id
  std::map<std::string, std::uint64_t> asset_ids;    // "Project/path" → id
  std::map<std::string, std::string> link_names;     // "Project/path" → the mount's flattened name

  static constexpr std::size_t kProjects = 18, kFiles = 62;

  SearchLibrary() {
    unsigned seed = 100;
    auto file = [&](const std::string& path, std::size_t bytes = 700) {
      write_file(lib / path, lima::test::random_bytes(bytes, ++seed));
    };
    auto image = [&](const std::string& path) { write_file(lib / path, lima::test::png_start(640, 480, 3000, ++seed)); };
    file("Benchy/models/3DBenchy.stl", 20000);
    file("Benchy/models/parts/hull.stl");
    image("Benchy/images/cover.png");
    write_file(lib / "Benchy/README.md", "Print the boat at 0.2 mm layers; it is the classic torture test model.\n");
    file("Benchy Mini/benchy_mini.stl");
    write_file(lib / "Benchy Mini/notes.txt", "Half the size of the original, printed without a brim or raft.\n");
    file("Størrelse Guide/størrelse.scad");
    file("Størrelse Guide/guide.pdf");
    file("Café Table/Café Top.stl");
    file("Café Table/legs/front/leg.stl");
    file("Café Table/legs/back/leg.stl", 800);
    image("Café Table/photo.jpg");
    file("Über Gear/gearBox.3mf");
    file("Über Gear/partV2.stl");
    file("Über Gear/partV10.stl");
    file("Dragon/head.stl");
    file("Dragon/body.obj");
    file("Dragon/wings/wing_left.stl");
    file("Dragon/wings/wing_right.stl");
    file("Dragon/dragon.3mf");
    image("Dragon/render.webp");
    file("Dragon/support/tree.stl");
    file("Speed Boat/speed-boat hull.stl");
    file("Speed Boat/boat speed.stl");
    file("Calibration Cube/cube_20mm.stl");
    file("Calibration Cube/cube.gcode");
    file("Calibration Cube/XMLFile.xml");
    file("Calibration Cube/settings.ini");
    file("Lamp/lampShade.stl");
    file("Lamp/base.stl");
    file("Lamp/wiring.pdf");
    image("Lamp/bulb.png");
    write_file(lib / "Lamp/LICENSE", "Licensed CC BY 4.0: share and adapt, with attribution.\n");
    file("Vase/vase.3mf");
    file("Vase/spiral_vase.stl");
    file("Rocket/nose_cone.stl");
    file("Rocket/fins/fin.stl");
    file("Rocket/support.stl");
    {
      std::ofstream big(lib / "Rocket/engine.bin", std::ios::binary);
      big.seekp((11 << 20) - 1);
      big.put('\n');
    }
    file("Keychain/keychain.stl");
    image("Keychain/keychain.svg");
    file("Keychain/font.ttf");
    file("Gears/set/small/gear-10.stl");
    file("Gears/set/large/gear-40.stl");
    file("Gears/supports.stl");
    file("Wall Shelf/Bracket.STL");
    file("Wall Shelf/spare/Bracket.STL", 900);
    image("Wall Shelf/shelf.png");
    file("Phone Stand/stand.stl");
    file("Phone Stand/stand.f3d");
    write_file(lib / "Phone Stand/docs/manual.md", "Slide the phone in from the top; the lip holds it upright.\n");
    file("Phone Stand/docs/assembly.pdf");
    file("Mini Figures/orc.stl");
    file("Mini Figures/elf.stl");
    file("Mini Figures/Elf Archer.stl");
    file("Mini Figures/base_25mm.stl");
    image("2024 Calendar/january.png");
    image("2024 Calendar/december.png");
    file("2024 Calendar/calendar.pdf");
    file("Schloß Drache/turm.stl");
    file("Schloß Drache/Mauer.stl");
    file("Schloß Drache/tor.obj");
    lima::test::set_mtime(lib / "Vase/vase.3mf", 1'600'000'000);        // 2020-09-13
    lima::test::set_mtime(lib / "Schloß Drache", 1'500'000'000);        // 2017-07-14
    stdfs::create_directories(mnt);

    daemon = std::make_unique<Daemon>(std::vector<std::string>{lib.string(), mnt.string(), "--state", state.string()},
                                      mnt, root / "daemon.err");
    INFO(daemon->log());
    REQUIRE(daemon->serving());
    url = daemon->api_url();
    REQUIRE_FALSE(url.empty());
    REQUIRE(wait_until(
        [&] {
          const auto s = get("/api/v1/status");
          return s.status == 200 && s.body["counts"]["projects"] == kProjects && s.body["counts"]["assets"] == kFiles;
        },
        30s));
    learn_ids();
    tag_project("Benchy", "boat");
    tag_project("Benchy", "pla");
    tag_project("Benchy Mini", "pla-plus");
    tag_project("Café Table", "furniture");
    tag_project("Dragon", "fantasy");
    tag_project("Dragon", "petg");
    tag_asset("Dragon/head.stl", "support");
    tag_project("Speed Boat", "boat");
    tag_project("Speed Boat", "dual color");
    tag_asset("Lamp/lampShade.stl", "pla");
    tag_project("Rocket", "toy");
    tag_project("Keychain", "toy");
    tag_project("Keychain", "gift");
    tag_project("Phone Stand", "gift");
    note_asset("Dragon/body.obj", "needs supports everywhere");
    note_project("Calibration Cube", "print at 0.2 mm");
    note_project("Vase", "spiral mode only");
    note_project("Gears", "lubricate the axle");
    collect("Boats", {"Benchy", "Speed Boat"});
    collect("Gift Ideas", {"Keychain", "Phone Stand", "Lamp"});
  }

  // -- the API --

  Reply call(const std::string& method, const std::string& path, const std::string& body = {}) {
    httplib::Client c(url);
    c.set_read_timeout(60, 0);
    httplib::Result r = method == "GET"      ? c.Get(path)
                        : method == "PUT"    ? c.Put(path, body, "application/json")
                        : method == "PATCH"  ? c.Patch(path, body, "application/json")
                        : method == "POST"   ? c.Post(path, body, "application/json")
                                             : c.Delete(path);
    REQUIRE(r);
    Reply out;
    out.status = r->status;
    out.body = json::parse(r->body, nullptr, false);
    return out;
  }
  Reply get(const std::string& path) { return call("GET", path); }
  void ok(const std::string& method, const std::string& path, const std::string& body = {}) {
    const auto r = call(method, path, body);
    INFO(method << " " << path << ": " << r.body.dump());
    REQUIRE(r.status / 100 == 2);
  }

  void learn_ids() {
    const auto projects = get("/api/v1/projects?limit=1000");
    REQUIRE(projects.status == 200);
    for (const auto& p : projects.body["items"]) project_ids[p["name"].get<std::string>()] = p["id"].get<std::uint64_t>();
    REQUIRE(project_ids.size() == kProjects);
    asset_ids.clear();
    link_names.clear();
    const auto assets = get("/api/v1/assets?limit=1000");
    REQUIRE(assets.status == 200);
    std::map<std::pair<std::string, std::string>, int> shared;  // (project, file name) → how many
    auto file_name = [](const std::string& path) { return path.substr(path.rfind('/') + 1); };
    for (const auto& a : assets.body["items"])
      ++shared[{a["project_name"].get<std::string>(), file_name(a["path"].get<std::string>())}];
    for (const auto& a : assets.body["items"]) {
      const auto project = a["project_name"].get<std::string>(), path = a["path"].get<std::string>();
      const auto id = a["id"].get<std::uint64_t>();
      asset_ids[project + "/" + path] = id;
      // "<Project> - <file>", and " ~<id>" before the extension when
      // another file of the project has the same name.
      auto name = file_name(path);
      if (shared[{project, name}] > 1) {
        const auto dot = name.rfind('.');
        name = dot == std::string::npos || dot == 0 ? name + " ~" + std::to_string(id)
                                                     : name.substr(0, dot) + " ~" + std::to_string(id) + name.substr(dot);
      }
      link_names[project + "/" + path] = project + " - " + name;
    }
  }

  std::string project_path(const std::string& name) { return "/api/v1/projects/" + std::to_string(project_ids.at(name)); }
  std::string asset_path(const std::string& where) { return "/api/v1/assets/" + std::to_string(asset_ids.at(where)); }
  void tag_project(const std::string& project, const std::string& tag) {
    ok("PUT", project_path(project) + "/tags/" + url_encode(tag));
  }
  void untag_project(const std::string& project, const std::string& tag) {
    ok("DELETE", project_path(project) + "/tags/" + url_encode(tag));
  }
  void tag_asset(const std::string& where, const std::string& tag) {
    ok("PUT", asset_path(where) + "/tags/" + url_encode(tag));
  }
  void note_project(const std::string& project, const std::string& note) {
    ok("PATCH", project_path(project), json{{"note", note}}.dump());
  }
  void note_asset(const std::string& where, const std::string& note) {
    ok("PATCH", asset_path(where), json{{"note", note}}.dump());
  }
  void collect(const std::string& name, const std::vector<std::string>& projects) {
    json ids = json::array();
    for (const auto& p : projects) ids.push_back(project_ids.at(p));
    ok("POST", "/api/v1/collections", json{{"name", name}, {"projects", ids}}.dump());
  }

  static std::string item_of(const json& it) {
    if (it["type"] == "project") return "project:" + it["name"].get<std::string>();
    return it["project_name"].get<std::string>() + "/" + it["path"].get<std::string>();
  }

  /// The hits of `list` (a path ending in "q=…"), `limit` at a time, with
  /// the fields each matched; checks that every page but the last is full
  /// and that the total is the same on every page.
  Results api_pages(const std::string& list, std::size_t limit, std::vector<json>* matched = nullptr) {
    Results out;
    std::string cursor;
    std::optional<std::uint64_t> total;
    for (int pages = 0; pages < 200; ++pages) {
      const auto r = get(list + "&limit=" + std::to_string(limit) + (cursor.empty() ? "" : "&cursor=" + url_encode(cursor)));
      INFO(list << ": " << r.body.dump());
      REQUIRE(r.status == 200);
      const auto& items = r.body["items"];
      CHECK(items.size() <= limit);
      for (const auto& it : items) {
        out.push_back(item_of(it));
        if (matched) matched->push_back(it["matched"]);
      }
      if (r.body.contains("total")) {
        if (total) CHECK(r.body["total"].get<std::uint64_t>() == *total);
        total = r.body["total"].get<std::uint64_t>();
      }
      if (!r.body["next_cursor"].is_string()) break;
      CHECK(items.size() == limit);
      cursor = r.body["next_cursor"].get<std::string>();
    }
    if (total) CHECK(*total == out.size());
    return out;
  }

  Results api_search(const std::string& q, std::size_t limit, std::vector<json>* matched = nullptr) {
    return api_pages("/api/v1/search?q=" + url_encode(q), limit, matched);
  }

  // -- the command line --

  /// `limafs search --json QUERY`: the hits and their matched fields.
  Results cli_json(const std::string& q, std::vector<json>* matched = nullptr) {
    const auto r = lima::test::run_limafs({"search", "--json", q});
    INFO("limafs search --json " << q << ": " << r.err);
    CHECK(r.exit_code == 0);
    Results out;
    const auto items = json::parse(r.out, nullptr, false);
    REQUIRE(items.is_array());
    for (const auto& it : items) {
      out.push_back(item_of(it));
      if (matched) matched->push_back(it["matched"]);
    }
    return out;
  }

  /// `limafs search WORD...` (the query split at spaces, as a shell would):
  /// the lines it printed, read back.
  Results cli_text(const std::string& q) {
    std::vector<std::string> args{"search"};
    std::istringstream words(q);
    for (std::string w; words >> w;) args.push_back(w);
    const auto r = lima::test::run_limafs(args);
    INFO("limafs search " << q << ": " << r.err);
    Results out;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      // "project  <name>  [fields]" or "file     <project>/<path>  [fields]"
      const bool project = line.starts_with("project  ");
      CHECK((project || line.starts_with("file     ")));
      auto what = line.substr(std::min<std::size_t>(9, line.size()));
      if (const auto at = what.rfind("  ["); at != std::string::npos && what.ends_with("]")) what.resize(at);
      out.push_back(project ? "project:" + what : what);
    }
    if (out.empty()) {
      CHECK(r.exit_code == 1);
      CHECK(r.err.find("nothing matches") != std::string::npos);
    } else {
      CHECK(r.exit_code == 0);
    }
    return out;
  }

  // -- the mount --

  /// MOUNT/search/<q>/ in readdir order (the rank order): projects are
  /// directories, files symlinks named "<Project> - <file>" to the real file.
  Results mount_search(const std::string& q) {
    const auto dir = mnt / "search" / q;
    Results out;
    DIR* d = ::opendir(dir.c_str());
    INFO("opendir " << dir << ": " << std::strerror(errno));
    REQUIRE(d != nullptr);
    std::vector<std::string> names;
    while (auto* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
    for (const auto& name : names) {
      struct stat st {};
      const auto p = dir / name;
      REQUIRE(::lstat(p.c_str(), &st) == 0);
      if (S_ISDIR(st.st_mode)) {
        out.push_back("project:" + name);
        continue;
      }
      REQUIRE(S_ISLNK(st.st_mode));
      const auto target = stdfs::read_symlink(p).string();
      const auto prefix = lib.string() + "/";
      REQUIRE(target.starts_with(prefix));
      const auto where = target.substr(prefix.size());
      out.push_back(where);
      INFO("link " << name << " → " << target);
      CHECK(link_names[where] == name);
    }
    return out;
  }

  /// errno of lstat(MOUNT/search/<q>), 0 when it exists.
  int mount_errno(const std::string& q) {
    struct stat st {};
    return ::lstat((mnt / "search" / q).c_str(), &st) == 0 ? 0 : errno;
  }
};

/// The same answer, in the same order, through every door (and the
/// projects and assets of it through the API's q= filters).
void check_doors(SearchLibrary& l, const std::string& q, const ResultSet& expected) {
  INFO("query: " << q);
  std::vector<json> api_matched, cli_matched;
  const auto one_page = l.api_search(q, 1000, &api_matched);
  CHECK(as_set(one_page) == expected);
  CHECK(one_page.size() == expected.size());  // each hit once
  CHECK(l.api_search(q, 7) == one_page);       // pages join into the one page
  CHECK(l.api_search(q, 1) == one_page);
  Results projects, assets;
  for (const auto& r : one_page) (r.starts_with("project:") ? projects : assets).push_back(r);
  CHECK(l.api_pages("/api/v1/projects?q=" + url_encode(q), 5) == projects);
  CHECK(l.api_pages("/api/v1/assets?q=" + url_encode(q), 5) == assets);
  CHECK(l.cli_json(q, &cli_matched) == one_page);
  CHECK(cli_matched == api_matched);
  CHECK(l.cli_text(q) == one_page);
  CHECK(l.mount_search(q) == one_page);
}

struct Case {
  std::string query;
  ResultSet expected;
};

// Every file whose extension is .stl, in any case.
const ResultSet kStl = {
    "Benchy/models/3DBenchy.stl",
    "Benchy/models/parts/hull.stl",
    "Benchy Mini/benchy_mini.stl",
    "Café Table/Café Top.stl",
    "Café Table/legs/front/leg.stl",
    "Café Table/legs/back/leg.stl",
    "Über Gear/partV2.stl",
    "Über Gear/partV10.stl",
    "Dragon/head.stl",
    "Dragon/wings/wing_left.stl",
    "Dragon/wings/wing_right.stl",
    "Dragon/support/tree.stl",
    "Speed Boat/speed-boat hull.stl",
    "Speed Boat/boat speed.stl",
    "Calibration Cube/cube_20mm.stl",
    "Lamp/lampShade.stl",
    "Lamp/base.stl",
    "Vase/spiral_vase.stl",
    "Rocket/nose_cone.stl",
    "Rocket/fins/fin.stl",
    "Rocket/support.stl",
    "Keychain/keychain.stl",
    "Gears/set/small/gear-10.stl",
    "Gears/set/large/gear-40.stl",
    "Gears/supports.stl",
    "Wall Shelf/Bracket.STL",
    "Wall Shelf/spare/Bracket.STL",
    "Phone Stand/stand.stl",
    "Mini Figures/orc.stl",
    "Mini Figures/elf.stl",
    "Mini Figures/Elf Archer.stl",
    "Mini Figures/base_25mm.stl",
    "Schloß Drache/turm.stl",
    "Schloß Drache/Mauer.stl",
};

const ResultSet kImages = {
    "Benchy/images/cover.png", "Café Table/photo.jpg",   "Dragon/render.webp",         "Lamp/bulb.png",
    "Keychain/keychain.svg",   "Wall Shelf/shelf.png",   "2024 Calendar/january.png", "2024 Calendar/december.png",
};

const ResultSet kBenchy = {"project:Benchy", "project:Benchy Mini", "Benchy/models/3DBenchy.stl",
                           "Benchy Mini/benchy_mini.stl"};

ResultSet with(ResultSet a, const ResultSet& b) {
  a.insert(b.begin(), b.end());
  return a;
}

const std::vector<Case> kCases = {
    // Words: a prefix of a folded word of a name, a tag, a folder or a note.
    {"benchy", kBenchy},
    {"BENCHY", kBenchy},
    {"benc", kBenchy},
    {"name:benchy", kBenchy},
    {"\"benchy\"", kBenchy},  // a quoted word is an exact word: "benchy" is a part of 3DBenchy
    {"\"bench\"", {}},
    {"3dbenchy", {"Benchy/models/3DBenchy.stl"}},
    {"3db", {"Benchy/models/3DBenchy.stl"}},
    {"benchy.stl", {"Benchy/models/3DBenchy.stl"}},  // several runs: a phrase of adjacent words
    {"storrelse", {"project:Størrelse Guide", "Størrelse Guide/størrelse.scad"}},
    {"Størrelse", {"project:Størrelse Guide", "Størrelse Guide/størrelse.scad"}},
    {"cafe", {"project:Café Table", "Café Table/Café Top.stl"}},
    {"CAFÉ", {"project:Café Table", "Café Table/Café Top.stl"}},
    {"cafe top", {"Café Table/Café Top.stl"}},
    {"table top", {}},  // every word in the same item
    {"uber", {"project:Über Gear"}},
    {"über", {"project:Über Gear"}},
    {"schloss", {"project:Schloß Drache"}},
    {"SCHLOß", {"project:Schloß Drache"}},
    {"drache", {"project:Schloß Drache"}},
    {"dra", {"project:Dragon", "Dragon/dragon.3mf", "project:Schloß Drache"}},
    {"mauer", {"Schloß Drache/Mauer.stl"}},
    {"v2", {"Über Gear/partV2.stl"}},
    {"v1", {"Über Gear/partV10.stl"}},
    {"partv", {"Über Gear/partV2.stl", "Über Gear/partV10.stl"}},
    {"box", {"Über Gear/gearBox.3mf"}},
    {"gear",
     {"project:Über Gear", "Über Gear/gearBox.3mf", "project:Gears", "Gears/set/small/gear-10.stl",
      "Gears/set/large/gear-40.stl"}},
    {"gear -gears",
     {"project:Über Gear", "Über Gear/gearBox.3mf", "Gears/set/small/gear-10.stl", "Gears/set/large/gear-40.stl"}},
    {"xml", {"Calibration Cube/XMLFile.xml"}},
    {"file", {"Calibration Cube/XMLFile.xml"}},
    {"20", {"Calibration Cube/cube_20mm.stl", "project:2024 Calendar"}},
    {"2024", {"project:2024 Calendar"}},
    {"mm", {"Calibration Cube/cube_20mm.stl", "Mini Figures/base_25mm.stl", "project:Calibration Cube"}},
    {"3mf", {"Über Gear/gearBox.3mf", "Dragon/dragon.3mf", "Vase/vase.3mf"}},
    {"stl", kStl},
    {"cube", {"project:Calibration Cube", "Calibration Cube/cube_20mm.stl", "Calibration Cube/cube.gcode"}},
    {"calibration cube", {"project:Calibration Cube"}},
    {"lamp", {"project:Lamp", "Lamp/lampShade.stl"}},
    {"shade", {"Lamp/lampShade.stl"}},
    {"mini", {"project:Benchy Mini", "Benchy Mini/benchy_mini.stl", "project:Mini Figures"}},
    {"elf", {"Mini Figures/elf.stl", "Mini Figures/Elf Archer.stl"}},
    {"elf archer", {"Mini Figures/Elf Archer.stl"}},
    {"calendar", {"project:2024 Calendar", "2024 Calendar/calendar.pdf"}},
    {"notes", {"Benchy Mini/notes.txt"}},
    {"bracket", {"Wall Shelf/Bracket.STL", "Wall Shelf/spare/Bracket.STL"}},
    // Folders and notes are words of the item too.
    {"leg", {"Café Table/legs/front/leg.stl", "Café Table/legs/back/leg.stl"}},
    {"docs", {"Phone Stand/docs/manual.md", "Phone Stand/docs/assembly.pdf"}},
    {"set", {"Gears/set/small/gear-10.stl", "Gears/set/large/gear-40.stl", "Calibration Cube/settings.ini"}},
    {"spiral", {"project:Vase", "Vase/spiral_vase.stl"}},
    {"print", {"project:Calibration Cube"}},
    {"axle", {"project:Gears"}},
    {"\"0.2 mm\"", {"project:Calibration Cube"}},
    {"support",
     {"Rocket/support.stl", "Dragon/head.stl", "Dragon/support/tree.stl", "Gears/supports.stl", "Dragon/body.obj"}},
    // Tags: the item's own, never its project's.
    {"pla", {"project:Benchy", "project:Benchy Mini", "Lamp/lampShade.stl"}},
    {"gift", {"project:Keychain", "project:Phone Stand"}},
    {"fantasy", {"project:Dragon"}},
    {"toy -gift", {"project:Rocket"}},
    {"toy gift", {"project:Keychain"}},
    // Operators.
    {"benchy -mini", {"project:Benchy", "Benchy/models/3DBenchy.stl"}},
    {"benchy not mini", {"project:Benchy", "Benchy/models/3DBenchy.stl"}},
    {"boat or dragon",
     {"project:Speed Boat", "project:Benchy", "Speed Boat/speed-boat hull.stl", "Speed Boat/boat speed.stl",
      "project:Dragon", "Dragon/dragon.3mf"}},
    {"(boat or dragon) -tag:boat",
     {"Speed Boat/speed-boat hull.stl", "Speed Boat/boat speed.stl", "project:Dragon", "Dragon/dragon.3mf"}},
    {"wing (left or right)", {"Dragon/wings/wing_left.stl", "Dragon/wings/wing_right.stl"}},
    {"wing -right", {"Dragon/wings/wing_left.stl"}},
    {"table or shelf", {"project:Café Table", "project:Wall Shelf", "Wall Shelf/shelf.png"}},
    {"orc or elf or turm",
     {"Mini Figures/orc.stl", "Mini Figures/elf.stl", "Mini Figures/Elf Archer.stl", "Schloß Drache/turm.stl"}},
    {"\"speed boat\"", {"project:Speed Boat", "Speed Boat/speed-boat hull.stl"}},
    {"\"boat speed\"", {"Speed Boat/boat speed.stl"}},
    {"speed-boat", {"project:Speed Boat", "Speed Boat/speed-boat hull.stl"}},
    {"\"archer elf\"", {}},
    // Fields.
    {"tag:boat", {"project:Benchy", "project:Speed Boat"}},
    {"tag:pla", {"project:Benchy", "project:Benchy Mini", "Lamp/lampShade.stl"}},  // pla-plus too
    {"tag:pla -tag:plus", {"project:Benchy", "Lamp/lampShade.stl"}},
    {"tag:\"dual color\"", {"project:Speed Boat"}},
    {"tag:color", {"project:Speed Boat"}},
    {"tag:\"color dual\"", {}},
    {"tag:fan", {"project:Dragon"}},
    {"tag:support", {"Dragon/head.stl"}},
    {"tag:toy or tag:gift", {"project:Rocket", "project:Keychain", "project:Phone Stand"}},
    {"collection:boats", {"project:Benchy", "project:Speed Boat"}},
    {"collection:gift", {"project:Keychain", "project:Phone Stand", "project:Lamp"}},
    {"collection:\"gift ideas\"", {"project:Keychain", "project:Phone Stand", "project:Lamp"}},
    {"project:benchy",
     {"project:Benchy", "Benchy/models/3DBenchy.stl", "Benchy/models/parts/hull.stl", "Benchy/images/cover.png",
      "Benchy/README.md", "project:Benchy Mini", "Benchy Mini/benchy_mini.stl", "Benchy Mini/notes.txt"}},
    {"project:\"benchy mini\"", {"project:Benchy Mini", "Benchy Mini/benchy_mini.stl", "Benchy Mini/notes.txt"}},
    {"project:dragon type:image", {"Dragon/render.webp"}},
    {"project:dragon ext:stl -path:wings", {"Dragon/head.stl", "Dragon/support/tree.stl"}},
    {"name:leg", {"Café Table/legs/front/leg.stl", "Café Table/legs/back/leg.stl"}},
    {"name:support", {"Rocket/support.stl", "Gears/supports.stl"}},
    {"path:legs", {"Café Table/legs/front/leg.stl", "Café Table/legs/back/leg.stl"}},
    {"path:set", {"Gears/set/small/gear-10.stl", "Gears/set/large/gear-40.stl"}},
    {"path:support", {"Dragon/support/tree.stl"}},
    {"notes:spiral", {"project:Vase"}},
    {"notes:supports", {"Dragon/body.obj"}},
    {"notes:gear", {}},
    {"ext:stl", kStl},
    {"ext:STL", kStl},
    {"ext:3mf", {"Über Gear/gearBox.3mf", "Dragon/dragon.3mf", "Vase/vase.3mf"}},
    {"ext:pdf",
     {"Størrelse Guide/guide.pdf", "Lamp/wiring.pdf", "Phone Stand/docs/assembly.pdf", "2024 Calendar/calendar.pdf"}},
    {"ext:md or ext:txt", {"Benchy/README.md", "Phone Stand/docs/manual.md", "Benchy Mini/notes.txt"}},
    {"type:image", kImages},
    {"type:image -ext:png", {"Café Table/photo.jpg", "Dragon/render.webp", "Keychain/keychain.svg"}},
    {"type:document",
     {"Benchy/README.md", "Benchy Mini/notes.txt", "Størrelse Guide/guide.pdf", "Lamp/wiring.pdf",
      "Phone Stand/docs/manual.md", "Phone Stand/docs/assembly.pdf", "2024 Calendar/calendar.pdf"}},
    {"type:other",
     {"Calibration Cube/XMLFile.xml", "Calibration Cube/settings.ini", "Lamp/LICENSE", "Rocket/engine.bin",
      "Keychain/font.ttf"}},
    {"type:model dragon", {"Dragon/dragon.3mf"}},
    {"has:note", {"project:Vase", "project:Calibration Cube", "project:Gears", "Dragon/body.obj"}},
    {"has:note -type:model", {"project:Vase", "project:Calibration Cube", "project:Gears"}},
    {"has:tags",
     {"project:Benchy", "project:Benchy Mini", "project:Café Table", "project:Dragon", "project:Speed Boat",
      "project:Rocket", "project:Keychain", "project:Phone Stand", "Dragon/head.stl", "Lamp/lampShade.stl"}},
    {"missing:tags type:image", kImages},
    {"has:image",
     with(kImages, {"project:Benchy", "project:Café Table", "project:Dragon", "project:Lamp", "project:Keychain",
                    "project:Wall Shelf", "project:2024 Calendar"})},
    {"has:image -type:image",
     {"project:Benchy", "project:Café Table", "project:Dragon", "project:Lamp", "project:Keychain",
      "project:Wall Shelf", "project:2024 Calendar"}},
    {"has:image missing:tags", with(kImages, {"project:Lamp", "project:Wall Shelf", "project:2024 Calendar"})},
    {"size:>10M", {"Rocket/engine.bin"}},
    {"size:>16K", {"Benchy/models/3DBenchy.stl", "Rocket/engine.bin"}},
    {"size:<100", {"Lamp/LICENSE"}},
    {"size:>10M or tag:toy", {"Rocket/engine.bin", "project:Rocket", "project:Keychain"}},
    {"modified:<30d ext:3mf", {"Über Gear/gearBox.3mf", "Dragon/dragon.3mf"}},
    {"modified:>30d", {"Vase/vase.3mf", "project:Schloß Drache"}},
    {"modified:<2021", {"Vase/vase.3mf", "project:Schloß Drache"}},
    {"vase added:<1h", {"project:Vase", "Vase/vase.3mf", "Vase/spiral_vase.stl"}},
    {"vase added:>2020-01-01", {"project:Vase", "Vase/vase.3mf", "Vase/spiral_vase.stl"}},
    {"added:<2000", {}},
};

Results projects_of(const Results& r) {
  Results out;
  for (const auto& x : r)
    if (x.starts_with("project:")) out.push_back(x);
  return out;
}

}  // namespace

TEST_CASE("every query of the table gives its answer through the API, the command line and the mount", "[search]") {
  RETURN_WITHOUT_FUSE();
  SearchLibrary l;
  REQUIRE(kCases.size() >= 60);
  for (const auto& c : kCases) check_doors(l, c.query, c.expected);
}

TEST_CASE("search results come best first: exact before prefix, name before tag, folder and notes, short names first",
          "[search]") {
  RETURN_WITHOUT_FUSE();
  SearchLibrary l;
  struct Ranked {
    std::string query;
    Results order;
  } cases[] = {
      // An exact name word, a tag, a folder, a name prefix, a note.
      {"support",
       {"Rocket/support.stl", "Dragon/head.stl", "Dragon/support/tree.stl", "Gears/supports.stl", "Dragon/body.obj"}},
      // Equally good: the shorter name first ("Über Gear" is 10 bytes).
      {"benchy", {"project:Benchy", "project:Benchy Mini", "Benchy/models/3DBenchy.stl", "Benchy Mini/benchy_mini.stl"}},
      {"gear",
       {"project:Über Gear", "Gears/set/small/gear-10.stl", "Gears/set/large/gear-40.stl", "Über Gear/gearBox.3mf",
        "project:Gears"}},
      // A name beats a tag even when the tagged project's name is shorter.
      {"boat", {"project:Speed Boat", "Speed Boat/boat speed.stl", "Speed Boat/speed-boat hull.stl", "project:Benchy"}},
      // Only filters: by name length, then name.
      {"size:>16K", {"Rocket/engine.bin", "Benchy/models/3DBenchy.stl"}},
  };
  for (const auto& c : cases) {
    INFO("query: " << c.query);
    CHECK(l.api_search(c.query, 1000) == c.order);
    CHECK(l.api_search(c.query, 2) == c.order);
    CHECK(l.mount_search(c.query) == c.order);
    CHECK(l.cli_json(c.query) == c.order);
    CHECK(l.api_pages("/api/v1/projects?q=" + url_encode(c.query), 1) == projects_of(c.order));
  }

  // Each hit says which fields matched, in rank order.
  std::vector<json> matched;
  const auto boat = l.api_search("boat", 1000, &matched);
  REQUIRE(boat.size() == 4);
  CHECK(matched[0] == json{"name", "tag"});  // Speed Boat: its name and its tag
  CHECK(matched[1] == json{"name"});
  CHECK(matched[3] == json{"tag"});  // Benchy
  matched.clear();
  const auto support = l.api_search("support", 1000, &matched);
  REQUIRE(support.size() == 5);
  CHECK(matched == std::vector<json>{json{"name"}, json{"tag"}, json{"path"}, json{"name"}, json{"notes"}});
  matched.clear();
  l.api_search("collection:boats", 1000, &matched);
  CHECK(matched == std::vector<json>{json{"collection"}, json{"collection"}});
  // The command line shows them too.
  const auto text = lima::test::run_limafs({"search", "boat"});
  CHECK(text.out.find("project  Speed Boat  [name,tag]\n") != std::string::npos);
  CHECK(text.out.find("file     Speed Boat/boat speed.stl  [name]\n") != std::string::npos);
  CHECK(text.out.find("project  Benchy  [tag]\n") != std::string::npos);
  // --limit keeps the best.
  const auto two = lima::test::run_limafs({"search", "--limit", "2", "--json", "support"});
  REQUIRE(two.exit_code == 0);
  const auto two_items = json::parse(two.out);
  REQUIRE(two_items.size() == 2);
  CHECK(SearchLibrary::item_of(two_items[0]) == "Rocket/support.stl");
  CHECK(SearchLibrary::item_of(two_items[1]) == "Dragon/head.stl");
  // A leading "-word" is a query word on the command line, not an option.
  const auto dash = lima::test::run_limafs({"search", "--json", "-mini", "benchy"});
  INFO(dash.err);
  REQUIRE(dash.exit_code == 0);
  Results dashed;
  for (const auto& it : json::parse(dash.out)) dashed.push_back(SearchLibrary::item_of(it));
  CHECK(dashed == Results{"project:Benchy", "Benchy/models/3DBenchy.stl"});
}

TEST_CASE("a malformed query is refused through every door, saying what and where", "[search]") {
  RETURN_WITHOUT_FUSE();
  SearchLibrary l;
  struct Bad {
    std::string query;
    std::size_t column;
    std::string says;
  } cases[] = {
      {"(benchy", 1, "unclosed '('"},
      {"benchy)", 7, "unmatched ')'"},
      {"colour:red", 1, "unknown field 'colour:'"},
      {"type:banana", 6, "unknown type 'banana'"},
      {"\"unterminated", 1, "unclosed quote"},
      {"benchy or", 8, "'or' needs a word after it"},
      {"size:>lots", 6, "bad size"},
      {"has:wings", 5, "unknown value 'wings'"},
      {"modified:<30x", 10, "bad age or date"},
      {"tag:", 1, "'tag:' needs a value"},
      {"()", 1, "empty parentheses"},
      {"benchy -", 8, "'-' needs a word after it"},
      {"!!!", 1, "nothing to search for"},
      {"Über (", 6, "unclosed '('"},  // columns count characters, not bytes
  };
  for (const auto& c : cases) {
    INFO("query: " << c.query);
    for (const std::string list : {"/api/v1/search", "/api/v1/projects", "/api/v1/assets"}) {
      INFO(list);
      const auto r = l.get(list + "?q=" + url_encode(c.query));
      CHECK(r.status == 400);
      CHECK(r.body["error"]["code"] == "invalid_query");
      CHECK(r.body["error"]["position"] == c.column);
      const auto message = r.body["error"]["message"].is_string() ? r.body["error"]["message"].get<std::string>() : "";
      CHECK(message.find(c.says) != std::string::npos);
      CHECK(message.find(" at " + std::to_string(c.column)) != std::string::npos);
    }
    const auto cli = lima::test::run_limafs({"search", c.query});
    CHECK(cli.exit_code == 1);
    CHECK(cli.out.empty());
    CHECK(is_one_line(cli.err));
    CHECK(cli.err.find(c.says) != std::string::npos);
    CHECK(l.mount_errno(c.query) == ENOENT);
  }
  // A query that is valid but matches nothing is no error.
  CHECK(l.get("/api/v1/search?q=zebra").status == 200);
  CHECK(l.mount_errno("zebra") == 0);
  CHECK(l.mount_search("zebra").empty());
  const auto none = lima::test::run_limafs({"search", "zebra"});
  CHECK(none.exit_code == 1);
  CHECK(none.err == "limafs: nothing matches 'zebra'\n");
}

TEST_CASE("a tag, a note or a new file shows in the next search through every door", "[search]") {
  RETURN_WITHOUT_FUSE();
  SearchLibrary l;
  // Looked at before anything matches: the mount has listed it once.
  check_doors(l, "zebra", {});
  check_doors(l, "tag:zebra", {});

  l.tag_project("Vase", "zebra");
  check_doors(l, "zebra", {"project:Vase"});
  check_doors(l, "tag:zebra", {"project:Vase"});

  l.note_asset("Lamp/base.stl", "zebra stripes on the base");
  check_doors(l, "zebra", {"project:Vase", "Lamp/base.stl"});
  check_doors(l, "notes:stripes", {"Lamp/base.stl"});

  // A file dropped into the library: the watcher indexes it.
  write_file(l.lib / "Rocket/Zebra Fin.stl", lima::test::random_bytes(700, 7));
  REQUIRE(wait_until([&] { return as_set(l.api_search("zebra", 1000)).count("Rocket/Zebra Fin.stl") == 1; }, 20s));
  l.learn_ids();
  check_doors(l, "zebra", {"project:Vase", "Lamp/base.stl", "Rocket/Zebra Fin.stl"});
  check_doors(l, "zebra fin", {"Rocket/Zebra Fin.stl"});
  check_doors(l, "project:rocket ext:stl",
              {"project:Rocket", "Rocket/nose_cone.stl", "Rocket/fins/fin.stl", "Rocket/support.stl",
               "Rocket/Zebra Fin.stl"});

  // Taken back: the tag, the note, the file.
  l.untag_project("Vase", "zebra");
  l.note_asset("Lamp/base.stl", "");
  check_doors(l, "zebra", {"Rocket/Zebra Fin.stl"});
  check_doors(l, "tag:zebra", {});
  stdfs::remove(l.lib / "Rocket/Zebra Fin.stl");
  REQUIRE(wait_until([&] { return l.api_search("zebra", 1000).empty(); }, 20s));
  check_doors(l, "zebra", {});
}
