// Search as a user relies on it: on random libraries (names with accents,
// camelCase and digits, folders, tags, notes, tombstones and loose files),
// what words find is exactly what a brute-force scan of every item finds;
// pages of any size join into the whole answer, in the same order; and a
// few named behaviours on a small library.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "index/kinds.h"
#include "index/metadata.h"
#include "index/search.h"
#include "index/words.h"
#include "support/indexed_library.h"

using namespace lima::index;

namespace {

using Fixture = lima::test::IndexedLibrary;

// Words names are made of: accents, camelCase, digits, letters without a
// decomposition (ø, æ, ß, ł), and words that start others (gear, gearbox).
const std::vector<std::string> kVocabulary = {
    "Benchy", "3DBenchy",  "Størrelse", "Café",   "Über",     "gear",      "GearBox",  "gears",    "partV2",
    "v10",    "XMLFile",   "lampShade", "lamp",   "Drache",   "Straße",    "Ærø",      "naïve",    "crème",
    "brûlée", "speed",     "boat",      "Boats",  "cube",     "Cubed",     "hull",     "wing",     "Wingnut",
    "iPhone", "Łódź",      "fin",       "finial", "Bracket",  "bracketV2", "model2024v3", "x2",   "élan",
    "Ÿacht",  "ROCKET",    "rocketry",  "Vase",   "spiral",   "dragon",    "Dragonfly", "20mm",  "M3",
};
const std::vector<std::string> kTags = {"pla", "PETG", "dual color", "Ærø", "boat", "speed-boat", "fin",
                                        "crème brûlée", "v2", "Gear Train"};
const std::vector<std::string> kSeparators = {" ", "_", "-", "", " - ", "."};
const std::vector<std::string> kExtensions = {".stl", ".3mf", ".png", ".pdf", ".txt", ".STL", ""};

// One item of a random library, as the brute force sees it.
struct Item {
  ItemKey key = 0;
  std::string label;          // "P:<name>" or "A:<project>/<path>", for messages
  std::vector<std::string> texts;  // name, own tags, folders, note
  bool live = true;
};

struct RandomLibrary {
  Fixture fx;
  std::vector<Item> items;
  std::vector<std::string> words;  // every folded word of every live item's texts

