// The tree of DESIGN §3, as `ls` sees it through a real mount.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>

#include "mount_fixture.h"

using namespace lima::test;
using Names = std::vector<std::string>;

TEST_CASE("the root holds the fixed entries and README.txt explains them", "[mount][tree]") {
  MountedLibrary m;
  CHECK(sorted_names(m.mnt()) ==
        Names{".limafs", "README.txt", "collections", "projects", "search", "searches", "tags", "untagged"});
  const auto readme = read_file(m / "README.txt");
  for (const char* word : {"projects/", "tags/", "collections/", "search/", "searches/", "untagged/", "-xtype f"})
    CHECK(readme.find(word) != std::string::npos);
}

TEST_CASE("projects are mirror directories whose files are absolute symlinks", "[mount][tree]") {
  MountedLibrary m;
  CHECK(sorted_names(m / "projects") == Names{"Benchy", "Cube", "Dragon", "Schloß Drache"});  // no loose file
  CHECK(sorted_names(m / "projects/Benchy") == Names{"3DBenchy.stl", "images", "sub"});
  CHECK(stdfs::is_directory(stdfs::symlink_status(m / "projects/Benchy/sub")));
  CHECK(link_target(m / "projects/Benchy/sub/3DBenchy.stl") == (m.lib() / "Benchy/sub/3DBenchy.stl").string());
  CHECK(link_target(m / "projects/Schloß Drache/castle.stl") == (m.lib() / "Schloß Drache/castle.stl").string());
  CHECK(read_file(m / "projects/Cube/notes.txt") == "print at 0.2 mm\n");  // through the link
  CHECK(lstat_errno(m / "projects/Nope") == ENOENT);
  CHECK(lstat_errno(m / "projects/Cube/nope.stl") == ENOENT);
  CHECK(lstat_errno(m / "projects/Cube/cube.stl/x") == ENOTDIR);
}

TEST_CASE("tags list tagged projects and flattened tagged assets", "[mount][tree]") {
  MountedLibrary m;
  m.tag_project("Benchy", "boat");
  m.tag_asset("Dragon", "parts/head.stl", "boat");
  m.tag_asset("Benchy", "3DBenchy.stl", "calibration");
  m.tag_asset("Benchy", "sub/3DBenchy.stl", "calibration");
  CHECK(sorted_names(m / "tags") == Names{"boat", "calibration"});
  CHECK(sorted_names(m / "tags/boat") == Names{"Benchy", "Dragon - head.stl"});
  CHECK(stdfs::is_directory(stdfs::symlink_status(m / "tags/boat/Benchy")));  // never a symlink to a dir
  CHECK(sorted_names(m / "tags/boat/Benchy/sub") == Names{"3DBenchy.stl"});
  CHECK(link_target(m / "tags/boat/Dragon - head.stl") == (m.lib() / "Dragon/parts/head.stl").string());
  // Two files of one project share a name: the asset id goes before the extension.
  const auto a = m.asset("Benchy", "3DBenchy.stl"), b = m.asset("Benchy", "sub/3DBenchy.stl");
  const std::string na = "Benchy - 3DBenchy ~" + std::to_string(a) + ".stl";
  const std::string nb = "Benchy - 3DBenchy ~" + std::to_string(b) + ".stl";
  CHECK(sorted_names(m / "tags/calibration") == (na < nb ? Names{na, nb} : Names{nb, na}));
  CHECK(link_target(m / "tags/calibration" / nb) == (m.lib() / "Benchy/sub/3DBenchy.stl").string());
  CHECK(lstat_errno(m / "tags/none") == ENOENT);
}

TEST_CASE("+tag narrows: only narrowing tags are listed, any tag can be looked up", "[mount][tree]") {
  MountedLibrary m;
  m.tag_project("Benchy", "pla");
  m.tag_project("Cube", "pla");
  m.tag_project("Dragon", "pla");
  m.tag_project("Benchy", "boat");
  m.tag_project("Cube", "calibration");
  m.tag_project("Schloß Drache", "petg");
  m.tag_project("Benchy", "everything");
  m.tag_project("Cube", "everything");
  m.tag_project("Dragon", "everything");
  // everything: on all three pla projects (narrows nothing); petg: on none.
  CHECK(sorted_names(m / "tags/pla") == Names{"+boat", "+calibration", "Benchy", "Cube", "Dragon"});
  CHECK(sorted_names(m / "tags/pla/+boat") == Names{"Benchy"});
  CHECK(sorted_names(m / "tags/pla/+calibration") == Names{"Cube"});
  CHECK(sorted_names(m / "tags/pla/+everything") == Names{"+boat", "+calibration", "Benchy", "Cube", "Dragon"});
  CHECK(sorted_names(m / "tags/pla/+petg").empty());                   // exists, holds nothing
  CHECK(sorted_names(m / "tags/pla/+everything/+boat") == Names{"Benchy"});  // nests
  CHECK(lstat_errno(m / "tags/pla/+pla") == ENOENT);                   // already in the path
  CHECK(lstat_errno(m / "tags/pla/+nosuchtag") == ENOENT);
  CHECK(sorted_names(m / "tags/pla/+boat/Benchy") == Names{"3DBenchy.stl", "images", "sub"});
}

