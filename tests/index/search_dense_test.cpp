// Search on a library of several thousand items whose names share few
// words, so that most queries have big groups of equal score and name
// length: every page of the dense engine (run_dense) equals the page of
// the merging engine (run_merged), for words, prefixes, AND, OR, NOT, phrases, fields, types,
// scopes, a project, a caller's filter, page sizes and cursors; totals
// equal a brute-force count; and pages that end inside a group, or resume
// in a lower tier, go on where they stopped.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "index/kinds.h"
#include "index/match_sets.h"
#include "index/metadata.h"
#include "index/search.h"
#include "index/words.h"
#include "support/indexed_library.h"

using namespace lima::index;

namespace {

using Fixture = lima::test::IndexedLibrary;

const std::vector<std::string> kWords = {"bracket", "body", "base", "gear", "gearbox", "cover", "plate",
                                         "Benchy",  "arm",  "BaseV2", "models", "print", "b"};
const std::vector<std::string> kFolders = {"models", "images", "parts/body", "print files", "gear"};
const std::vector<std::string> kExts = {".stl", ".3mf", ".png", ".step", ""};
const std::vector<std::string> kTags = {"pla", "petg", "gear box", "body"};

struct Item {
  ItemKey key = 0;
  std::vector<std::string> texts;  // name, tags, folders, note
  bool live = true;
  ProjectId project = 0;           // an asset's project
};

// A library of ~60 projects and ~4000 files.
struct BigLibrary {
  Fixture fx;
  std::vector<Item> items;
  std::vector<ProjectId> project_ids;

  BigLibrary() {
    std::mt19937 rng(42);
    auto pick = [&](const auto& v) -> const auto& { return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)]; };
    auto chance = [&](int percent) { return std::uniform_int_distribution<int>(0, 99)(rng) < percent; };
    Catalog& cat = *fx.cat;
    Metadata md(cat);
    std::uint64_t ino = 1;
    AssetId next_asset = 1;
    cat.write([&](WriteTxn& t) {
      auto favourites = md.create_collection(t, "Favourite gears");
      REQUIRE(favourites);
      for (ProjectId id = 2; id < 62; ++id) {
        const std::string name = pick(kWords) + " " + pick(kWords) + " " + std::to_string(id);
        Project p{.id = id, .name = name, .dev = 1, .ino = ino++};
        cat.put_project(t, p, nullptr);
        project_ids.push_back(id);
        Item pi{project_key(id), {name}, true, 0};
        if (chance(30)) {
          const auto& tag = pick(kTags);
          REQUIRE(md.tag_project(t, id, tag));
          pi.texts.push_back(tag);
        }
        if (chance(20)) REQUIRE(md.add_to_collection(t, *favourites, id));
        std::set<std::string> paths;
        for (int f = 0; f < 70; ++f) {
          std::string file = pick(kWords);
          if (chance(60)) file += (chance(50) ? "_" : " ") + pick(kWords);
          file += pick(kExts);
          const std::string folder = chance(50) ? pick(kFolders) : "";
          const std::string path = folder.empty() ? file : folder + "/" + file;
          if (!paths.insert(path).second) continue;
          const AssetId aid = next_asset++;
          Asset a{.id = aid, .project = id, .path = path, .dev = 1, .ino = ino++, .size = 10, .kind = kind_of(file)};
          cat.put_asset(t, a, nullptr);
          Item ai{asset_key(aid), {file}, true, id};
          if (!folder.empty()) ai.texts.push_back(folder);
          if (chance(10)) {
            const auto& tag = pick(kTags);
            REQUIRE(md.tag_asset(t, aid, tag));
            ai.texts.push_back(tag);
          }
          if (chance(5)) {
            const std::string note = pick(kWords) + " " + pick(kWords);
            REQUIRE(md.set_note(t, {NoteTarget::Type::asset, aid}, note));
            ai.texts.push_back(note);
          }
          if (chance(8)) {  // gone: its tags stay, its words go
            auto gone = a;
            gone.state = ItemState::tombstone;
            cat.put_asset(t, gone, &a);
            ai.live = false;
          }
          items.push_back(std::move(ai));
        }
        items.push_back(std::move(pi));
      }
    });
  }

  // Live items where each word starts a word of a text.
  std::size_t brute_force(const std::vector<std::string>& words) const {
    std::size_t n = 0;
    for (const auto& it : items) {
      if (!it.live) continue;
      std::vector<std::string> tokens;
      for (const auto& text : it.texts)
        for (const auto& tok : tokenize(text)) tokens.push_back(tok.word);
      n += std::all_of(words.begin(), words.end(), [&](const std::string& w) {
        return std::any_of(tokens.begin(), tokens.end(), [&](const std::string& tok) { return tok.starts_with(w); });
      });
    }
    return n;
  }
};

std::string describe(const SearchPage& p) {
  std::string out = "total " + std::to_string(p.total) + (p.next ? " more:" : ":");
  for (const auto& h : p.hits)
    out += " [" + std::to_string(h.item) + " " + std::to_string(h.score) + " " + std::to_string(h.fields) + " " +
           h.name + "]";
  return out;
}

