// The live sync's decisions (what to rescan, what to hold back, when the
// library is offline) over a real library and index, with a runner that
// records what it is asked to sync; and the schedule options' durations.
#include <catch2/catch.hpp>

#include <chrono>
#include <mutex>
#include <thread>

#include "index/live_sync.h"
#include "index/sync.h"
#include "test_support.h"

using namespace lima::index;
using lima::test::TempDir;
using lima::test::write_file;
using namespace std::chrono_literals;
namespace stdfs = std::filesystem;

TEST_CASE("durations for the schedule options", "[watcher]") {
  CHECK(parse_duration("90s") == 90s);
  CHECK(parse_duration("90") == 90s);
  CHECK(parse_duration("15m") == 900s);
  CHECK(parse_duration("2h") == 7200s);
  CHECK(parse_duration("1d") == 86400s);
  CHECK(parse_duration("off") == 0s);
  CHECK(parse_duration("0") == 0s);
  CHECK_FALSE(parse_duration(""));
  CHECK_FALSE(parse_duration("h"));
  CHECK_FALSE(parse_duration("-5s"));
  CHECK_FALSE(parse_duration("5 s"));
  CHECK_FALSE(parse_duration("5w"));
  CHECK_FALSE(parse_duration("99999999999999d"));
}

namespace {

/// A LiveSync over a real library and index whose runner does the real
/// sync and remembers what it was asked.
struct LiveFixture {
  TempDir tmp;
  stdfs::path lib = tmp / "lib";
  std::unique_ptr<Catalog> cat;
  std::mutex mu;
  std::vector<SyncRequest> asked;
  std::unique_ptr<LiveSync> live;

  explicit LiveFixture(LiveSyncOptions o = {}) {
    stdfs::create_directories(lib / "Boat/parts");
    write_file(lib / "Boat/hull.stl", "hull");
    write_file(lib / "Castle/tower.stl", "tower");
    auto c = Catalog::open(tmp / "state", OpenMode::read_write);
    REQUIRE(c);
    cat = std::move(*c);
    REQUIRE(sync(SyncRequest{}));
    o.library = lib;
    live = std::make_unique<LiveSync>(*cat, o, [this](const SyncRequest& r) {
      {
        std::lock_guard l(mu);
        asked.push_back(r);
      }
      return sync(r);
    });
    live->start();
  }

  Result<Run> sync(const SyncRequest& r) {
    SyncOptions so;
    so.library = lib;
    so.scope = r.scope;
    so.trigger = r.trigger;
    so.held = r.held;
    so.cancel = r.cancel;
    return run_sync(*cat, so);
  }

  std::optional<Asset> asset(const std::string& project, const std::string& path) {
    ReadTxn t(cat->env());
    auto pid = cat->project_id_by_name(t, project);
    if (!pid) return std::nullopt;
    std::optional<Asset> found;
    cat->for_each_asset(t, [&](const Asset& a) {
      if (a.project == *pid && a.path == path && a.state == ItemState::live) found = a;
    });
    return found;
  }