TEST_CASE("collections list their projects in collection order", "[mount][tree]") {
  MountedLibrary m;
  m.collection("To print", {"Dragon", "Benchy", "Cube"});
  m.collection("Done", {});
  CHECK(sorted_names(m / "collections") == Names{"Done", "To print"});
  CHECK(readdir_names(m / "collections/To print") == Names{"Dragon", "Benchy", "Cube"});
  CHECK(readdir_names(m / "collections/Done").empty());
  CHECK(link_target(m / "collections/To print/Dragon/parts/tail.stl") == (m.lib() / "Dragon/parts/tail.stl").string());
}

TEST_CASE("untagged lists the projects that carry no tag", "[mount][tree]") {
  MountedLibrary m;
  m.tag_project("Benchy", "boat");
  m.tag_asset("Cube", "cube.stl", "calibration");  // a tagged file does not tag its project
  CHECK(sorted_names(m / "untagged") == Names{"Cube", "Dragon", "Schloß Drache"});
  CHECK(lstat_errno(m / "untagged/Benchy") == ENOENT);
  CHECK(sorted_names(m / "untagged/Dragon/parts") == Names{"head.stl", "tail.stl"});
}

TEST_CASE("search finds projects and files whose names or tags start with every word", "[mount][tree]") {
  MountedLibrary m;
  m.tag_project("Dragon", "fantasy");
  m.tag_asset("Cube", "cube.stl", "calibration");
  CHECK(readdir_names(m / "search").empty());  // looked up, never listed
  CHECK(sorted_names(m / "search/drag") == Names{"Dragon", "Dragon - dragon.3mf"});
  CHECK(sorted_names(m / "search/fant") == Names{"Dragon"});
  CHECK(sorted_names(m / "search/head stl") == Names{"Dragon - head.stl"});
  CHECK(sorted_names(m / "search/calib") == Names{"Cube - cube.stl"});
  CHECK(sorted_names(m / "search/zzz").empty());  // valid query, no match
  CHECK(sorted_names(m / "search/SCHLOSS") == Names{"Schloß Drache"});  // ß folds to ss
  CHECK(sorted_names(m / "search/schloß") == Names{"Schloß Drache"});
  CHECK(sorted_names(m / "search/cube") == Names{"Cube", "Cube - cube.stl"});
  const auto a = m.asset("Benchy", "3DBenchy.stl"), b = m.asset("Benchy", "sub/3DBenchy.stl");
  CHECK(sorted_names(m / "search/benchy").size() == 3);  // "3DBenchy" holds the word "benchy"
  CHECK(lstat_errno(m / "search/benchy" / ("Benchy - 3DBenchy ~" + std::to_string(std::max(a, b)) + ".stl")) == 0);
  CHECK(lstat_errno(m / "search/ ") == ENOENT);  // no word: not a query
  CHECK(link_target(m / "search/head stl/Dragon - head.stl") == (m.lib() / "Dragon/parts/head.stl").string());
}

TEST_CASE(".limafs/status tells the library, the index and the last run", "[mount][tree]") {
  MountedLibrary m;
  CHECK(sorted_names(m / ".limafs") == Names{"problems.txt", "stats", "status"});
  const auto status = read_file(m / ".limafs/status");
  CHECK(status.find("library: " + m.lib().string()) != std::string::npos);
  CHECK(status.find("projects: 4") != std::string::npos);
  CHECK(status.find("assets: 10") != std::string::npos);
  CHECK(status.find("last run: #1 ok") != std::string::npos);
  m.sync();
  CHECK(read_file(m / ".limafs/status").find("last run: #2 ok") != std::string::npos);  // never cached
  const auto stats = read_file(m / ".limafs/stats");
  CHECK(stats.starts_with("total "));
  CHECK(stats.find("\nlookup ") != std::string::npos);
}

