// Picture failures: what the picture maker records per content, and the
// problems the report shows for them (one per live file with that content).
#include <catch2/catch.hpp>

#include <algorithm>
#include <tuple>

#include "index/hasher.h"
#include "index/picture_failures.h"
#include "index/problems.h"
#include "index/sync.h"
#include "support/indexed_library.h"
#include "test_support.h"

using namespace lima::index;
using lima::test::random_bytes;
using lima::test::write_file;
namespace stdfs = std::filesystem;

namespace {

struct Lib : lima::test::IndexedLibrary {
  Run sync() { return sync_with({}); }
  ContentHash hash_of(const std::string& rel) { return *hash_path(root / rel); }
  void record(const std::string& rel, PictureFailureKind kind, const std::string& reason, std::uint32_t version = 1) {
    cat->write([&](WriteTxn& t) { record_picture_failure(*cat, t, {hash_of(rel), version, kind, reason}); });
  }
  std::vector<Problem> report() {
    ReadTxn t(cat->env());
    return library_problems(*cat, t);
  }
  std::size_t rows() {
    ReadTxn t(cat->env());
    return t.count(cat->db().picture_failures);
  }
};

using Row = std::tuple<std::string, std::string, std::string>;  // path, kind, detail

std::vector<Row> picture_rows(const std::vector<Problem>& ps) {
  std::vector<Row> out;
  for (const auto& p : ps)
    if (p.kind == ProblemKind::undecodable_image || p.kind == ProblemKind::unparsable_model ||
        p.kind == ProblemKind::picture_over_cap)
      out.emplace_back(p.path, std::string(to_string(p.kind)), p.detail);
  return out;
}

}  // namespace

TEST_CASE("picture failures: the three problem kinds have stable names and are notices") {
  CHECK(to_string(ProblemKind::undecodable_image) == "undecodable_image");
  CHECK(to_string(ProblemKind::unparsable_model) == "unparsable_model");
  CHECK(to_string(ProblemKind::picture_over_cap) == "picture_over_cap");
  for (auto k : {ProblemKind::undecodable_image, ProblemKind::unparsable_model, ProblemKind::picture_over_cap}) {
    CHECK(parse_problem_kind(to_string(k)) == k);
    CHECK_FALSE(is_error(k));
  }
  CHECK(problem_kind_of(PictureFailureKind::over_cap) == ProblemKind::picture_over_cap);
  CHECK_FALSE(problem_kind_of(PictureFailureKind::no_picture));
}

TEST_CASE("picture failures: recorded, looked up, replaced and forgotten per content") {
  Lib lib;
  write_file(lib.root / "P/broken.png", "not a png");
  lib.sync();
  const ContentHash h = lib.hash_of("P/broken.png");
  {
    ReadTxn t(lib.cat->env());
    CHECK_FALSE(picture_failure(*lib.cat, t, h));
  }
  lib.record("P/broken.png", PictureFailureKind::undecodable_image, "not a PNG file: bad signature", 3);
  {
    ReadTxn t(lib.cat->env());
    auto f = picture_failure(*lib.cat, t, h);
    REQUIRE(f);
    CHECK(f->hash == h);
    CHECK(f->picture_version == 3);
    CHECK(f->kind == PictureFailureKind::undecodable_image);
    CHECK(f->reason == "not a PNG file: bad signature");
  }
  lib.record("P/broken.png", PictureFailureKind::over_cap, "larger than 256 MiB", 4);
  {
    ReadTxn t(lib.cat->env());
    CHECK(picture_failure(*lib.cat, t, h)->kind == PictureFailureKind::over_cap);
    CHECK(t.count(lib.cat->db().picture_failures) == 1);
  }
  bool forgotten = false, again = true;
  lib.cat->write([&](WriteTxn& t) {
    forgotten = forget_picture_failure(*lib.cat, t, h);
    again = forget_picture_failure(*lib.cat, t, h);
  });
  CHECK(forgotten);
  CHECK_FALSE(again);
  ReadTxn t(lib.cat->env());
  CHECK_FALSE(picture_failure(*lib.cat, t, h));
}