// Walks up to `max_pages` pages of both engines and checks they are the
// same; returns the hits of run_dense().
std::vector<SearchHit> same_pages(Catalog& cat, const Txn& t, const Search& s, SearchRequest r, int max_pages) {
  std::vector<SearchHit> hits;
  for (int page = 0; page < max_pages; ++page) {
    const auto dense = s.run_dense(t, r);
    const auto merged = s.run_merged(t, r);
    REQUIRE(dense);
    REQUIRE(merged);
    INFO("page " << page << " after " << r.after.size() << " bytes");
    REQUIRE(describe(*dense) == describe(*merged));
    CHECK(dense->next == merged->next);
    hits.insert(hits.end(), dense->hits.begin(), dense->hits.end());
    if (!dense->next) break;
    r.after = *dense->next;
  }
  (void)cat;
  return hits;
}

Query parsed(const std::string& q) {
  auto parsed = parse_query(q, 0);
  INFO("query: " << q);
  REQUIRE(parsed);
  return std::move(*parsed);
}

}  // namespace

TEST_CASE("on thousands of items, every page equals the merging engine's, for every kind of query", "[search][dense]") {
  BigLibrary lib;
  Catalog& cat = *lib.fx.cat;
  ReadTxn t(cat.env());
  const std::vector<std::string> queries = {
      "b", "g", "bracket", "body", "models", "stl", "bracket body", "\"bracket body\"", "\"body base\"",
      "gear -body", "bracket or gear", "tag:pla", "tag:pla bracket", "tag:\"gear box\"", "type:model",
      "type:model bracket", "ext:stl -tag:pla", "collection:favourite", "project:gear", "name:gear",
      "path:models", "notes:gear", "bracket has:tags", "(gear or cover) -tag:pla", "b -bracket", "models stl",
      "g p", "base-v2", "benchy.stl", "gear -(body or arm)", "zzz", "b or zzz", "-gear b",
      // Scores past 62 (six prefixes in the notes are 78), and past what a
      // dense set holds (20 words).
      "b b b b b b", "b b b b b b b b b b b b b b b b b b b b"};
  int nonempty = 0;
  for (const auto& q : queries) {
    INFO("query: " << q);
    const Search s(cat, parsed(q));
    for (const Scope scope : {Scope::all, Scope::projects, Scope::assets}) {
      INFO("scope " << static_cast<int>(scope));
      SearchRequest r;
      r.scope = scope;
      r.limit = 0;
      const auto whole = same_pages(cat, t, s, r, 1);
      if (!whole.empty()) ++nonempty;
      for (const std::size_t limit : {1u, 7u, 50u}) {
        INFO("limit " << limit);
        r.limit = limit;
        const auto paged = same_pages(cat, t, s, r, limit == 1 ? 25 : 40);
        // Pages join into the whole answer, in order.
        REQUIRE(paged.size() <= whole.size());
        for (std::size_t k = 0; k < paged.size(); ++k) CHECK(paged[k].item == whole[k].item);
      }
    }
    // One project's files, and a filter of the caller's.
    SearchRequest r;
    r.limit = 9;
    r.project = lib.project_ids[3];
    same_pages(cat, t, s, r, 40);
    r.project = 0;
    r.keep = [](ItemKey k) { return id_of(k) % 3 != 0; };
    same_pages(cat, t, s, r, 40);
  }
  CHECK(nonempty >= 60);
}

TEST_CASE("on thousands of items, the total is what a scan of every item counts", "[search][dense]") {
  BigLibrary lib;
  Catalog& cat = *lib.fx.cat;
  ReadTxn t(cat.env());
  for (const std::vector<std::string>& words : std::vector<std::vector<std::string>>{
           {"b"}, {"bracket"}, {"body"}, {"models", "stl"}, {"g", "p"}, {"gear", "box"}, {"a"}, {"zzz"}}) {
    std::string q;
    for (const auto& w : words) q += (q.empty() ? "" : " ") + w;
    INFO("query: " << q);
    SearchRequest r;
    r.limit = 5;
    const Search s(cat, parsed(q));
    for (const auto& page : {s.run(t, r), s.run_dense(t, r), s.run_merged(t, r)}) {
      REQUIRE(page);
      CHECK(page->total == lib.brute_force(words));
      CHECK(page->hits.size() == std::min<std::size_t>(5, page->total));
    }
  }
  SearchRequest r;
  r.limit = 1;
  auto page = search(cat, t, "b", r);
  REQUIRE(page);
  CHECK(page->total > 1000);  // the property is checked on big answers
}

