// The sync coordinator on a real library and index: one run at a time
// whoever asks, a second request while one runs, cancelling a running run,
// and what it tells of the runs it made.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include "index/runs.h"
#include "index/sync_coordinator.h"
#include "support/indexed_library.h"
#include "test_support.h"

using namespace lima::index;
using lima::test::write_file;
using namespace std::chrono_literals;
namespace stdfs = std::filesystem;

namespace {

/// Two projects of one file each, not yet indexed.
struct Library : lima::test::IndexedLibrary {
  Library() {
    write_file(root / "Benchy/3DBenchy.stl", lima::test::random_bytes(3000, 1));
    write_file(root / "Dragon/dragon.stl", lima::test::random_bytes(5000, 3));
  }
  /// A sparse file of 1 GiB: a verify run takes a while to read it (and
  /// notices a cancel between two of its reads).
  void add_big_file() {
    { std::ofstream big(root / "Benchy/big.bin"); }
    stdfs::resize_file(root / "Benchy/big.bin", std::uintmax_t{1} << 30);
  }
  std::optional<Run> recorded(RunId id) {
    ReadTxn t(cat->env());
    return RunLog(*cat).get(t, id);
  }
};

/// Holds every run at its start (where it asks for the files being
/// written) until released.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int entered = 0;

  std::vector<std::string> pass() {
    std::unique_lock l(mu);
    ++entered;
    cv.notify_all();
    cv.wait(l, [&] { return open; });
    return {};
  }
  bool wait_entered(int n) {
    std::unique_lock l(mu);
    return cv.wait_for(l, 5s, [&] { return entered >= n; });
  }
  int count() {
    std::lock_guard l(mu);
    return entered;
  }
  void release() {
    std::lock_guard l(mu);
    open = true;
    cv.notify_all();
  }
};

/// Waits until the coordinator has let go of its background run.
void wait_idle(SyncCoordinator& syncs) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (syncs.running() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  syncs.wait_idle();
}

}  // namespace

TEST_CASE("syncs asked for at once run one after the other", "[sync_coordinator]") {
  Library lib;
  SyncCoordinator syncs(*lib.cat, {lib.root, {}, false});
  Gate gate;
  syncs.set_held_files([&] { return gate.pass(); });

  Result<Run> first, second;
  std::thread a([&] { first = syncs.run_now(Mode::incremental, "", Trigger::startup); });
  REQUIRE(gate.wait_entered(1));
  std::thread b([&] { second = syncs.run_now(Mode::incremental, "Dragon", Trigger::watcher); });
  std::this_thread::sleep_for(100ms);
  CHECK(gate.count() == 1);  // the second waits for the first to end
  gate.release();
  a.join();
  b.join();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(gate.count() == 2);
  CHECK(first->status == RunStatus::ok);
  CHECK(first->counts.added == 2);
  CHECK(second->status == RunStatus::ok);
  CHECK(second->scope == "Dragon");
  CHECK(second->counts.unchanged == 1);  // it saw what the first one wrote
  CHECK(second->id > first->id);
}

TEST_CASE("asking for a run while one goes on in the background gets that one", "[sync_coordinator]") {
  Library lib;
  lib.add_big_file();
  SyncCoordinator syncs(*lib.cat, {lib.root, {}, false});
  REQUIRE(syncs.run_now(Mode::incremental, "", Trigger::startup));

  // A cache can make the run end before the second request: then try again.
  bool overlapped = false;
  for (int attempt = 0; attempt < 5 && !overlapped; ++attempt) {
    auto first = syncs.start(Mode::verify, "", Trigger::api);
    REQUIRE(first);
    CHECK(first->started);
    CHECK(first->run.trigger == Trigger::api);
    auto again = syncs.start(Mode::incremental, "Dragon", Trigger::api);
    REQUIRE(again);
    if (!again->started) {
      overlapped = true;
      CHECK(again->run.id == first->run.id);
      CHECK(again->run.mode == Mode::verify);
      CHECK(again->run.status == RunStatus::running);
    }
    wait_idle(syncs);
  }
  CHECK(overlapped);
  CHECK_FALSE(syncs.running());
}