TEST_CASE(".limafs/problems.txt lists what looks wrong, one problem a line, never cached", "[mount][tree]") {
  MountedLibrary m([](const stdfs::path& root) {
    write_sample_library(root);
    stdfs::create_directories(root / "Empty");
    write_file(root / "Schloß Drache/copy of loose.stl", read_file(root / "loose.stl"));
    write_file(root / "notes only/readme.txt", "nothing to print\n");
    write_file(root / "bad\nname.stl", "a loose file whose name breaks lines");
  });
  const auto text = read_file(m / ".limafs/problems.txt");
  CHECK(static_cast<std::size_t>(stdfs::file_size(m / ".limafs/problems.txt")) == text.size());
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < text.size();) {
    const auto end = text.find('\n', at);
    REQUIRE(end != std::string::npos);  // every line ends
    lines.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  REQUIRE_FALSE(lines.empty());
  CHECK(lines[0] == "# 10 problems: 1 empty_project, 2 loose_file, 2 duplicate_content, 4 no_images, 1 no_models");
  std::vector<std::pair<std::string, std::string>> rows;  // kind, path
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto tab1 = lines[i].find('\t'), tab2 = lines[i].find('\t', tab1 + 1);
    REQUIRE(tab2 != std::string::npos);
    CHECK(lines[i].find('\t', tab2 + 1) == std::string::npos);  // kind, path, detail
    rows.emplace_back(lines[i].substr(0, tab1), lines[i].substr(tab1 + 1, tab2 - tab1 - 1));
  }
  CHECK(rows == std::vector<std::pair<std::string, std::string>>{
                    {"no_images", "Cube"},
                    {"no_images", "Dragon"},
                    {"empty_project", "Empty"},
                    {"no_images", "Schloß Drache"},
                    {"duplicate_content", "Schloß Drache/copy of loose.stl"},
                    {"loose_file", "bad\\nname.stl"},  // escaped: the name cannot break the line
                    {"duplicate_content", "loose.stl"},
                    {"loose_file", "loose.stl"},
                    {"no_images", "notes only"},
                    {"no_models", "notes only"},
                });
  CHECK(text.find("duplicate_content\tloose.stl\tsame content as Schloß Drache/copy of loose.stl\n") !=
        std::string::npos);

  // Read afresh at every open: the report follows the library.
  write_file(m.lib() / "notes only/part.stl", "solid part\n");
  stdfs::remove(m.lib() / "Schloß Drache/copy of loose.stl");
  m.sync();
  const auto after = read_file(m / ".limafs/problems.txt");
  CHECK(after.find("no_models\tnotes only\t") == std::string::npos);
  CHECK(after.find("duplicate_content") == std::string::npos);
  CHECK(after.find("removed\tSchloß Drache/copy of loose.stl\t") != std::string::npos);
  CHECK(static_cast<std::size_t>(stdfs::file_size(m / ".limafs/problems.txt")) == after.size());
}

TEST_CASE(".limafs/problems.txt says so when nothing looks wrong", "[mount][tree]") {
  MountedLibrary m([](const stdfs::path& root) {
    write_file(root / "Benchy/benchy.stl", "solid benchy\n");
    write_file(root / "Benchy/cover.png", "not really a png");
  });
  CHECK(read_file(m / ".limafs/problems.txt") == "# no problems\n");
}

namespace {

// A library whose tagged names would pass 255 bytes when flattened:
//   Benchy/<251 × f>.stl                          264 bytes flattened
//   <255 bytes: "Schloß " repeated>/castle.stl    a 255-byte project of 2-byte characters
//   <255 × P>/a/<250 × s>.stl, <255 × P>/b/<250 × s>.stl   long and sharing a file name
//   Cube/cube.stl                                 short, for company
const std::string kLongFile = std::string(251, 'f') + ".stl";
const std::string kLongProject(255, 'P');

std::string castle_project() {
  std::string name;
  while (name.size() + std::string("Schloß ").size() <= 255) name += "Schloß ";
  while (name.size() < 255) name += "x";
  return name;
}

void write_long_names(const stdfs::path& root) {
  write_file(root / "Benchy" / kLongFile, "solid long\n");
  write_file(root / castle_project() / "castle.stl", "solid castle\n");
  write_file(root / kLongProject / "a" / (std::string(250, 's') + ".stl"), "solid a\n");
  write_file(root / kLongProject / "b" / (std::string(250, 's') + ".stl"), "solid b\n");
  write_file(root / "Cube/cube.stl", "solid cube\n");
}

}  // namespace