TEST_CASE("picture failures: one problem per live file with the content, its reason as detail") {
  Lib lib;
  const std::string mesh = "solid broken\nfacet normal oops\n";
  write_file(lib.root / "A/broken.png", "not a png");
  write_file(lib.root / "A/model.stl", mesh);
  write_file(lib.root / "B/same model.stl", mesh);  // the same bytes elsewhere
  write_file(lib.root / "B/huge.png", random_bytes(5000, 1));
  write_file(lib.root / "B/plain.png", random_bytes(100, 2));
  write_file(lib.root / "loose.stl", mesh);
  lib.sync();
  lib.record("A/broken.png", PictureFailureKind::undecodable_image, "not a PNG file: bad signature");
  lib.record("A/model.stl", PictureFailureKind::unparsable_model, "STL: facet 1 has no vertices");
  lib.record("B/huge.png", PictureFailureKind::over_cap, "300000000 pixels: over the cap of 200000000");
  lib.record("B/plain.png", PictureFailureKind::no_picture, "nothing to show");

  CHECK(picture_rows(lib.report()) ==
        std::vector<Row>{{"A/broken.png", "undecodable_image", "not a PNG file: bad signature"},
                         {"A/model.stl", "unparsable_model", "STL: facet 1 has no vertices"},
                         {"B/huge.png", "picture_over_cap", "300000000 pixels: over the cap of 200000000"},
                         {"B/same model.stl", "unparsable_model", "STL: facet 1 has no vertices"},
                         {"loose.stl", "unparsable_model", "STL: facet 1 has no vertices"}});
  const auto counts = count_by_kind(lib.report());
  CHECK(std::find(counts.begin(), counts.end(), std::pair{ProblemKind::unparsable_model, std::size_t{3}}) !=
        counts.end());

  // A file gone (a tombstone) or changed is no longer reported; the row stays
  // until a cleanup finds no live file with its content.
  stdfs::remove(lib.root / "A/broken.png");
  write_file(lib.root / "B/huge.png", random_bytes(10, 3));
  lib.sync();
  CHECK(picture_rows(lib.report()) ==
        std::vector<Row>{{"A/model.stl", "unparsable_model", "STL: facet 1 has no vertices"},
                         {"B/same model.stl", "unparsable_model", "STL: facet 1 has no vertices"},
                         {"loose.stl", "unparsable_model", "STL: facet 1 has no vertices"}});
  CHECK(lib.rows() == 4);
}

TEST_CASE("picture failures: a cleanup drops the rows no live file has, a bounded batch at a time") {
  Lib lib;
  for (int i = 0; i < 5; ++i) write_file(lib.root / ("P/f" + std::to_string(i) + ".png"), random_bytes(50, 10 + i));
  lib.sync();
  for (int i = 0; i < 5; ++i)
    lib.record("P/f" + std::to_string(i) + ".png", PictureFailureKind::undecodable_image, "bad");
  for (int i : {0, 2, 3}) stdfs::remove(lib.root / ("P/f" + std::to_string(i) + ".png"));
  lib.sync();
  REQUIRE(lib.rows() == 5);

  std::optional<ContentHash> from;
  std::size_t removed = 0, calls = 0;
  do {
    FailureCleanup step;
    lib.cat->write([&](WriteTxn& t) { step = drop_orphan_picture_failures(*lib.cat, t, from, 2); });
    CHECK(step.visited <= 2);
    removed += step.removed;
    from = step.next;
    ++calls;
  } while (from && calls < 10);
  CHECK(calls == 3);  // 5 rows, 2 per batch
  CHECK(removed == 3);
  CHECK(lib.rows() == 2);
  ReadTxn t(lib.cat->env());
  CHECK(picture_failure(*lib.cat, t, lib.hash_of("P/f1.png")));
  CHECK(picture_failure(*lib.cat, t, lib.hash_of("P/f4.png")));
}
