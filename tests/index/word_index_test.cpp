#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "index/catalog.h"
#include "index/metadata.h"
#include "index/schema.h"
#include "index/word_index.h"
#include "support/indexed_library.h"
#include "test_support.h"

using namespace lima::index;
using lima::test::IndexedLibrary;
using lima::test::write_file;
namespace stdfs = std::filesystem;

namespace {

// What a word finds, as a user would name it: "Project" for a project,
// "Project/path" for an asset ("path" for a loose file), the name of a tag
// or collection; sorted.
std::vector<std::string> found(Catalog& cat, Field field, std::string_view word, bool prefix = false) {
  ReadTxn t(cat.env());
  Metadata md(cat);
  std::set<std::string> out;
  cat.words().lookup(t, field, word, prefix, [&](std::string_view, std::span<const Posting> postings) {
    for (const Posting& p : postings) {
      if (field == Field::tag) {
        out.insert(md.tag_name(t, p.item).value_or("?"));
      } else if (field == Field::collection) {
        auto c = md.collection(t, p.item);
        out.insert(c ? c->name : "?");
      } else if (is_asset(p.item)) {
        auto a = cat.asset(t, id_of(p.item));
        REQUIRE(a);
        auto proj = cat.project(t, a->project);
        out.insert(library_path(proj ? proj->name : "", a->path));
      } else {
        auto proj = cat.project(t, id_of(p.item));
        REQUIRE(proj);
        out.insert(proj->name);
      }
    }
    return true;
  });
  return {out.begin(), out.end()};
}

using Names = std::vector<std::string>;

// The postings of one word, as stored.
std::vector<Posting> postings(Catalog& cat, Field field, std::string_view word) {
  ReadTxn t(cat.env());
  std::vector<Posting> out;
  cat.words().lookup(t, field, word, false, [&](std::string_view, std::span<const Posting> p) {
    out.assign(p.begin(), p.end());
    return true;
  });
  return out;
}

// The whole word index, key by key, each value as (item, rank length).
using Dump = std::vector<std::tuple<std::string, ItemKey, std::uint16_t>>;
Dump dump(Catalog& cat, const Txn& t) {
  Dump out;
  for (char f : {'n', 'p', 'o', 't', 'c'})
    cat.words().lookup(t, static_cast<Field>(f), "", true, [&](std::string_view w, std::span<const Posting> ps) {
      for (const Posting& p : ps) out.emplace_back(std::string(1, f) + std::string(w), p.item, p.rank_len);
      return true;
    });
  return out;
}

struct Library : IndexedLibrary {
  void sync() { sync_with({}); }
  template <class F>
  void write(F f) {
    cat->write([&](WriteTxn& t) { f(t); });
  }
};

}  // namespace

