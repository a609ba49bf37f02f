// The inotify watcher on real directories, and the live sync's decisions
// (what to rescan, what to hold back, when the library is offline) with a
// runner that records what it is asked to sync.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "index/live_sync.h"
#include "index/sync.h"
#include "index/watcher.h"
#include "test_support.h"

using namespace lima::index;
using lima::test::TempDir;
using lima::test::write_file;
using namespace std::chrono_literals;
namespace stdfs = std::filesystem;

namespace {

/// Everything the watcher reports until `done(all so far)` holds, or 5 s.
template <class Pred>
WatchEvents collect(Watcher& w, Pred done) {
  WatchEvents all;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done(all) && std::chrono::steady_clock::now() < deadline) {
    pollfd p{w.fd(), POLLIN, 0};
    ::poll(&p, 1, 50);
    auto ev = w.read();
    all.count += ev.count;
    all.overflow |= ev.overflow;
    all.root_changed |= ev.root_changed;
    all.limit_reached |= ev.limit_reached;
    all.changes.insert(all.changes.end(), ev.changes.begin(), ev.changes.end());
  }
  return all;
}

bool has(const WatchEvents& ev, WatchChange::What what, const std::string& scope, const std::string& path = {}) {
  return std::any_of(ev.changes.begin(), ev.changes.end(), [&](const WatchChange& c) {
    return c.what == what && c.scope == scope && (path.empty() || c.path == path);
  });
}

std::set<std::string> scopes_of(const WatchEvents& ev) {
  std::set<std::string> out;
  for (const auto& c : ev.changes) out.insert(c.scope);
  return out;
}

std::unique_ptr<Watcher> watch(const stdfs::path& lib, const IgnoreRules& ignore, std::size_t max = 0) {
  auto w = Watcher::start(lib, ignore, max);
  REQUIRE(w);
  return std::move(*w);
}

}  // namespace

TEST_CASE("the watcher reports a file's writing, its close, and the directory to rescan", "[watcher]") {
  TempDir tmp;
  const auto lib = tmp / "lib";
  stdfs::create_directories(lib / "Boat" / "parts");
  IgnoreRules ignore;
  auto w = watch(lib, ignore);
  CHECK(w->watches() == 3);

  const int fd = ::open((lib / "Boat/parts/hull.stl").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, "solid", 5) == 5);
  auto open_events = collect(*w, [](const WatchEvents& e) { return has(e, WatchChange::writing, "Boat/parts"); });
  CHECK(has(open_events, WatchChange::writing, "Boat/parts", "Boat/parts/hull.stl"));
  CHECK_FALSE(has(open_events, WatchChange::closed, "Boat/parts"));
  ::close(fd);
  auto closed = collect(*w, [](const WatchEvents& e) { return has(e, WatchChange::closed, "Boat/parts"); });
  CHECK(has(closed, WatchChange::closed, "Boat/parts", "Boat/parts/hull.stl"));

  // A file in the root is loose: the whole library is its scope; a folder
  // there is a project.
  write_file(lib / "loose.txt", "x");
  stdfs::create_directory(lib / "Castle");
  auto root = collect(*w, [](const WatchEvents& e) { return scopes_of(e).count("") && scopes_of(e).count("Castle"); });
  CHECK(scopes_of(root) == std::set<std::string>{"", "Castle"});
  CHECK(w->watches() == 4);
}

TEST_CASE("the watcher follows trees moved in, out and around, and ignores what the sync ignores", "[watcher]") {
  TempDir tmp;
  const auto lib = tmp / "lib";
  stdfs::create_directories(lib / "Boat");
  write_file(tmp / "outside/deep/er/model.stl", "m");
  IgnoreRules ignore({"*.tmp"});
  auto w = watch(lib, ignore);
  REQUIRE(w->watches() == 2);

  // A tree moved in at once is watched at every level.
  stdfs::rename(tmp / "outside", lib / "Boat/in");
  auto moved_in = collect(*w, [](const WatchEvents& e) { return scopes_of(e).count("Boat"); });
  CHECK(w->watches() == 5);
  write_file(lib / "Boat/in/deep/er/new.3mf", "n");
  auto deep = collect(*w, [](const WatchEvents& e) { return has(e, WatchChange::closed, "Boat/in/deep/er"); });
  CHECK(has(deep, WatchChange::closed, "Boat/in/deep/er", "Boat/in/deep/er/new.3mf"));

  // Moved out: its watches go, and nothing inside it is reported any more.
  stdfs::rename(lib / "Boat/in", tmp / "gone");
  (void)collect(*w, [](const WatchEvents& e) { return scopes_of(e).count("Boat"); });
  CHECK(w->watches() == 2);
  write_file(tmp / "gone/deep/after.stl", "a");
  auto after = collect(*w, [](const WatchEvents& e) { return e.count > 0; });
  CHECK(after.changes.empty());

  // Ignored names (dot-files, partial downloads, the user's globs) are not
  // changes; renaming one into a real name is.
  write_file(lib / "Boat/.hidden", "h");
  write_file(lib / "Boat/file.part", "p");
  write_file(lib / "Boat/scratch.tmp", "t");
  auto ignored = collect(*w, [](const WatchEvents& e) { return e.count >= 6; });
  CHECK(ignored.changes.empty());
  stdfs::rename(lib / "Boat/file.part", lib / "Boat/file.stl");
  auto renamed = collect(*w, [](const WatchEvents& e) { return !e.changes.empty(); });
  CHECK(has(renamed, WatchChange::closed, "Boat", "Boat/file.stl"));
}