TEST_CASE("a running run is cancelled whoever started it, and ends cancelled having removed only what is gone",
          "[sync_coordinator]") {
  Library lib;
  lib.add_big_file();
  SyncCoordinator syncs(*lib.cat, {lib.root, {}, false});
  REQUIRE(syncs.run_now(Mode::incremental, "", Trigger::startup));
  stdfs::remove(lib.root / "Dragon/dragon.stl");  // a whole run would mark it removed

  std::optional<Run> cancelled;
  for (int attempt = 0; attempt < 5 && !cancelled; ++attempt) {
    auto started = syncs.start(Mode::verify, "", Trigger::api);
    REQUIRE(started);
    const auto id = started->run.id;
    auto asked = syncs.cancel_run(id);
    if (asked) {
      CHECK(asked->id == id);
      CHECK(asked->status == RunStatus::running);
    } else {
      CHECK(asked.error().code == Errc::conflict);  // it had ended already
    }
    wait_idle(syncs);
    auto run = lib.recorded(id);
    REQUIRE(run);
    if (run->status == RunStatus::cancelled)
      cancelled = run;
    else
      REQUIRE(run->status == RunStatus::ok);
  }
  REQUIRE(cancelled);
  // A project reconciled before the cancel landed stays written (its walk
  // was whole): dragon.stl, the one file gone, may be removed; nothing that
  // is still there is.
  CHECK(cancelled->counts.removed <= 1);

  // Once over it cannot be cancelled; an unknown run is not found.
  auto again = syncs.cancel_run(cancelled->id);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::conflict);
  CHECK(again.error().message.find("is not running (it ended cancelled)") != std::string::npos);
  auto unknown = syncs.cancel_run(cancelled->id + 100);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == Errc::not_found);
}

TEST_CASE("once the daemon stops, a run asked for ends at once, interrupted", "[sync_coordinator]") {
  Library lib;
  SyncCoordinator syncs(*lib.cat, {lib.root, {}, false});
  syncs.cancel();
  auto run = syncs.run_now(Mode::incremental, "", Trigger::watcher);
  REQUIRE(run);
  CHECK(run->status == RunStatus::interrupted);
  CHECK(run->counts.added == 0);
}

TEST_CASE("the coordinator tells of the running run, its progress, and the runs it finished", "[sync_coordinator]") {
  Library lib;
  SyncCoordinator syncs(*lib.cat, {lib.root, {}, false});
  CHECK_FALSE(syncs.running());
  auto none = syncs.metrics();
  CHECK_FALSE(none.running);
  CHECK(none.finished_by_status.empty());
  CHECK(none.duration_count == 0);

  const auto generation = syncs.generation();
  auto run = syncs.run_now(Mode::incremental, "", Trigger::startup);
  REQUIRE(run);
  CHECK(syncs.generation() > generation);
  CHECK_FALSE(syncs.progress(run->id));  // over: no progress
  auto m = syncs.metrics();
  CHECK_FALSE(m.running);
  CHECK(m.finished_by_status == std::map<std::string, std::uint64_t>{{"ok", 1}});
  CHECK(m.duration_count <= 1);  // a run within the clock's tick has no duration
  CHECK(m.duration_buckets.back() == m.duration_count);

  // A background run shows while it goes on, with its progress.
  lib.add_big_file();
  bool seen_running = false;
  for (int attempt = 0; attempt < 5 && !seen_running; ++attempt) {
    auto started = syncs.start(Mode::verify, "", Trigger::api);
    REQUIRE(started);
    const auto running = syncs.running();
    const auto progress = syncs.progress(started->run.id);
    const bool busy = syncs.metrics().running;
    if (running && progress) {
      seen_running = true;
      CHECK(*running == started->run.id);
      CHECK(busy);
      CHECK(progress->files_done <= progress->files_total);
    }
    wait_idle(syncs);
  }
  CHECK(seen_running);
  m = syncs.metrics();
  CHECK_FALSE(m.running);
  CHECK(m.finished_by_status.at("ok") >= 2);
}
