#include "fs/vpath.h"
#include "index/search.h"

#include <catch2/catch.hpp>

using namespace lima::fs;
using lima::index::name_tokens;
using lima::index::search_words;
using lima::index::words_match;

TEST_CASE("flattened names keep the extension last", "[vpath]") {
  CHECK(flattened_name("Benchy", "3DBenchy.stl") == "Benchy - 3DBenchy.stl");
  CHECK(flattened_name("Benchy", "3DBenchy.stl", 42) == "Benchy - 3DBenchy ~42.stl");
  CHECK(flattened_name("Benchy", "model.tar.gz", 7) == "Benchy - model.tar ~7.gz");
  CHECK(flattened_name("Benchy", "README", 7) == "Benchy - README ~7");
  CHECK(flattened_name("Benchy", ".stl", 7) == "Benchy - .stl ~7");  // a leading dot is not an extension
  CHECK(flattened_name("", "loose.stl") == "loose.stl");              // loose files have no project
  CHECK(flattened_name("A - B", "c.stl") == "A - B - c.stl");
}

TEST_CASE("file names are the last path component", "[vpath]") {
  CHECK(file_name_of("sub/dir/part.stl") == "part.stl");
  CHECK(file_name_of("part.stl") == "part.stl");
}

TEST_CASE("probe names are recognised without the index", "[vpath]") {
  for (const char* n : {".git", ".hidden", ".directory", ".DS_Store", "._Benchy.stl", "desktop.ini", "Thumbs.db",
                        ".Trash-1000"})
    CHECK(is_probe_name(n));
  // Names the index can hold are never probes: a project may have them.
  for (const char* n : {"Benchy", "README.txt", "git", "+pla", "desktop.ini.bak", "autorun.inf", "Desktop.ini"})
    CHECK_FALSE(is_probe_name(n));
}

TEST_CASE("narrowing components name a tag after '+'", "[vpath]") {
  CHECK(narrowing_tag("+pla") == std::optional<std::string_view>("pla"));
  CHECK(narrowing_tag("+") == std::nullopt);
  CHECK(narrowing_tag("pla") == std::nullopt);
  CHECK(narrowing_tag("++x") == std::optional<std::string_view>("+x"));
}

TEST_CASE("root entries are fixed", "[vpath]") {
  CHECK(root_entry("projects") == RootEntry::projects);
  CHECK(root_entry(".limafs") == RootEntry::meta);
  CHECK(root_entry("README.txt") == RootEntry::readme);
  CHECK(root_entry("Projects") == std::nullopt);
  for (RootEntry e : kRootEntries) CHECK(root_entry(name_of(e)) == e);
}

TEST_CASE("search words must each prefix-match a token", "[vpath]") {
  CHECK(search_words("  ") .empty());
  CHECK(search_words("Benchy PLA") == std::vector<std::string>{"benchy", "pla"});
  CHECK(search_words("benchy.stl") == std::vector<std::string>{"benchy", "stl"});
  CHECK(name_tokens("3DBenchy_v2 (Final).STL") ==
        std::vector<std::string>{"3dbenchy", "3", "d", "benchy", "v2", "v", "2", "final", "stl"});
  CHECK(words_match({"benc"}, name_tokens("3DBenchy.stl")));
  CHECK(words_match({"3db"}, name_tokens("3DBenchy.stl")));
  CHECK(words_match({"gear", "2"}, name_tokens("GearBoxV2.step")));
  CHECK(name_tokens("HTMLParser") == std::vector<std::string>{"htmlparser", "html", "parser"});
  const auto tokens = name_tokens("Calibration Cube - 20mm.stl");
  CHECK(words_match({"cal", "20"}, tokens));
  CHECK(words_match({"cube", "stl"}, tokens));
  CHECK_FALSE(words_match({"cube", "benchy"}, tokens));
  CHECK_FALSE(words_match({"ube"}, tokens));  // prefixes only
  CHECK(name_tokens("Schloß Drache") == std::vector<std::string>{"schloß", "drache"});
}