TEST_CASE("the watcher says when it runs out of watches and when the root goes", "[watcher]") {
  TempDir tmp;
  const auto lib = tmp / "lib";
  for (auto p : {"A", "B", "C"}) stdfs::create_directories(lib / p);
  IgnoreRules ignore;
  {
    auto w = watch(lib, ignore, 2);
    CHECK(w->limit_reached());
  }
  auto w = watch(lib, ignore, 5);
  CHECK_FALSE(w->limit_reached());
  stdfs::create_directories(lib / "D");
  stdfs::create_directories(lib / "E");
  auto more = collect(*w, [](const WatchEvents& e) { return e.limit_reached; });
  CHECK(more.limit_reached);

  stdfs::rename(lib, tmp / "away");
  auto away = collect(*w, [](const WatchEvents& e) { return e.root_changed; });
  CHECK(away.root_changed);
}

TEST_CASE("the watcher tells when its event queue overflowed, and watches what it missed", "[watcher]") {
  const auto queue = lima::test::inotify_queue_limit();
  if (!queue || *queue > 200000) {
    WARN("the inotify queue is too large to fill here");
    return;
  }
  TempDir tmp;
  const auto lib = tmp / "lib";
  stdfs::create_directories(lib / "Boat");
  IgnoreRules ignore;
  auto w = watch(lib, ignore);
  // Nothing is read meanwhile: two events per file fill the queue.
  for (std::size_t i = 0; i < *queue / 2 + 100; ++i) write_file(lib / ("Boat/f" + std::to_string(i)), "");
  stdfs::create_directories(lib / "Boat/missed/deeper");
  auto ev = w->read();
  CHECK(ev.overflow);
  CHECK(w->watches() == 2);  // the new folders' events were lost
  CHECK(w->rewatch());
  CHECK(w->watches() == 4);
  write_file(lib / "Boat/missed/deeper/x.stl", "x");
  auto later = collect(*w, [](const WatchEvents& e) { return has(e, WatchChange::closed, "Boat/missed/deeper"); });
  CHECK(has(later, WatchChange::closed, "Boat/missed/deeper", "Boat/missed/deeper/x.stl"));
}

TEST_CASE("filesystems inotify cannot fully see are named; local ones are not", "[watcher]") {
  TempDir tmp;
  CHECK_FALSE(unwatchable_filesystem(tmp.path()));
  CHECK(system_watch_limit() > 0);
}

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
  REQUIRE(f.eventually([&] { return f.live->watcher_json()["state"] == "watching"; }));
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
  REQUIRE(f.eventually([&] { return f.live->watcher_json()["state"] == "watching"; }));
  const int fd = ::open((f.lib / "Boat/slow.stl").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, "first half ", 11) == 11);
  // Something else in the same folder changes meanwhile: the folder is
  // rescanned, the open file is held back.
  write_file(f.lib / "Boat/other.stl", "other");
  REQUIRE(f.eventually([&] { return f.asset("Boat", "other.stl").has_value(); }));
  CHECK(f.live->watcher_json()["files_being_written"] == 1);
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
  CHECK(f.live->watcher_json()["files_being_written"] == 0);
}

TEST_CASE("live sync notices an offline library within seconds and catches up when it returns", "[watcher][live]") {
  LiveSyncOptions o;
  o.probe_interval = 200ms;
  LiveFixture f(o);
  REQUIRE(f.eventually([&] { return f.live->watcher_json()["state"] == "watching"; }));
  stdfs::rename(f.lib, f.tmp / "away");
  REQUIRE(f.eventually([&] { return !f.live->online(); }, 3s));
  const auto lib = f.live->library_json();
  CHECK(lib["online"] == false);
  CHECK(lib["offline_reason"].get<std::string>().find("gone") != std::string::npos);
  CHECK(f.live->watcher_json()["state"] == "offline");
  CHECK(f.live->status_text().find("library online: no") != std::string::npos);
  CHECK(f.live->metrics().find("\nlimafs_library_online 0\n") != std::string::npos);
  CHECK(f.live->metrics().find("\nlimafs_watcher_watching 0\n") != std::string::npos);
  CHECK(f.asset("Boat", "hull.stl"));  // nothing removed

  write_file(f.tmp / "away/Castle/while-away.stl", "w");
  stdfs::rename(f.tmp / "away", f.lib);
  REQUIRE(f.eventually([&] { return f.live->online() && f.asset("Castle", "while-away.stl").has_value(); }));
  CHECK(f.asset("Boat", "hull.stl"));
  REQUIRE(f.eventually([&] { return f.live->watcher_json()["state"] == "watching"; }));

  // Emptied (a disk unmounted from under its mount point leaves the empty
  // directory): offline too.
  stdfs::rename(f.lib, f.tmp / "away2");
  stdfs::create_directory(f.lib);
  CHECK(f.eventually(
      [&] {
        const auto j = f.live->library_json();
        return j["online"] == false && j["offline_reason"].get<std::string>().find("empty") != std::string::npos;
      },
      3s));
  CHECK(f.asset("Castle", "tower.stl"));
}

TEST_CASE("live sync falls back to periodic syncs when it cannot watch", "[watcher][live]") {
  LiveSyncOptions o;
  o.max_watches = 2;
  o.poll_interval = 1s;
  LiveFixture f(o);
  REQUIRE(f.eventually([&] { return f.live->watcher_json()["state"] == "periodic"; }));
  const auto w = f.live->watcher_json();
  CHECK(w["reason"].get<std::string>().find("--max-watches 2") != std::string::npos);
  CHECK(w["watches"] == 0);
  write_file(f.lib / "Castle/polled.stl", "p");
  REQUIRE(f.eventually([&] { return f.asset("Castle", "polled.stl").has_value(); }));
  CHECK(f.requests().back().trigger == Trigger::schedule);
  CHECK(f.requests().back().scope.empty());
}