  template <class Pred>
  bool eventually(Pred p, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (p()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return p();
  }

  std::vector<SyncRequest> requests() {
    std::lock_guard l(mu);
    return asked;
  }
};

}  // namespace

TEST_CASE("live sync rescans what changed, once quiet, in few runs", "[watcher][live]") {
  LiveFixture f;
  REQUIRE(f.eventually([&] { return f.live->status().mode == WatchMode::watching; }));
  for (int i = 0; i < 200; ++i) write_file(f.lib / ("Boat/parts/p" + std::to_string(i) + ".stl"), std::to_string(i));
  REQUIRE(f.eventually([&] { return f.asset("Boat", "parts/p199.stl").has_value(); }));
  CHECK(f.asset("Boat", "parts/p0.stl"));
  const auto asked = f.requests();
  CHECK(asked.size() <= 5);
  for (const auto& r : asked) {
    CHECK(r.trigger == Trigger::watcher);
    CHECK(r.scope == "Boat/parts");
  }

  // Two projects at once: one scoped run each.
  write_file(f.lib / "Boat/deck.stl", "deck");
  write_file(f.lib / "Castle/gate.stl", "gate");
  REQUIRE(f.eventually([&] { return f.asset("Boat", "deck.stl") && f.asset("Castle", "gate.stl"); }));
  std::set<std::string> scopes;
  for (const auto& r : f.requests()) scopes.insert(r.scope);
  CHECK(scopes.count("Boat"));
  CHECK(scopes.count("Castle"));
}

TEST_CASE("live sync holds a file back until its writer closes it", "[watcher][live]") {
  LiveFixture f;
  REQUIRE(f.eventually([&] { return f.live->status().mode == WatchMode::watching; }));
  const int fd = ::open((f.lib / "Boat/slow.stl").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, "first half ", 11) == 11);
  // Something else in the same folder changes meanwhile: the folder is
  // rescanned, the open file is held back.
  write_file(f.lib / "Boat/other.stl", "other");
  REQUIRE(f.eventually([&] { return f.asset("Boat", "other.stl").has_value(); }));
  CHECK(f.live->status().files_being_written == 1);
  std::this_thread::sleep_for(300ms);
  CHECK_FALSE(f.asset("Boat", "slow.stl"));
  bool held = false;
  for (const auto& r : f.requests())
    held = held || std::find(r.held.begin(), r.held.end(), "Boat/slow.stl") != r.held.end();
  CHECK(held);

  REQUIRE(::write(fd, "second half", 11) == 11);
  ::close(fd);
  REQUIRE(f.eventually([&] { return f.asset("Boat", "slow.stl").has_value(); }));
  CHECK(f.asset("Boat", "slow.stl")->size == 22);
  CHECK(f.live->status().files_being_written == 0);
}

TEST_CASE("live sync notices an offline library within seconds and catches up when it returns", "[watcher][live]") {
  LiveSyncOptions o;
  o.probe_interval = 200ms;
  LiveFixture f(o);
  REQUIRE(f.eventually([&] { return f.live->status().mode == WatchMode::watching; }));
  stdfs::rename(f.lib, f.tmp / "away");
  REQUIRE(f.eventually([&] { return !f.live->online(); }, 3s));
  const auto st = f.live->status();
  CHECK_FALSE(st.online);
  CHECK(st.offline_reason.find("gone") != std::string::npos);
  CHECK(st.offline_since_ns > 0);
  CHECK(st.mode == WatchMode::offline);
  CHECK(f.asset("Boat", "hull.stl"));  // nothing removed

  write_file(f.tmp / "away/Castle/while-away.stl", "w");
  stdfs::rename(f.tmp / "away", f.lib);
  REQUIRE(f.eventually([&] { return f.live->online() && f.asset("Castle", "while-away.stl").has_value(); }));
  CHECK(f.asset("Boat", "hull.stl"));
  REQUIRE(f.eventually([&] { return f.live->status().mode == WatchMode::watching; }));

  // Emptied (a disk unmounted from under its mount point leaves the empty
  // directory): offline too.
  stdfs::rename(f.lib, f.tmp / "away2");
  stdfs::create_directory(f.lib);
  CHECK(f.eventually(
      [&] {
        const auto now = f.live->status();
        return !now.online && now.offline_reason.find("empty") != std::string::npos;
      },
      3s));
  CHECK(f.asset("Castle", "tower.stl"));
}

TEST_CASE("live sync falls back to periodic syncs when it cannot watch", "[watcher][live]") {
  LiveSyncOptions o;
  o.max_watches = 2;
  o.poll_interval = 1s;
  LiveFixture f(o);
  REQUIRE(f.eventually([&] { return f.live->status().mode == WatchMode::periodic; }));
  const auto w = f.live->status();
  CHECK(w.mode_reason.find("--max-watches 2") != std::string::npos);
  CHECK(w.watches == 0);
  CHECK(w.watch_limit == 2);
  CHECK(w.next_poll_ns > 0);
  write_file(f.lib / "Castle/polled.stl", "p");
  REQUIRE(f.eventually([&] { return f.asset("Castle", "polled.stl").has_value(); }));
  CHECK(f.requests().back().trigger == Trigger::schedule);
  CHECK(f.requests().back().scope.empty());
}