TEST_CASE("names longer than 255 bytes are shortened, and lookups of them find the right file", "[mount][tree][names]") {
  MountedLibrary m(write_long_names);
  const auto shared = std::string(250, 's') + ".stl";
  m.tag_asset("Benchy", kLongFile, "long");
  m.tag_asset(castle_project(), "castle.stl", "long");
  m.tag_asset(kLongProject, "a/" + shared, "long");
  m.tag_asset(kLongProject, "b/" + shared, "long");
  m.tag_asset("Cube", "cube.stl", "long");
  m.tag_project(kLongProject, "long");  // a 255-byte project name is shown whole
  const std::map<std::string, std::string> real{
      {std::to_string(m.asset("Benchy", kLongFile)), "Benchy/" + kLongFile},
      {std::to_string(m.asset(castle_project(), "castle.stl")), castle_project() + "/castle.stl"},
      {std::to_string(m.asset(kLongProject, "a/" + shared)), kLongProject + "/a/" + shared},
      {std::to_string(m.asset(kLongProject, "b/" + shared)), kLongProject + "/b/" + shared},
  };

  for (const char* dir : {"tags/long", "search/stl"}) {
    INFO(dir);
    const auto names = sorted_names(m / dir);
    CHECK(names.size() == (std::string(dir) == "tags/long" ? 6U : 5U));
    std::size_t shortened = 0;
    for (const auto& name : names) {
      INFO(name);
      CHECK(name.size() <= 255);
      CHECK(lstat_errno(m / dir / name) == 0);  // readdir and lookup agree
      if (name == kLongProject) continue;       // the project's folder
      CHECK(name.ends_with(".stl"));            // the extension stays last
      const auto target = link_target(m / dir / name);
      CHECK(read_file(m / dir / name) == read_file(target));  // opens through the link
      const auto tilde = name.rfind(" ~");
      if (name == "Cube - cube.stl") {
        CHECK(target == (m.lib() / "Cube/cube.stl").string());
        continue;
      }
      // Every shortened name carries its asset id, which names the right file.
      REQUIRE(tilde != std::string::npos);
      const auto id = name.substr(tilde + 2, name.size() - tilde - 2 - 4);
      REQUIRE(real.contains(id));
      CHECK(target == (m.lib() / real.at(id)).string());
      ++shortened;
    }
    CHECK(shortened == 4);
  }
  // The castle's name was cut between whole characters.
  const auto names = sorted_names(m / "tags/long");
  const auto castle = std::find_if(names.begin(), names.end(), [](const std::string& n) { return n.starts_with("Schloß"); });
  REQUIRE(castle != names.end());
  CHECK(castle->ends_with(" - castle ~" + std::to_string(m.asset(castle_project(), "castle.stl")) + ".stl"));
  const auto cut = castle->substr(0, castle->find(" - castle"));
  CHECK(castle_project().starts_with(cut));
  CHECK(cut.size() > 230);
  CHECK_FALSE(cut.ends_with("\xC3"));  // never half an ß (C3 9F)
}

TEST_CASE("a tag of 255 bytes narrows under a shortened +name that can be looked up", "[mount][tree][names]") {
  MountedLibrary m;
  const std::string tag(255, 't');
  m.tag_project("Benchy", "boat");
  m.tag_project("Cube", "boat");
  m.tag_project("Cube", tag);
  const auto names = sorted_names(m / "tags/boat");
  REQUIRE(names.size() == 3);
  const auto& plus = names.front();
  CHECK(plus.starts_with("+ttt"));
  CHECK(plus.size() <= 255);
  CHECK(sorted_names(m / "tags/boat" / plus) == Names{"Cube"});
  CHECK(lstat_errno(m / "tags/boat" / plus.substr(0, plus.size() - 1)) == ENOENT);  // another id
  CHECK(lstat_errno(m / "tags/boat" / ("+" + std::string(250, 't') + " ~1")) == ENOENT);  // another tag's id
  CHECK(sorted_names(m / "tags" / tag) == Names{"Cube"});  // the tag itself is 255 bytes: shown whole
}

TEST_CASE("stat of .limafs/problems.txt renders the report once per index change, and its size follows it", "[mount][tree]") {
  MountedLibrary m;  // loose.stl is a problem
  const auto& tree = m.mount().tree();
  const auto size = [&] { return static_cast<std::size_t>(stdfs::file_size(m / ".limafs/problems.txt")); };
  const auto first = tree.reports_rendered();
  for (int i = 0; i < 20; ++i) CHECK(size() == read_file(m / ".limafs/problems.txt").size());
  CHECK(shell("ls -l " + (m / ".limafs").string() + " >/dev/null 2>&1; echo $?") == "0\n");
  CHECK(tree.reports_rendered() - first <= 1);  // stat, ls -l and reads share one rendering

  write_file(m.lib() / "another loose.stl", "solid loose\n");
  m.sync();
  const auto before = tree.reports_rendered();
  const auto text = read_file(m / ".limafs/problems.txt");
  CHECK(text.find("loose_file\tanother loose.stl\t") != std::string::npos);
  for (int i = 0; i < 20; ++i) CHECK(size() == text.size());
  CHECK(tree.reports_rendered() == before + 1);  // rendered again once, for the new index
}