TEST_CASE("a synced library's files are found by the words of their names, folders, notes, tags and collections") {
  Library lib;
  write_file(lib.root / "Speed Boat/models/hull_print.stl", "solid hull\n");
  write_file(lib.root / "Speed Boat/images/side view.png", "not a png");
  write_file(lib.root / "Dragon/parts/wing.3mf", "wing");
  write_file(lib.root / "loose notes.txt", "loose");
  lib.sync();

  CHECK(found(*lib.cat, Field::name, "speed") == Names{"Speed Boat"});
  CHECK(found(*lib.cat, Field::name, "hull") == Names{"Speed Boat/models/hull_print.stl"});
  CHECK(found(*lib.cat, Field::name, "stl") == Names{"Speed Boat/models/hull_print.stl"});
  CHECK(found(*lib.cat, Field::name, "view") == Names{"Speed Boat/images/side view.png"});
  CHECK(found(*lib.cat, Field::name, "loose") == Names{"loose notes.txt"});
  CHECK(found(*lib.cat, Field::path, "models") == Names{"Speed Boat/models/hull_print.stl"});
  CHECK(found(*lib.cat, Field::path, "parts") == Names{"Dragon/parts/wing.3mf"});
  // A project's name is not part of its files' paths, nor folders of their names.
  CHECK(found(*lib.cat, Field::path, "boat").empty());
  CHECK(found(*lib.cat, Field::name, "models").empty());
  CHECK(found(*lib.cat, Field::notes, "loose").empty());

  Metadata md(*lib.cat);
  const auto boat = *lib.project_id_of("Speed Boat");
  const auto wing = *lib.asset_id_of("Dragon", "parts/wing.3mf");
  lib.write([&](WriteTxn& t) {
    REQUIRE(md.set_note(t, {NoteTarget::Type::project, boat}, "Print the hull at 0.2 mm"));
    REQUIRE(md.set_note(t, {NoteTarget::Type::asset, wing}, "needs supports"));
    REQUIRE(md.tag_asset(t, wing, "PLA Plus"));
    REQUIRE(md.create_tag(t, "Bed Leveling"));
    REQUIRE(md.create_collection(t, "Favourite Boats"));
  });
  CHECK(found(*lib.cat, Field::notes, "hull") == Names{"Speed Boat"});
  CHECK(found(*lib.cat, Field::notes, "supports") == Names{"Dragon/parts/wing.3mf"});
  CHECK(found(*lib.cat, Field::tag, "plus") == Names{"PLA Plus"});
  CHECK(found(*lib.cat, Field::tag, "leveling") == Names{"Bed Leveling"});
  CHECK(found(*lib.cat, Field::collection, "boats") == Names{"Favourite Boats"});
  CHECK(found(*lib.cat, Field::tag, "boats").empty());
}

TEST_CASE("a posting's rank length is the byte length of its item's name; names of tags and collections have none") {
  Library lib;
  write_file(lib.root / "Benchy/models/boat.stl", "solid boat\n");
  lib.sync();
  const auto benchy = *lib.project_id_of("Benchy");
  const auto boat = *lib.asset_id_of("Benchy", "models/boat.stl");
  Metadata md(*lib.cat);
  lib.write([&](WriteTxn& t) {
    REQUIRE(md.set_note(t, {NoteTarget::Type::asset, boat}, "green"));
    REQUIRE(md.set_note(t, {NoteTarget::Type::project, benchy}, "green"));
    REQUIRE(md.create_tag(t, "green"));
  });
  auto benchy_name = postings(*lib.cat, Field::name, "benchy");
  REQUIRE(benchy_name.size() == 1);
  CHECK(benchy_name[0].item == project_key(benchy));
  CHECK(benchy_name[0].rank_len == 6);
  auto path = postings(*lib.cat, Field::path, "models");
  REQUIRE(path.size() == 1);
  CHECK(path[0].item == asset_key(boat));
  CHECK(path[0].rank_len == 8);  // "boat.stl"
  // Sorted by item key: the project before the asset.
  auto notes = postings(*lib.cat, Field::notes, "green");
  REQUIRE(notes.size() == 2);
  CHECK(notes[0].item == project_key(benchy));
  CHECK(notes[0].rank_len == 6);
  CHECK(notes[1].item == asset_key(boat));
  CHECK(notes[1].rank_len == 8);
  auto tag = postings(*lib.cat, Field::tag, "green");
  REQUIRE(tag.size() == 1);
  CHECK(tag[0].rank_len == 0);

  // A rename that keeps the words but not the length rewrites every
  // posting of the item, its note's too.
  stdfs::rename(lib.root / "Benchy/models/boat.stl", lib.root / "Benchy/models/boat..stl");
  lib.sync();
  CHECK(postings(*lib.cat, Field::name, "boat").at(0).rank_len == 9);
  CHECK(postings(*lib.cat, Field::path, "models").at(0).rank_len == 9);
  notes = postings(*lib.cat, Field::notes, "green");
  REQUIRE(notes.size() == 2);
  CHECK(notes[1].rank_len == 9);
}