  explicit RandomLibrary(unsigned seed) {
    std::mt19937 rng(seed);
    auto pick = [&](const auto& v) -> const auto& { return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)]; };
    auto chance = [&](int percent) { return std::uniform_int_distribution<int>(0, 99)(rng) < percent; };
    auto count = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    auto phrase = [&](int lo, int hi) {
      std::string s;
      for (int i = count(lo, hi); i > 0; --i) s += (s.empty() ? "" : pick(kSeparators)) + pick(kVocabulary);
      return s;
    };
    Catalog& cat = *fx.cat;
    Metadata md(cat);
    std::set<std::string> project_names;
    std::uint64_t ino = 1;
    cat.write([&](WriteTxn& t) {
      const int projects = count(20, 30);
      for (ProjectId id = 2; id < static_cast<ProjectId>(projects) + 2; ++id) {
        std::string name = phrase(1, 3);
        if (!project_names.insert(name).second) continue;
        const bool live = !chance(10);
        Project p{.id = id, .name = name, .dev = 1, .ino = ino++};
        cat.put_project(t, p, nullptr);
        Item pi{project_key(id), "P:" + name, {name}, live};
        for (int i = count(0, 2); i > 0; --i) {
          const auto& tag = pick(kTags);
          REQUIRE(md.tag_project(t, id, tag));
          pi.texts.push_back(tag);
        }
        if (chance(30)) {
          const auto note = phrase(1, 4);
          REQUIRE(md.set_note(t, {NoteTarget::Type::project, id}, note));
          pi.texts.push_back(note);
        }
        if (!live) {
          auto gone = p;
          gone.state = ItemState::tombstone;
          cat.put_project(t, gone, &p);
        }
        items.push_back(std::move(pi));
      }
      // Files: in the projects (live or not) and a few loose ones.
      std::vector<ProjectId> homes{kRootProject};
      for (const auto& it : items) homes.push_back(static_cast<ProjectId>(id_of(it.key)));
      std::set<std::pair<ProjectId, std::string>> paths;
      AssetId next_asset = 1;
      for (int i = count(80, 140); i > 0; --i) {
        const ProjectId home = chance(5) ? kRootProject : pick(homes);
        std::string folders;
        for (int d = count(0, 2); d > 0; --d) folders += phrase(1, 2) + "/";
        const std::string file = phrase(1, 2) + pick(kExtensions);
        const std::string path = folders + file;
        if (file.empty() || !paths.insert({home, path}).second) continue;
        const AssetId id = next_asset++;
        // A project that is gone took its files with it.
        bool home_live = true;
        for (const auto& it : items)
          if (it.key == project_key(home)) home_live = it.live;
        const bool live = home_live && !chance(10);
        Asset a{.id = id, .project = home, .path = path, .dev = 1, .ino = ino++, .size = 100, .kind = kind_of(file)};
        cat.put_asset(t, a, nullptr);
        std::string project_name;
        for (const auto& it : items)
          if (it.key == project_key(home)) project_name = it.label.substr(2);
        Item ai{asset_key(id), "A:" + project_name + "/" + path, {file}, live};
        if (!folders.empty()) ai.texts.push_back(folders.substr(0, folders.size() - 1));
        for (int k = count(0, 1); k > 0; --k) {
          const auto& tag = pick(kTags);
          REQUIRE(md.tag_asset(t, id, tag));
          ai.texts.push_back(tag);
        }
        if (chance(20)) {
          const auto note = phrase(1, 3);
          REQUIRE(md.set_note(t, {NoteTarget::Type::asset, id}, note));
          ai.texts.push_back(note);
        }
        if (!live) {
          auto gone = a;
          gone.state = ItemState::tombstone;
          cat.put_asset(t, gone, &a);
        }
        items.push_back(std::move(ai));
      }
    });
    std::set<std::string> all;
    for (const auto& it : items)
      if (it.live)
        for (const auto& text : it.texts)
          for (const auto& tok : tokenize(text)) all.insert(tok.word);
    words.assign(all.begin(), all.end());
  }

  /// What a scan of every item finds: the live items in which each word is
  /// the start of a word of the name, a tag, the folders or the note.
  std::set<ItemKey> brute_force(const std::vector<std::string>& query) const {
    std::set<ItemKey> out;
    for (const auto& it : items) {
      if (!it.live) continue;
      std::vector<std::string> tokens;
      for (const auto& text : it.texts)
        for (const auto& tok : tokenize(text)) tokens.push_back(tok.word);
      const bool all = std::all_of(query.begin(), query.end(), [&](const std::string& w) {
        return std::any_of(tokens.begin(), tokens.end(), [&](const std::string& tok) { return tok.starts_with(w); });
      });
      if (all) out.insert(it.key);
    }
    return out;
  }

  std::vector<std::string> labels(const std::set<ItemKey>& keys) const {
    std::vector<std::string> out;
    for (const auto& it : items)
      if (keys.count(it.key)) out.push_back(it.label);
    return out;
  }

  /// A query of 1 to 3 words, each the start of a word of the library (or
  /// now and then of the vocabulary, which may find nothing).
  std::vector<std::string> random_query(std::mt19937& rng) const {
    std::vector<std::string> q;
    const int n = std::uniform_int_distribution<int>(1, 3)(rng);
    while (static_cast<int>(q.size()) < n) {
      std::string word;
      if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) {
        const auto& v = kVocabulary[std::uniform_int_distribution<std::size_t>(0, kVocabulary.size() - 1)(rng)];
        word = tokenize(v).back().word;
      } else {
        word = words[std::uniform_int_distribution<std::size_t>(0, words.size() - 1)(rng)];
      }
      // Cut at a character boundary (folded words here are ASCII, but be safe).
      std::size_t len = std::uniform_int_distribution<std::size_t>(1, word.size())(rng);
      while (len < word.size() && (static_cast<unsigned char>(word[len]) & 0xC0) == 0x80) ++len;
      word.resize(len);
      if (word == "or" || word == "and" || word == "not") continue;  // operators, not words
      q.push_back(word);
    }
    return q;
  }
};

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::vector<ItemKey> keys_of(const SearchPage& page) {
  std::vector<ItemKey> out;
  for (const auto& h : page.hits) out.push_back(h.item);
  return out;
}

SearchPage run(Catalog& cat, const Txn& t, const std::string& q, std::size_t limit = 0, std::string after = {},
               Scope scope = Scope::all) {
  SearchRequest r;
  r.limit = limit;
  r.after = std::move(after);
  r.scope = scope;
  auto page = search(cat, t, q, r);
  INFO("query: " << q << (page ? "" : ": " + page.error().message));
  REQUIRE(page);
  return std::move(*page);
}

}  // namespace

TEST_CASE("on random libraries, words find exactly what a scan of every name, tag, folder and note finds", "[search]") {
  int queries = 0, nonempty = 0;
  for (unsigned seed : {1u, 2u, 3u, 4u}) {
    INFO("seed " << seed);
    RandomLibrary lib(seed);
    Catalog& cat = *lib.fx.cat;
    ReadTxn t(cat.env());
    std::mt19937 rng(seed * 7919);
    for (int i = 0; i < 75; ++i) {
      const auto words = lib.random_query(rng);
      const auto q = joined(words);
      INFO("query: " << q);
      const auto page = run(cat, t, q);
      const auto got = keys_of(page);
      const std::set<ItemKey> got_set(got.begin(), got.end());
      CHECK(got_set.size() == got.size());  // each item once
      CHECK(page.total == got.size());
      CHECK_FALSE(page.next);
      const auto want = lib.brute_force(words);
      CHECK(lib.labels(got_set) == lib.labels(want));
      // Best first: by score, then name length, then name, then item.
      for (std::size_t k = 1; k < page.hits.size(); ++k) {
        const auto& a = page.hits[k - 1];
        const auto& b = page.hits[k];
        CHECK(std::make_tuple(a.score, a.name.size(), a.name, a.item) <
              std::make_tuple(b.score, b.name.size(), b.name, b.item));
      }
      ++queries;
      if (!want.empty()) ++nonempty;
    }
  }
  CHECK(queries >= 200);
  CHECK(nonempty >= queries / 2);  // the property is not checked on empty answers alone
}