TEST_CASE("a page that ends inside a group goes on in it, then in the next tier", "[search][dense]") {
  Fixture fx;
  Catalog& cat = *fx.cat;
  cat.write([&](WriteTxn& t) {
    cat.put_project(t, Project{.id = 2, .name = "Box", .dev = 1, .ino = 1}, nullptr);
    // Five names "gear.stl" (score 0, length 8): ranked by id; then
    // "gear_x.stl" (score 0, length 10); then a folder (score 4); then a
    // prefix in the name (score 8).
    for (AssetId id = 1; id <= 5; ++id)
      cat.put_asset(t, Asset{.id = id, .project = 2, .path = "p" + std::to_string(id) + "/gear.stl", .dev = 1,
                             .ino = 10 + id, .kind = Kind::model}, nullptr);
    cat.put_asset(t, Asset{.id = 6, .project = 2, .path = "gear_b.stl", .dev = 1, .ino = 20, .kind = Kind::model}, nullptr);
    cat.put_asset(t, Asset{.id = 7, .project = 2, .path = "gear_a.stl", .dev = 1, .ino = 21, .kind = Kind::model}, nullptr);
    cat.put_asset(t, Asset{.id = 8, .project = 2, .path = "gear/cog.stl", .dev = 1, .ino = 22, .kind = Kind::model}, nullptr);
    cat.put_asset(t, Asset{.id = 9, .project = 2, .path = "gearbox.stl", .dev = 1, .ino = 23, .kind = Kind::model}, nullptr);
  });
  ReadTxn t(cat.env());
  const std::vector<ItemKey> order = {asset_key(1), asset_key(2), asset_key(3), asset_key(4), asset_key(5),
                                      asset_key(7), asset_key(6), asset_key(8), asset_key(9)};
  const Search s(cat, parsed("gear"));
  for (int engine = 0; engine < 2; ++engine)
  for (std::size_t size = 1; size <= order.size() + 1; ++size) {
    INFO("page size " << size << (engine == 0 ? " dense" : " merged"));
    std::vector<ItemKey> got;
    std::vector<std::uint32_t> scores;
    SearchRequest r;
    r.limit = size;
    for (int pages = 0; pages < 20; ++pages) {
      auto page = engine == 0 ? s.run_dense(t, r) : s.run_merged(t, r);
      REQUIRE(page);
      CHECK(page->total == order.size());
      for (const auto& h : page->hits) {
        got.push_back(h.item);
        scores.push_back(h.score);
      }
      if (!page->next) break;
      r.after = *page->next;
    }
    CHECK(got == order);
    CHECK(scores == std::vector<std::uint32_t>{0, 0, 0, 0, 0, 0, 0, 4, 8});
  }
}

TEST_CASE("a phrase in ASCII text is found as cutting the text into tokens finds it", "[search][dense]") {
  // The reference: every token of the text, adjacent ones chained.
  const auto reference = holds_phrase_in_tokens;
  const std::vector<std::string> parts = {"bracket", "Body", "body", "v2", "V2", "2", "BaseXL", "xl", "base", "IMG",
                                          "3D", "benchy", "gear", "Box", "box", "_", ".", " ", "-", "stl"};
  const std::vector<std::string> word_pool = {"bracket", "body", "v", "2", "v2", "base", "xl", "basexl", "img",
                                              "3d", "3", "d", "benchy", "gear", "box", "gearbox", "b", "stl"};
  std::mt19937 rng(7);
  auto pick = [&](const auto& v) -> const auto& { return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)]; };
  int found = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    for (int k = std::uniform_int_distribution<int>(1, 7)(rng); k > 0; --k) text += pick(parts);
    std::vector<std::string> words;
    for (int k = std::uniform_int_distribution<int>(1, 3)(rng); k > 0; --k) words.push_back(pick(word_pool));
    const bool last_prefix = i % 2 == 0;
    INFO("text '" << text << "' words " << words.size() << " first '" << words[0] << "' prefix " << last_prefix);
    const bool want = reference(text, words, last_prefix);
    REQUIRE(holds_phrase(text, words, last_prefix) == want);
    found += want;
  }
  CHECK(found > 1000);
}

TEST_CASE("searches on several threads at once give the pages one thread gives", "[search][dense]") {
  BigLibrary lib;
  Catalog& cat = *lib.fx.cat;
  const std::vector<std::string> queries = {"b", "bracket body", "gear -body", "\"body base\"", "models stl"};
  std::vector<std::string> want;
  {
    ReadTxn t(cat.env());
    for (const auto& q : queries) {
      SearchRequest r;
      r.limit = 20;
      auto page = Search(cat, parsed(q)).run_dense(t, r);
      REQUIRE(page);
      want.push_back(describe(*page));
    }
  }
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&, k] {
      ReadTxn t(cat.env());
      for (int round = 0; round < 20; ++round)
        for (std::size_t i = 0; i < queries.size(); ++i) {
          SearchRequest r;
          r.limit = 20;
          auto q = parse_query(queries[i], 0);
          auto page = Search(cat, std::move(*q)).run_dense(t, r);
          if (!page || describe(*page) != want[i]) ++wrong[static_cast<std::size_t>(k)];
        }
    });
  for (auto& th : threads) th.join();
  CHECK(wrong == std::vector<int>(4, 0));
}