TEST_CASE("after a rename, a move, a delete and a revival, old words find nothing and new ones find the file") {
  Library lib;
  // Large enough to be known by its content anywhere (reconcile.cpp).
  const std::string tug = lima::test::random_bytes(100 * 1024, 7);
  write_file(lib.root / "Benchy/models/tugboat.stl", tug);
  write_file(lib.root / "Benchy/readme.md", "read me");
  lib.sync();
  const auto id = *lib.asset_id_of("Benchy", "models/tugboat.stl");
  Metadata md(*lib.cat);
  lib.write([&](WriteTxn& t) { REQUIRE(md.set_note(t, {NoteTarget::Type::asset, id}, "sturdy hull")); });

  stdfs::rename(lib.root / "Benchy/models/tugboat.stl", lib.root / "Benchy/models/ferry.stl");
  lib.sync();
  CHECK(found(*lib.cat, Field::name, "tugboat").empty());
  CHECK(found(*lib.cat, Field::name, "ferry") == Names{"Benchy/models/ferry.stl"});
  CHECK(found(*lib.cat, Field::notes, "sturdy") == Names{"Benchy/models/ferry.stl"});

  stdfs::create_directories(lib.root / "Benchy/prints");
  stdfs::rename(lib.root / "Benchy/models/ferry.stl", lib.root / "Benchy/prints/ferry.stl");
  lib.sync();
  REQUIRE(lib.asset_id_of("Benchy", "prints/ferry.stl") == id);
  CHECK(found(*lib.cat, Field::path, "models").empty());
  CHECK(found(*lib.cat, Field::path, "prints") == Names{"Benchy/prints/ferry.stl"});
  CHECK(found(*lib.cat, Field::name, "ferry") == Names{"Benchy/prints/ferry.stl"});

  // Moved to another project: its folders are those inside the new one.
  write_file(lib.root / "Harbour/keep.txt", "keep");
  stdfs::create_directories(lib.root / "Harbour/boats");
  stdfs::rename(lib.root / "Benchy/prints/ferry.stl", lib.root / "Harbour/boats/ferry.stl");
  lib.sync();
  REQUIRE(lib.asset_id_of("Harbour", "boats/ferry.stl") == id);
  CHECK(found(*lib.cat, Field::path, "prints").empty());
  CHECK(found(*lib.cat, Field::path, "boats") == Names{"Harbour/boats/ferry.stl"});

  // Deleted: a tombstone has no words, not even its note's.
  stdfs::remove(lib.root / "Harbour/boats/ferry.stl");
  lib.sync();
  REQUIRE(lib.cat->asset(ReadTxn(lib.cat->env()), id)->state == ItemState::tombstone);
  CHECK(found(*lib.cat, Field::name, "ferry").empty());
  CHECK(found(*lib.cat, Field::path, "boats").empty());
  CHECK(found(*lib.cat, Field::notes, "sturdy").empty());
  // A note written on the tombstone is kept, and indexed when it comes back.
  lib.write([&](WriteTxn& t) { REQUIRE(md.set_note(t, {NoteTarget::Type::asset, id}, "sturdy keel")); });
  CHECK(found(*lib.cat, Field::notes, "keel").empty());

  // The same content again, under another name: revived.
  write_file(lib.root / "Benchy/old/tugboat copy.stl", tug);
  lib.sync();
  REQUIRE(lib.asset_id_of("Benchy", "old/tugboat copy.stl") == id);
  CHECK(found(*lib.cat, Field::name, "tugboat") == Names{"Benchy/old/tugboat copy.stl"});
  CHECK(found(*lib.cat, Field::path, "old") == Names{"Benchy/old/tugboat copy.stl"});
  CHECK(found(*lib.cat, Field::notes, "keel") == Names{"Benchy/old/tugboat copy.stl"});
  CHECK(found(*lib.cat, Field::notes, "hull").empty());
}

