// The inotify watcher on real directories: what it reports of writes,
// moves, the watch limit, the root and a queue overflow.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "index/watcher.h"
#include "support/skip.h"
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
  if (!queue || *queue > 200000) LIMA_SKIP("the inotify queue is too large to fill here");
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
