#include "fs/vpath.h"

#include <catch2/catch.hpp>

using namespace lima::fs;

TEST_CASE("flattened names keep the extension last", "[vpath]") {
  CHECK(flattened_name("Benchy", "3DBenchy.stl", 42) == "Benchy - 3DBenchy.stl");
  CHECK(flattened_name("Benchy", "3DBenchy.stl", 42, true) == "Benchy - 3DBenchy ~42.stl");
  CHECK(flattened_name("Benchy", "model.tar.gz", 7, true) == "Benchy - model.tar ~7.gz");
  CHECK(flattened_name("Benchy", "README", 7, true) == "Benchy - README ~7");
  CHECK(flattened_name("Benchy", ".stl", 7, true) == "Benchy - .stl ~7");  // a leading dot is not an extension
  CHECK(flattened_name("", "loose.stl", 7) == "loose.stl");                // loose files have no project
  CHECK(flattened_name("A - B", "c.stl", 7) == "A - B - c.stl");
}

namespace {

bool whole_utf8(std::string_view s) {
  // Every lead byte has all its continuation bytes (the cut split none).
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const std::size_t n = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

std::string repeat(std::string_view s, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out.append(s);
  return out;
}

}  // namespace

TEST_CASE("flattened names longer than 255 bytes are shortened before the extension and keep the id", "[vpath]") {
  // A file of 251 bytes + ".stl" in a project: 264 bytes unshortened.
  const std::string file = std::string(251, 'f') + ".stl";
  const auto name = flattened_name("Benchy", file, 1234);
  CHECK(name.size() <= 255);
  CHECK(name.starts_with("Benchy - ffff"));
  CHECK(name.ends_with("f ~1234.stl"));
  CHECK(name.size() == 255);  // single-byte characters: cut exactly at the limit

  // A project of 255 bytes: the file name keeps its share and stays readable.
  const std::string project(255, 'P');
  const auto p = flattened_name(project, "3DBenchy.stl", 9);
  CHECK(p.size() <= 255);
  CHECK(p.ends_with(" - 3DBenchy ~9.stl"));
  CHECK(p.starts_with("PPPP"));

  // Both long: each part keeps a fair share; shared names carry one id only.
  const auto both = flattened_name(project, file, 77, true);
  CHECK(both.size() <= 255);
  CHECK(both.find(" - ff") != std::string::npos);
  CHECK(both.ends_with("f ~77.stl"));
  CHECK(both.find("~77") == both.rfind("~77"));

  // Two assets whose long names agree in everything the cut keeps still
  // get different names.
  CHECK(flattened_name(project, std::string(251, 'f') + "1.stl", 5) !=
        flattened_name(project, std::string(251, 'f') + "2.stl", 6));

  // Loose files (no project) too.
  const auto loose = flattened_name("", std::string(254, 'l') + ".3mf", 31, true);
  CHECK(loose.size() <= 255);
  CHECK(loose.ends_with("l ~31.3mf"));

  // Names at the limit are left alone.
  const std::string exact = std::string(255 - 9 - 4, 'e') + ".stl";  // "Benchy - " + 242 + ".stl" = 255
  CHECK(flattened_name("Benchy", exact, 3) == "Benchy - " + exact);
}

TEST_CASE("shortened names never split a UTF-8 character", "[vpath]") {
  for (const char* ch : {"é", "€", "🐉"}) {  // 2, 3 and 4 bytes
    INFO(ch);
    const std::string project = repeat(ch, 300);
    const std::string file = repeat(ch, 200) + ".stl";
    for (std::uint64_t id : {1ULL, 42ULL, 18446744073709551615ULL}) {
      for (bool shared : {false, true}) {
        const auto n = flattened_name(project, file, id, shared);
        CHECK(n.size() <= 255);
        CHECK(n.size() > 240);  // no more than a character's width is lost per part
        CHECK(whole_utf8(n));
        CHECK(n.ends_with(" ~" + std::to_string(id) + ".stl"));
      }
      const auto loose = flattened_name("", file, id);
      CHECK(loose.size() <= 255);
      CHECK(whole_utf8(loose));
    }
  }
  CHECK(utf8_prefix("aé", 2) == "a");
  CHECK(utf8_prefix("aé", 3) == "aé");
  CHECK(utf8_prefix("ab", 5) == "ab");
}

TEST_CASE("an extension too long to keep is cut with the rest of the name", "[vpath]") {
  const std::string file = "model." + std::string(249, 'x');  // 255 bytes
  const auto n = flattened_name("Benchy", file, 12);
  CHECK(n.size() <= 255);
  CHECK(n.starts_with("Benchy - model.xxx"));
  CHECK(n.ends_with("x ~12"));
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
  CHECK(narrowing_name("pla", 4) == "+pla");
  CHECK(narrowing_name(std::string(254, 't'), 4) == "+" + std::string(254, 't'));  // 255 bytes: fits
  // A tag of 255 bytes would make a 256-byte "+tag": shortened, with its id.
  const auto n = narrowing_name(std::string(255, 't'), 4321);
  CHECK(n.size() == 255);
  CHECK(n.starts_with("+ttt"));
  CHECK(n.ends_with("t ~4321"));
  CHECK(shortened_id(n) == 4321U);
  const auto wide = narrowing_name(repeat("€", 85), 7);  // 255 bytes of 3-byte characters
  CHECK(wide.size() <= 255);
  CHECK(whole_utf8(wide));
  CHECK(shortened_id(wide) == 7U);
}

TEST_CASE("shortened names give back their id", "[vpath]") {
  CHECK(shortened_id("Benchy - long ~42.stl") == std::nullopt);  // the id sits before the extension
  CHECK(shortened_id("+tag ~42") == 42U);
  CHECK(shortened_id("+tag ~") == std::nullopt);
  CHECK(shortened_id("+tag ~04") == std::nullopt);
  CHECK(shortened_id("+tag ~4x") == std::nullopt);
  CHECK(shortened_id("+tag") == std::nullopt);
  CHECK(shortened_id("+tag ~99999999999999999999") == std::nullopt);
}

TEST_CASE("root entries are fixed", "[vpath]") {
  CHECK(root_entry("projects") == RootEntry::projects);
  CHECK(root_entry(".limafs") == RootEntry::meta);
  CHECK(root_entry("README.txt") == RootEntry::readme);
  CHECK(root_entry("Projects") == std::nullopt);
  for (RootEntry e : kRootEntries) CHECK(root_entry(name_of(e)) == e);
}