TEST_CASE("a project's words follow its renames, its removal and its return") {
  Library lib;
  write_file(lib.root / "Speed Boat/hull.stl", "solid hull\n");
  write_file(lib.root / "Other/keep.txt", "keep");  // an empty library would be offline
  lib.sync();
  const auto id = *lib.project_id_of("Speed Boat");
  Metadata md(*lib.cat);
  lib.write([&](WriteTxn& t) { REQUIRE(md.set_note(t, {NoteTarget::Type::project, id}, "blue paint")); });

  stdfs::rename(lib.root / "Speed Boat", lib.root / "Fast Boat");
  lib.sync();
  REQUIRE(lib.project_id_of("Fast Boat") == id);
  CHECK(found(*lib.cat, Field::name, "speed").empty());
  CHECK(found(*lib.cat, Field::name, "fast") == Names{"Fast Boat"});
  CHECK(found(*lib.cat, Field::name, "boat") == Names{"Fast Boat"});
  CHECK(found(*lib.cat, Field::notes, "paint") == Names{"Fast Boat"});
  CHECK(postings(*lib.cat, Field::notes, "paint").at(0).rank_len == 9);

  stdfs::rename(lib.root / "Fast Boat", lib.tmp / "away");
  lib.sync();
  CHECK(found(*lib.cat, Field::name, "boat").empty());
  CHECK(found(*lib.cat, Field::name, "hull").empty());
  CHECK(found(*lib.cat, Field::notes, "paint").empty());

  stdfs::rename(lib.tmp / "away", lib.root / "Fast Boat");
  lib.sync();
  REQUIRE(lib.project_id_of("Fast Boat") == id);
  CHECK(found(*lib.cat, Field::name, "boat") == Names{"Fast Boat"});
  CHECK(found(*lib.cat, Field::name, "hull") == Names{"Fast Boat/hull.stl"});
  CHECK(found(*lib.cat, Field::notes, "paint") == Names{"Fast Boat"});
}

TEST_CASE("note edits, tag renames, merges and deletes, collection renames and deletes change what words find") {
  Library lib;
  write_file(lib.root / "Benchy/boat.stl", "solid boat\n");
  lib.sync();
  const auto benchy = *lib.project_id_of("Benchy");
  Metadata md(*lib.cat);
  CollectionId col = 0;
  lib.write([&](WriteTxn& t) {
    REQUIRE(md.set_note(t, {NoteTarget::Type::project, benchy}, "red hull, white deck"));
    REQUIRE(md.tag_project(t, benchy, "Ocean Liner"));
    REQUIRE(md.tag_project(t, benchy, "river boat"));
    col = *md.create_collection(t, "Summer Prints");
  });
  lib.write([&](WriteTxn& t) { REQUIRE(md.set_note(t, {NoteTarget::Type::project, benchy}, "red hull, black deck")); });
  CHECK(found(*lib.cat, Field::notes, "white").empty());
  CHECK(found(*lib.cat, Field::notes, "black") == Names{"Benchy"});
  CHECK(found(*lib.cat, Field::notes, "hull") == Names{"Benchy"});
  lib.write([&](WriteTxn& t) { REQUIRE(md.set_note(t, {NoteTarget::Type::project, benchy}, "")); });
  CHECK(found(*lib.cat, Field::notes, "hull").empty());

  lib.write([&](WriteTxn& t) { REQUIRE(md.rename_tag(t, "Ocean Liner", "Ocean Cruiser")); });
  CHECK(found(*lib.cat, Field::tag, "liner").empty());
  CHECK(found(*lib.cat, Field::tag, "cruiser") == Names{"Ocean Cruiser"});
  CHECK(found(*lib.cat, Field::tag, "ocean") == Names{"Ocean Cruiser"});

  // Merging: the source's name goes, the target's stays.
  lib.write([&](WriteTxn& t) { REQUIRE(md.merge_tags(t, "river boat", "Ocean Cruiser")); });
  CHECK(found(*lib.cat, Field::tag, "river").empty());
  CHECK(found(*lib.cat, Field::tag, "cruiser") == Names{"Ocean Cruiser"});
  // Merging into a new name creates it.
  lib.write([&](WriteTxn& t) { REQUIRE(md.merge_tags(t, "Ocean Cruiser", "Sea Going")); });
  CHECK(found(*lib.cat, Field::tag, "ocean").empty());
  CHECK(found(*lib.cat, Field::tag, "sea") == Names{"Sea Going"});
  lib.write([&](WriteTxn& t) { REQUIRE(md.delete_tag(t, "Sea Going")); });
  CHECK(found(*lib.cat, Field::tag, "sea").empty());

  lib.write([&](WriteTxn& t) { REQUIRE(md.rename_collection(t, col, "Winter Prints")); });
  CHECK(found(*lib.cat, Field::collection, "summer").empty());
  CHECK(found(*lib.cat, Field::collection, "prints") == Names{"Winter Prints"});
  lib.write([&](WriteTxn& t) { REQUIRE(md.delete_collection(t, col)); });
  CHECK(found(*lib.cat, Field::collection, "prints").empty());
  CHECK(found(*lib.cat, Field::collection, "winter").empty());
}

