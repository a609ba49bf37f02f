// The picture worker and its store on real files: what a client asks for
// comes first, a failure is tried once per content, a restart redoes
// nothing, the store keeps only what live files need.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "support/test_files.h"
#include "test_support.h"
#include "thumbs/picture_store.h"
#include "thumbs/picture_worker.h"

using namespace lima::thumbs;
using lima::test::TempDir;
using lima::test::write_file;
using namespace std::chrono_literals;
namespace stdfs = std::filesystem;

namespace {

std::string hash_of(int n) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%032x", n);
  return buf;
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 30s) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

std::unique_ptr<PictureWorker> start(const stdfs::path& store, int workers, PictureWorker::Hooks hooks = {}) {
  PictureWorkerOptions o;
  o.store = store;
  o.workers = workers;
  auto w = PictureWorker::start(o, std::move(hooks));
  REQUIRE(w);
  return std::move(*w);
}

}  // namespace

TEST_CASE("a picture asked for is made, kept and found again after a restart", "[thumbs][worker]") {
  TempDir tmp;
  write_file(tmp / "box.stl", lima::test::binary_stl_box(20, 10, 5));
  const PictureJob job{hash_of(1), tmp / "box.stl", 256};
  {
    auto w = start(tmp / "pictures", 1);
    CHECK(w->request(job).status == PictureWorker::Status::pending);
    REQUIRE(eventually([&] { return w->request(job).status == PictureWorker::Status::ready; }));
    auto a = w->request(job);
    CHECK(a.file.string().find((tmp / "pictures").string()) == 0);
    CHECK(stdfs::file_size(a.file) > 100);
    CHECK(w->stats().made == 1);
  }
  auto w = start(tmp / "pictures", 1);
  CHECK(w->request(job).status == PictureWorker::Status::ready);
  CHECK(w->stats().made == 0);
  // The library holds only what was there.
  CHECK(std::distance(stdfs::directory_iterator(tmp.path()), stdfs::directory_iterator()) == 2);
}

TEST_CASE("a file that gives no picture is tried once, and the reason is kept", "[thumbs][worker]") {
  TempDir tmp;
  write_file(tmp / "photo.png", "not a picture at all\n");
  const PictureJob job{hash_of(2), tmp / "photo.png", 256};
  int failures = 0;
  PictureWorker::Hooks hooks;
  hooks.failed = [&](const PictureJob& j, const Failure& f) {
    CHECK(j.hash == job.hash);
    CHECK(f.kind == FailureKind::undecodable_image);
    ++failures;
  };
  {
    auto w = start(tmp / "pictures", 2, hooks);
    w->request(job);
    REQUIRE(eventually([&] { return w->request(job).status == PictureWorker::Status::failed; }));
    auto a = w->request(job);
    CHECK(a.failure.kind == FailureKind::undecodable_image);
    CHECK_FALSE(a.failure.reason.empty());
    w->enqueue(job);
    w->enqueue(job);
    std::this_thread::sleep_for(100ms);
    CHECK(w->stats().failed == 1);
  }
  CHECK(failures == 1);
  auto w = start(tmp / "pictures", 1, hooks);
  CHECK(w->request(job).status == PictureWorker::Status::failed);
  CHECK(failures == 1);
}

TEST_CASE("what a client asks for is made before what waits in the background", "[thumbs][worker]") {
  TempDir tmp;
  const auto big = lima::test::png_bytes(1600, 1200, [](int x, int y) { return static_cast<std::uint32_t>(x * 7 + y * 13); });
  for (int i = 0; i < 40; ++i) write_file(tmp / ("img" + std::to_string(i) + ".png"), big);
  write_file(tmp / "wanted.stl", lima::test::binary_stl_box(5, 5, 5));
  auto w = start(tmp / "pictures", 1);
  for (int i = 0; i < 40; ++i) w->enqueue({hash_of(100 + i), tmp / ("img" + std::to_string(i) + ".png"), 256});
  const PictureJob wanted{hash_of(99), tmp / "wanted.stl", 256};
  w->request(wanted);
  REQUIRE(eventually([&] { return w->request(wanted).status == PictureWorker::Status::ready; }));
  // At most the one being made when it was asked for, and itself.
  CHECK(w->stats().made <= 3);
  CHECK(w->stats().queued >= 30);
}

TEST_CASE("the worker asks for more work a batch at a time and never holds the library", "[thumbs][worker]") {
  TempDir tmp;
  write_file(tmp / "box.stl", lima::test::binary_stl_box(1, 2, 3));
  std::atomic<int> asked{0}, handed{0};
  std::size_t largest_ask = 0;
  PictureWorker::Hooks hooks;
  hooks.more = [&](std::size_t max, PictureStore&) {
    ++asked;
    largest_ask = std::max(largest_ask, max);
    std::vector<PictureJob> jobs;
    // 1,000 files in all, handed out as asked.
    while (jobs.size() < max && handed < 1000) jobs.push_back({hash_of(1000 + handed++), tmp / "box.stl", 256});
    return jobs;
  };
  auto w = start(tmp / "pictures", 2, hooks);
  REQUIRE(eventually([&] { return w->stats().made == 1000; }, 120s));
  CHECK(largest_ask <= 1000);
  CHECK(asked >= 1000 / static_cast<int>(largest_ask));
  CHECK(w->stats().queued == 0);
  // Poked after saying "nothing", it asks again.
  const int before = asked;
  w->poke();
  REQUIRE(eventually([&] { return asked > before; }));
}

TEST_CASE("the store keeps what live files need and removes the rest and old versions", "[thumbs][store]") {
  TempDir tmp;
  PictureStore store(tmp / "pictures");
  Picture p{"webp bytes", Format::webp, 10, 10};
  REQUIRE(store.put(hash_of(1), 256, p));
  REQUIRE(store.put(hash_of(2), 256, p));
  REQUIRE(store.put(hash_of(2), 512, p));
  REQUIRE(store.put_failure(hash_of(3), {FailureKind::over_cap, "30000 x 30000 pixels is over the cap"}));
  write_file(tmp / "pictures/v0/ab/old-256.webp", "old");
  CHECK_FALSE(store.put("../../etc/passwd", 256, p));
  CHECK(store.failure(hash_of(3))->reason == "30000 x 30000 pixels is over the cap");
  std::atomic<bool> stop{false};
  auto c = store.collect([&](std::string_view h) { return h == hash_of(2); }, stop);
  CHECK(c.kept == 2);
  CHECK(c.removed >= 3);
  CHECK_FALSE(store.find(hash_of(1), 256));
  CHECK(store.find(hash_of(2), 256));
  CHECK(store.find(hash_of(2), 512));
  CHECK_FALSE(store.failure(hash_of(3)));
  CHECK_FALSE(stdfs::exists(tmp / "pictures/v0"));
}