TEST_CASE("pages of any size join into the whole answer, in the same order, each hit once", "[search]") {
  int checked = 0;
  for (unsigned seed : {11u, 12u, 13u}) {
    INFO("seed " << seed);
    RandomLibrary lib(seed);
    Catalog& cat = *lib.fx.cat;
    ReadTxn t(cat.env());
    std::mt19937 rng(seed);
    // Short words find many items, with many ties of score and length.
    std::vector<std::string> queries = {"b", "g", "s", "stl", "c", "d"};
    for (int i = 0; i < 30; ++i) queries.push_back(joined(lib.random_query(rng)));
    for (const auto& q : queries) {
      INFO("query: " << q);
      const auto whole = run(cat, t, q);
      std::vector<ItemKey> joined_pages;
      std::string after;
      for (int pages = 0; pages < 1000; ++pages) {
        const std::size_t size = std::uniform_int_distribution<std::size_t>(1, 9)(rng);
        const auto page = run(cat, t, q, size, after);
        CHECK(page.total == whole.total);
        CHECK(page.hits.size() <= size);
        for (auto k : keys_of(page)) joined_pages.push_back(k);
        if (!page.next) break;
        CHECK(page.hits.size() == size);
        after = *page.next;
      }
      CHECK(joined_pages == keys_of(whole));
      // Projects only, files only: the same order, filtered.
      std::vector<ItemKey> projects, assets;
      for (auto k : keys_of(whole)) (is_asset(k) ? assets : projects).push_back(k);
      CHECK(keys_of(run(cat, t, q, 0, {}, Scope::projects)) == projects);
      CHECK(keys_of(run(cat, t, q, 0, {}, Scope::assets)) == assets);
      ++checked;
    }
  }
  CHECK(checked >= 100);
}

TEST_CASE("a word is the start of a word of a name, folded, split at case and digit changes", "[search]") {
  Fixture fx;
  Catalog& cat = *fx.cat;
  cat.write([&](WriteTxn& t) {
    cat.put_project(t, Project{.id = 2, .name = "Benchy", .dev = 1, .ino = 1}, nullptr);
    cat.put_project(t, Project{.id = 3, .name = "Schloß Drache", .dev = 1, .ino = 2}, nullptr);
    cat.put_asset(t, Asset{.id = 1, .project = 2, .path = "3DBenchy.stl", .dev = 1, .ino = 10, .kind = Kind::model}, nullptr);
    cat.put_asset(t, Asset{.id = 2, .project = 2, .path = "GearBoxV2.step", .dev = 1, .ino = 11, .kind = Kind::model}, nullptr);
    cat.put_asset(t, Asset{.id = 3, .project = 3, .path = "Calibration Cube - 20mm.stl", .dev = 1, .ino = 12,
                           .kind = Kind::model},
                  nullptr);
  });
  ReadTxn t(cat.env());
  auto names = [&](const std::string& q) {
    std::vector<std::string> out;
    for (const auto& h : run(cat, t, q).hits) out.push_back(h.name);
    std::sort(out.begin(), out.end());
    return out;
  };
  using Names = std::vector<std::string>;
  CHECK(names("benc") == Names{"3DBenchy.stl", "Benchy"});
  CHECK(names("3db") == Names{"3DBenchy.stl"});
  CHECK(names("gear 2") == Names{"GearBoxV2.step"});
  CHECK(names("cal 20") == Names{"Calibration Cube - 20mm.stl"});
  CHECK(names("cube stl") == Names{"Calibration Cube - 20mm.stl"});
  CHECK(names("cube benchy").empty());
  CHECK(names("ube").empty());  // the start of a word, not any part of it
  CHECK(names("SCHLOSS") == Names{"Schloß Drache"});
  CHECK(names("schloß") == Names{"Schloß Drache"});
  // The best first: the exact word "benchy" in the shorter name.
  const auto benchy = run(cat, t, "benchy");
  REQUIRE(benchy.hits.size() == 2);
  CHECK(benchy.hits[0].name == "Benchy");
  CHECK(matched_field_names(benchy.hits[0].fields) == std::vector<std::string_view>{"name"});
}

TEST_CASE("a malformed query or a foreign cursor is an error that says what", "[search]") {
  Fixture fx;
  Catalog& cat = *fx.cat;
  cat.write([&](WriteTxn& t) { cat.put_project(t, Project{.id = 2, .name = "Benchy", .dev = 1, .ino = 1}, nullptr); });
  ReadTxn t(cat.env());
  const auto bad = search(cat, t, "(benchy", {});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::invalid_argument);
  CHECK(bad.error().message == "unclosed '(' at 1");
  SearchRequest r;
  r.after = "not a cursor";
  const auto foreign = search(cat, t, "benchy", r);
  REQUIRE_FALSE(foreign);
  CHECK(foreign.error().code == Errc::invalid_argument);
}