TEST_CASE("a prefix finds every word that starts with it, in word order; an exact lookup one word") {
  Library lib;
  for (const char* f : {"benchy.stl", "bench.stl", "bend.stl", "ben.stl", "be.stl", "bf.stl", "abc.stl"})
    write_file(lib.root / "P" / f, f);
  lib.sync();
  ReadTxn t(lib.cat->env());
  std::vector<std::string> words;
  lib.cat->words().lookup(t, Field::name, "ben", true, [&](std::string_view w, std::span<const Posting> p) {
    CHECK(p.size() == 1);
    words.emplace_back(w);
    return true;
  });
  CHECK(words == std::vector<std::string>{"ben", "bench", "benchy", "bend"});
  // fn returning false stops the walk.
  words.clear();
  lib.cat->words().lookup(t, Field::name, "ben", true, [&](std::string_view w, std::span<const Posting>) {
    words.emplace_back(w);
    return words.size() < 2;
  });
  CHECK(words == std::vector<std::string>{"ben", "bench"});
  words.clear();
  lib.cat->words().lookup(t, Field::name, "ben", false, [&](std::string_view w, std::span<const Posting>) {
    words.emplace_back(w);
    return true;
  });
  CHECK(words == std::vector<std::string>{"ben"});
  words.clear();
  lib.cat->words().lookup(t, Field::name, "benc", false, [&](std::string_view w, std::span<const Posting>) {
    words.emplace_back(w);
    return true;
  });
  CHECK(words.empty());
  // Another field holds none of them.
  lib.cat->words().lookup(t, Field::path, "", true, [&](std::string_view w, std::span<const Posting>) {
    words.emplace_back(w);
    return true;
  });
  CHECK(words.empty());
}

TEST_CASE("a word held by 100,000 files hands back all their postings, in item order") {
  Library lib;
  std::vector<AssetChange> changes;
  for (AssetId id = 1; id <= 100000; ++id)
    changes.push_back({nullptr, Asset{.id = id, .project = 0, .path = "part " + std::to_string(id) + ".stl", .ino = id}});
  lib.write([&](WriteTxn& t) { lib.cat->put_assets(t, changes); });
  ReadTxn t(lib.cat->env());
  std::vector<std::string> words;
  std::vector<Posting> got;
  auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 2; ++round) {  // the second one reuses the buffer
    start = std::chrono::steady_clock::now();
    words.clear();
    lib.cat->words().lookup(t, Field::name, "par", true, [&](std::string_view w, std::span<const Posting> p) {
      words.emplace_back(w);
      got.assign(p.begin(), p.end());
      return true;
    });
  }
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(words == std::vector<std::string>{"part"});
  REQUIRE(got.size() == 100000);
  bool ordered = true;
  for (std::size_t i = 0; i < got.size(); ++i) {
    ordered = ordered && got[i].item == asset_key(i + 1);
    ordered = ordered && got[i].rank_len == ("part " + std::to_string(i + 1) + ".stl").size();
  }
  CHECK(ordered);
  const double us = std::chrono::duration<double, std::micro>(took).count();
  WARN("lookup of 100000 postings: " << us << " us");
}

TEST_CASE("a rebuild gives the same index as keeping it write by write, after any sequence of edits") {
  Library lib;
  Catalog& cat = *lib.cat;
  Metadata md(cat);
  std::mt19937 rng(GENERATE(1u, 2u, 3u, 4u, 5u));
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  const std::vector<std::string> pool{"boat", "Benchy", "3DBenchy", "hull", "gear", "GearBoxV2", "a",
                                      "deck", "x",      "Ölfass",   "part", "v2",   "boat_hull", "Z"};
  auto text = [&](std::size_t max_words, const char* sep) {
    std::string s;
    for (std::size_t i = 0, n = pick(max_words + 1); i < n; ++i) s += (i ? sep : "") + pool[pick(pool.size())];
    return s;
  };
  auto file_path = [&] {
    std::string s = text(2, "/");
    return (s.empty() ? "" : s + "/") + pool[pick(pool.size())] + (pick(3) ? ".stl" : "");
  };
  std::map<ProjectId, Project> projects;
  std::map<AssetId, Asset> assets;
  std::vector<std::string> tags;
  std::vector<CollectionId> collections;
  ProjectId next_project = 1;
  AssetId next_asset = 1;
  auto flip = [](ItemState s) { return s == ItemState::live ? ItemState::tombstone : ItemState::live; };

  for (int step = 0; step < 300; ++step) {
    cat.write([&](WriteTxn& t) {
      switch (pick(9)) {
        case 0: {  // a new project, or an existing one renamed, removed or revived
          if (projects.empty() || pick(3) == 0) {
            Project p{.id = next_project++, .name = text(3, " ") + "#" + std::to_string(next_project)};
            cat.put_project(t, p, nullptr);
            projects[p.id] = p;
          } else {
            auto it = std::next(projects.begin(), static_cast<long>(pick(projects.size())));
            Project now = it->second;
            if (pick(2)) now.name = text(3, " ") + "#" + std::to_string(now.id);
            else now.state = flip(now.state);
            cat.put_project(t, now, &it->second);
            it->second = now;
          }
          break;
        }
        case 1:
        case 2: {  // a batch of asset changes, as a sync writes them
          std::vector<AssetChange> batch;
          std::vector<Asset> befores;
          befores.reserve(8);
          std::set<AssetId> in_batch;
          for (std::size_t i = 0, n = 1 + pick(6); i < n; ++i) {
            const ProjectId p = projects.empty() || pick(4) == 0 ? kRootProject : 1 + pick(next_project - 1);
            if (assets.empty() || pick(3) == 0) {
              Asset a{.id = next_asset++, .project = p, .path = file_path()};
              batch.push_back({nullptr, a});
            } else {
              auto it = std::next(assets.begin(), static_cast<long>(pick(assets.size())));
              if (!in_batch.insert(it->first).second) continue;
              befores.push_back(it->second);
              Asset now = it->second;
              switch (pick(3)) {
                case 0: now.path = file_path(); break;
                case 1: now.project = p; break;
                default: now.state = flip(now.state);
              }
              batch.push_back({&befores.back(), now});
            }
          }
          cat.put_assets(t, batch);
          for (const auto& c : batch) assets[c.after.id] = c.after;
          break;
        }
        case 3:
        case 4: {  // a note on any item, live or not
          const bool on_asset = !assets.empty() && (projects.empty() || pick(2));
          if (!on_asset && projects.empty()) break;
          NoteTarget target{on_asset ? NoteTarget::Type::asset : NoteTarget::Type::project,
                            on_asset ? std::next(assets.begin(), static_cast<long>(pick(assets.size())))->first
                                     : std::next(projects.begin(), static_cast<long>(pick(projects.size())))->first};
          REQUIRE(md.set_note(t, target, text(4, " ")));
          break;
        }
        case 5: {  // tags made, renamed, merged, deleted
          const std::string name = text(2, " ") + "-" + std::to_string(step);
          if (tags.empty() || pick(3) == 0) {
            REQUIRE(md.create_tag(t, name));
            tags.push_back(name);
            break;
          }
          const std::size_t i = pick(tags.size());
          switch (pick(3)) {
            case 0: REQUIRE(md.rename_tag(t, tags[i], name)); tags[i] = name; break;
            case 1: {
              const std::size_t j = pick(tags.size());
              if (i == j) break;
              REQUIRE(md.merge_tags(t, tags[i], tags[j]));
              tags.erase(tags.begin() + static_cast<long>(i));
              break;
            }
            default: REQUIRE(md.delete_tag(t, tags[i])); tags.erase(tags.begin() + static_cast<long>(i));
          }
          break;
        }
        case 6: {  // collections made, renamed, deleted
          const std::string name = text(2, " ") + "-" + std::to_string(step);
          if (collections.empty() || pick(3) == 0) {
            collections.push_back(*md.create_collection(t, name));
          } else if (pick(2)) {
            REQUIRE(md.rename_collection(t, collections[pick(collections.size())], name));
          } else {
            const std::size_t i = pick(collections.size());
            REQUIRE(md.delete_collection(t, collections[i]));
            collections.erase(collections.begin() + static_cast<long>(i));
          }
          break;
        }
        default: {  // one asset through put_asset
          if (assets.empty()) break;
          auto it = std::next(assets.begin(), static_cast<long>(pick(assets.size())));
          Asset now = it->second;
          now.path = file_path();
          cat.put_asset(t, now, &it->second);
          it->second = now;
        }
      }
    });
  }
  Dump kept, rebuilt;
  {
    ReadTxn t(cat.env());
    kept = dump(cat, t);
  }
  REQUIRE(kept.size() > 100);
  // Rebuilt inside a transaction that is then thrown away.
  {
    WriteTxn t(cat.env());
    cat.words().rebuild(t);
    rebuilt = dump(cat, t);
  }
  CHECK(kept.size() == rebuilt.size());
  CHECK(kept == rebuilt);
}

TEST_CASE("LIMA_BENCH_SKIP_WORD_INDEX leaves the index alone and marks it stale; the next open rebuilds it") {
  Library lib;
  write_file(lib.root / "Benchy/boat.stl", "solid boat\n");
  lib.sync();
  ::setenv("LIMA_BENCH_SKIP_WORD_INDEX", "1", 1);
  struct Unset {
    ~Unset() { ::unsetenv("LIMA_BENCH_SKIP_WORD_INDEX"); }
  } unset;
  lib.open();
  {
    ReadTxn t(lib.cat->env());
    CHECK_FALSE(t.get(lib.cat->db().meta, schema::kMetaWordsStale));
  }
  write_file(lib.root / "Benchy/ferry.stl", "solid ferry\n");
  stdfs::remove(lib.root / "Benchy/boat.stl");
  lib.sync();
  Metadata md(*lib.cat);
  lib.write([&](WriteTxn& t) { REQUIRE(md.create_tag(t, "harbour")); });
  {
    ReadTxn t(lib.cat->env());
    CHECK(t.get(lib.cat->db().meta, schema::kMetaWordsStale));
  }
  // Skipped: the index still holds what it held.
  CHECK(found(*lib.cat, Field::name, "ferry").empty());
  CHECK(found(*lib.cat, Field::name, "boat") == Names{"Benchy/boat.stl"});
  CHECK(found(*lib.cat, Field::tag, "harbour").empty());

  ::unsetenv("LIMA_BENCH_SKIP_WORD_INDEX");
  lib.open();
  {
    ReadTxn t(lib.cat->env());
    CHECK_FALSE(t.get(lib.cat->db().meta, schema::kMetaWordsStale));
  }
  CHECK(found(*lib.cat, Field::name, "ferry") == Names{"Benchy/ferry.stl"});
  CHECK(found(*lib.cat, Field::name, "boat").empty());
  CHECK(found(*lib.cat, Field::tag, "harbour") == Names{"harbour"});
}
