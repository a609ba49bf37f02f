// Freshness: index changes show through the mount at once although the
// kernel keeps names and listings for a day; and a mount hammered by
// parallel walkers while tags change and syncs run stays correct.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <thread>

#include "mount_fixture.h"

using namespace lima::test;
using namespace std::chrono_literals;
using Names = std::vector<std::string>;

namespace {

bool has(const Names& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// Runs change(), then measures how long until visible() holds.
std::chrono::microseconds time_to_visible(const std::function<void()>& change, const std::function<bool()>& visible,
                                          int line = __builtin_LINE()) {
  INFO("change at line " << line);
  change();
  auto t = wait_until(visible, 5s);
  REQUIRE(t);
  return *t;
}

// The median of several trials must be within the design's 50 ms.
void check_fast(std::vector<std::chrono::microseconds> v) {
  std::sort(v.begin(), v.end());
  const auto median = v[v.size() / 2];
  INFO("median " << median.count() << " us, worst " << v.back().count() << " us");
  CHECK(median < 50ms);
}

}  // namespace

TEST_CASE("tags added and removed show at once in warm directories", "[mount][fresh]") {
  MountedLibrary m;
  m.tag_project("Cube", "boat");
  m.tag_asset("Dragon", "parts/head.stl", "boat");
  REQUIRE(sorted_names(m / "tags/boat") == (Names{"Cube", "Dragon - head.stl"}));
  REQUIRE(sorted_names(m / "untagged") == (Names{"Benchy", "Dragon", "Schloß Drache"}));
  std::vector<std::chrono::microseconds> times;
  for (int i = 0; i < 5; ++i) {
    times.push_back(time_to_visible([&] { m.tag_project("Benchy", "boat"); },
                                    [&] { return has(sorted_names(m / "tags/boat"), "Benchy") &&
                                                 lstat_errno(m / "tags/boat/Benchy/sub") == 0 &&
                                                 !has(sorted_names(m / "untagged"), "Benchy"); }));
    times.push_back(time_to_visible([&] { m.untag_project("Benchy", "boat"); },
                                    [&] { return lstat_errno(m / "tags/boat/Benchy") == ENOENT &&
                                                 !has(sorted_names(m / "tags/boat"), "Benchy") &&
                                                 has(sorted_names(m / "untagged"), "Benchy"); }));
    const auto link = m / "tags/boat/Cube - cube.stl";
    times.push_back(time_to_visible([&] { m.tag_asset("Cube", "cube.stl", "boat"); },
                                    [&] { return link_target(link) == (m.lib() / "Cube/cube.stl").string(); }));
    times.push_back(time_to_visible([&] { m.untag_asset("Cube", "cube.stl", "boat"); },
                                    [&] { return lstat_errno(link) == ENOENT; }));
  }
  check_fast(times);
  // Narrowing entries follow too.
  REQUIRE(sorted_names(m / "tags/boat") == (Names{"Cube", "Dragon - head.stl"}));
  check_fast({time_to_visible([&] { m.tag_project("Cube", "pla"); },
                              [&] { return has(sorted_names(m / "tags/boat"), "+pla"); })});
}

TEST_CASE("renamed tags and files that come to share a name show at once", "[mount][fresh]") {
  MountedLibrary m;
  m.tag_project("Benchy", "boat");
  m.tag_project("Cube", "boat");
  m.tag_project("Cube", "pla");
  m.tag_asset("Dragon", "parts/head.stl", "boat");
  REQUIRE(sorted_names(m / "tags/boat") == (Names{"+pla", "Benchy", "Cube", "Dragon - head.stl"}));
  std::vector<std::chrono::microseconds> times;
  times.push_back(time_to_visible(
      [&] { m.write([&](auto& t, auto& meta) { REQUIRE(meta.rename_tag(t, "pla", "petg")); }); },
      [&] { return sorted_names(m / "tags/boat") == Names{"+petg", "Benchy", "Cube", "Dragon - head.stl"} &&
                   lstat_errno(m / "tags/boat/+pla") == ENOENT && sorted_names(m / "tags/boat/+petg") == Names{"Cube"}; }));
  // A new file with the same name as a tagged one: both get their id.
  write_file(m.lib() / "Dragon/spare/head.stl", "solid spare\n");
  times.push_back(time_to_visible([&] { m.sync(); }, [&] {
    const auto tagged = "Dragon - head ~" + std::to_string(m.asset("Dragon", "parts/head.stl")) + ".stl";
    return lstat_errno(m / "tags/boat/Dragon - head.stl") == ENOENT &&
           link_target(m / "tags/boat" / tagged) == (m.lib() / "Dragon/parts/head.stl").string();
  }));
  stdfs::remove(m.lib() / "Dragon/spare/head.stl");
  times.push_back(time_to_visible([&] { m.sync(); }, [&] {
    return link_target(m / "tags/boat/Dragon - head.stl") == (m.lib() / "Dragon/parts/head.stl").string();
  }));
  check_fast(times);
}

TEST_CASE("collections, syncs and renames show at once", "[mount][fresh]") {
  MountedLibrary m;
  const auto col = m.collection("Queue", {"Cube"});
  m.tag_project("Cube", "boat");
  REQUIRE(readdir_names(m / "collections/Queue") == Names{"Cube"});
  REQUIRE(sorted_names(m / "projects/Dragon/parts") == (Names{"head.stl", "tail.stl"}));
  REQUIRE(lstat_errno(m / "tags/boat/Cube/cube.stl") == 0);
  std::vector<std::chrono::microseconds> times;

  const auto dragon = m.project("Dragon");
  times.push_back(time_to_visible(
      [&] { m.write([&](auto& t, auto& meta) { REQUIRE(meta.add_to_collection(t, col, dragon, 0)); }); },
      [&] { return readdir_names(m / "collections/Queue") == Names{"Dragon", "Cube"}; }));

  const auto cube = m.project("Cube");
  REQUIRE(lstat_errno(m / "collections/Queue/Cube/cube.stl") == 0);
  times.push_back(time_to_visible(
      [&] { m.write([&](auto& t, auto& meta) { REQUIRE(meta.remove_from_collection(t, col, cube)); }); },
      [&] { return lstat_errno(m / "collections/Queue/Cube") == ENOENT &&
                   readdir_names(m / "collections/Queue") == Names{"Dragon"}; }));
  times.push_back(time_to_visible(
      [&] { m.write([&](auto& t, auto& meta) { REQUIRE(meta.add_to_collection(t, col, cube)); }); },
      [&] { return readdir_names(m / "collections/Queue") == Names{"Dragon", "Cube"}; }));

  REQUIRE(sorted_names(m / "search/boat") == Names{"Cube"});
  times.push_back(time_to_visible(
      [&] { m.write([&](auto& t, auto& meta) { REQUIRE(meta.rename_tag(t, "boat", "ship")); }); },
      [&] { return lstat_errno(m / "search/boat/Cube") == ENOENT && sorted_names(m / "search/ship") == Names{"Cube"} &&
                   lstat_errno(m / "tags/boat") == ENOENT && lstat_errno(m / "tags/ship/Cube") == 0; }));
  m.write([&](auto& t, auto& meta) { REQUIRE(meta.rename_tag(t, "ship", "boat")); });

  write_file(m.lib() / "Fresh/new.stl", "solid new\n");
  times.push_back(time_to_visible([&] { m.sync(); }, [&] {
    return has(sorted_names(m / "projects"), "Fresh") && link_target(m / "projects/Fresh/new.stl") != "" &&
           has(sorted_names(m / "untagged"), "Fresh");
  }));

  stdfs::remove(m.lib() / "Dragon/parts/tail.stl");
  times.push_back(time_to_visible([&] { m.sync(); }, [&] {
    return sorted_names(m / "projects/Dragon/parts") == Names{"head.stl"} &&
           lstat_errno(m / "projects/Dragon/parts/tail.stl") == ENOENT;
  }));

  stdfs::rename(m.lib() / "Cube", m.lib() / "Cube v2");
  times.push_back(time_to_visible([&] { m.sync(); }, [&] {
    return lstat_errno(m / "projects/Cube") == ENOENT && lstat_errno(m / "tags/boat/Cube/cube.stl") == ENOENT &&
           link_target(m / "tags/boat/Cube v2/cube.stl") == (m.lib() / "Cube v2/cube.stl").string() &&
           readdir_names(m / "collections/Queue") == Names{"Dragon", "Cube v2"};
  }));
  check_fast(times);
}

namespace {

std::int64_t mtime_ns(const stdfs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  CHECK(st.st_ctim.tv_sec == st.st_mtim.tv_sec);
  CHECK(st.st_ctim.tv_nsec == st.st_mtim.tv_nsec);
  return std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// `inotifywait -m` on a directory, as a file manager's folder monitor: its
// events ("DELETE,ISDIR Dragon") as they come. Stopped when destroyed.
class InotifyWait {
 public:
  explicit InotifyWait(const stdfs::path& dir) {
    REQUIRE_FALSE(shell("command -v inotifywait").empty());  // inotify-tools (setup.sh installs it)
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      const int out = ::open((tmp_ / "events").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = ::open((tmp_ / "log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (out < 0 || err < 0) ::_exit(126);
      ::dup2(out, 1);
      ::dup2(err, 2);
      ::execlp("inotifywait", "inotifywait", "-m", "--format", "%e %f", dir.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    REQUIRE(wait_until([&] { return read_file(tmp_ / "log").find("Watches established") != std::string::npos; },
                       10s));
  }
  ~InotifyWait() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  InotifyWait(const InotifyWait&) = delete;
  InotifyWait& operator=(const InotifyWait&) = delete;
  std::string events() const { return read_file(tmp_ / "events"); }
  // True once an event line reads `line` (inotifywait ends the line of an
  // event on the watched directory itself, which names no file, with a space).
  bool heard(const std::string& line) const {
    return wait_until([&] {
             const auto e = events();
             return e.find(line + "\n") != std::string::npos || e.find(line + " \n") != std::string::npos;
           }, 5s).has_value();
  }

 private:
  TempDir tmp_;
  pid_t pid_ = -1;
};

// What a file manager does to show a folder: list it, look at each entry.
void show(const stdfs::path& dir) {
  for (const auto& name : sorted_names(dir)) lstat_errno(dir / name);
}

}  // namespace

TEST_CASE("a directory's mtime moves when its listing changes, and only then", "[mount][fresh][windows]") {
  MountedLibrary m;
  m.tag_project("Cube", "boat");
  m.tag_project("Dragon", "boat");
  m.tag_asset("Dragon", "parts/head.stl", "boat");
  m.tag_project("Schloß Drache", "castle");
  for (const char* d : {"tags/boat", "tags/castle", "untagged", "projects", "tags", "collections"}) show(m / d);
  const auto boat = m / "tags/boat";
  const auto boat0 = mtime_ns(boat), castle0 = mtime_ns(m / "tags/castle"), untagged0 = mtime_ns(m / "untagged"),
             projects0 = mtime_ns(m / "projects"), tags0 = mtime_ns(m / "tags");

  // A removal: the name goes, and the directory's mtime moves.
  m.untag_project("Dragon", "boat");
  m.untag_asset("Dragon", "parts/head.stl", "boat");
  m.mount().flush();
  CHECK(sorted_names(boat) == Names{"Cube"});
  CHECK(lstat_errno(boat / "Dragon") == ENOENT);
  CHECK(lstat_errno(boat / "Dragon - head.stl") == ENOENT);
  const auto boat1 = mtime_ns(boat);
  CHECK(boat1 > boat0);
  CHECK(mtime_ns(m / "untagged") > untagged0);  // Dragon came back there
  show(m / "untagged");

  // An addition: the mtime moves, so a window that compares it reads the
  // folder again and sees it.
  const auto untagged1 = mtime_ns(m / "untagged");
  m.tag_project("Benchy", "boat");
  m.mount().flush();
  const auto boat2 = mtime_ns(boat);
  CHECK(boat2 > boat1);
  CHECK(mtime_ns(m / "untagged") > untagged1);
  CHECK(sorted_names(boat) == Names{"Benchy", "Cube"});

  // Listings that did not change keep their mtime: the other tag, the
  // projects, the tag names so far.
  CHECK(mtime_ns(m / "tags/castle") == castle0);
  CHECK(mtime_ns(m / "projects") == projects0);
  CHECK(mtime_ns(m / "tags") == tags0);

  // Edits that change nothing these windows show move nothing: a tag a
  // project has already, a second tag on a project tagged elsewhere.
  const auto untagged2 = mtime_ns(m / "untagged");
  m.tag_project("Benchy", "boat");
  m.tag_project("Schloß Drache", "pla");
  m.mount().flush();
  CHECK(mtime_ns(boat) == boat2);
  CHECK(mtime_ns(m / "untagged") == untagged2);
  CHECK(mtime_ns(m / "tags/castle") == castle0);
  CHECK(mtime_ns(m / "tags") > tags0);  // "pla" is a new name there
  CHECK(mtime_ns(boat) == boat2);       // and looking again moves nothing: never the clock

  // A narrowing entry that appears is a change of the listing too.
  m.tag_project("Cube", "pla");
  m.mount().flush();
  CHECK(sorted_names(boat) == Names{"+pla", "Benchy", "Cube"});
  CHECK(mtime_ns(boat) > boat2);
}

TEST_CASE("a window showing a folder that leaves the view hears it is gone", "[mount][fresh][windows]") {
  MountedLibrary m;
  m.tag_project("Dragon", "boat");
  show(m / "tags/boat");
  show(m / "projects");
  show(m / "untagged");
  InotifyWait in_tag(m / "tags/boat/Dragon");  // a window showing the project under its tag
  InotifyWait in_projects(m / "projects/Cube");
  // A program with the folder open keeps the kernel's node of it alive.
  DIR* open_window = ::opendir((m / "untagged/Cube").c_str());
  REQUIRE(open_window);
  const auto projects0 = mtime_ns(m / "projects");

  m.untag_project("Dragon", "boat");
  CHECK(in_tag.heard("DELETE_SELF"));
  const auto cube = m.project("Cube");
  TempDir away;
  stdfs::rename(m.lib() / "Cube", away / "Cube");
  m.sync();
  CHECK(in_projects.heard("DELETE_SELF"));
  m.mount().flush();
  CHECK(mtime_ns(m / "projects") > projects0);
  CHECK(sorted_names(m / "projects") == Names{"Benchy", "Dragon", "Schloß Drache"});
  CHECK(sorted_names(m / "untagged") == Names{"Benchy", "Dragon", "Schloß Drache"});

  // Back again (the same project): the same names are working folders, not
  // the dead ones.
  stdfs::rename(away / "Cube", m.lib() / "Cube");
  m.sync();
  CHECK(m.project("Cube") == cube);
  m.tag_project("Dragon", "boat");
  m.mount().flush();
  CHECK(sorted_names(m / "projects") == Names{"Benchy", "Cube", "Dragon", "Schloß Drache"});
  CHECK(sorted_names(m / "projects/Cube") == Names{"cube.stl", "notes.txt"});
  CHECK(sorted_names(m / "untagged/Cube") == Names{"cube.stl", "notes.txt"});  // not the dead folder still open
  CHECK(sorted_names(m / "tags/boat/Dragon") == Names{"dragon.3mf", "parts"});
  ::closedir(open_window);
}

namespace {

// Everything a walk sees: path → type, size, link target.
using Snapshot = std::map<std::string, std::string>;

void walk(const stdfs::path& root, const stdfs::path& dir, Snapshot& out, std::atomic<int>* odd_errors) {
  for (const auto& name : sorted_names(dir)) {
    const auto p = dir / name;
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) {
      if (errno != ENOENT && odd_errors) ++*odd_errors;  // vanished meanwhile: fine
      continue;
    }
    const auto rel = p.lexically_relative(root).string();
    if (S_ISDIR(st.st_mode)) {
      out[rel] = "dir";
      walk(root, p, out, odd_errors);
    } else if (S_ISLNK(st.st_mode)) {
      const auto target = link_target(p);
      if (target.empty() && odd_errors && errno != ENOENT) ++*odd_errors;
      out[rel] = "link " + std::to_string(st.st_size) + " " + target + " " + std::to_string(st.st_mtim.tv_sec);
    } else {
      out[rel] = "file";
    }
  }
}

Snapshot snapshot(const stdfs::path& mnt) {
  Snapshot s;
  for (const char* top : {"projects", "tags", "collections", "untagged", "search/cube", "search/dragon head"})
    walk(mnt, mnt / top, s, nullptr);
  return s;
}

}  // namespace

TEST_CASE("8 walkers, changing tags and syncs: no error, nothing stale after", "[mount][fresh][hammer]") {
  MountedLibrary m;
  m.collection("All", {"Benchy", "Cube", "Dragon"});
  std::atomic<bool> stop{false};
  std::atomic<int> odd_errors{0}, walks{0};
  std::vector<std::thread> walkers;
  for (int w = 0; w < 8; ++w)
    walkers.emplace_back([&, w] {
      while (!stop) {
        Snapshot s;
        walk(m.mnt(), m.mnt() / (w % 2 ? "tags" : ""), s, &odd_errors);
        if (w == 0) walk(m.mnt(), m.mnt() / "search/cube", s, &odd_errors);
        ++walks;
      }
    });
  const std::vector<std::string> projects{"Benchy", "Cube", "Dragon", "Schloß Drache"};
  const std::vector<std::string> tags{"pla", "petg", "boat", "fantasy"};
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; std::chrono::steady_clock::now() - start < 10s; ++i) {
    const auto& p = projects[static_cast<std::size_t>(i) % projects.size()];
    const auto& t = tags[static_cast<std::size_t>(i / 3) % tags.size()];
    if (i % 2) m.tag_project(p, t); else m.untag_project(p, t);
    if (i % 3 == 0) m.tag_asset("Dragon", "parts/head.stl", t);
    if (i % 5 == 0) m.untag_asset("Dragon", "parts/head.stl", t);
    if (i % 7 == 0) {  // the library changes under the mount too
      const auto extra = m.lib() / "Cube/extra.stl";
      if (stdfs::exists(extra)) stdfs::remove(extra); else write_file(extra, "solid extra " + std::to_string(i));
      m.sync();
    }
    std::this_thread::sleep_for(2ms);
  }
  stop = true;
  for (auto& w : walkers) w.join();
  CHECK(walks > 8);
  CHECK(odd_errors == 0);
  // After the dust settles the warm mount shows exactly what a cold one does.
  m.mount().flush();
  const auto warm = snapshot(m.mnt());
  CHECK(m.mount().stats().text().find("\nerrors 0\n") != std::string::npos);
  m.remount();
  const auto cold = snapshot(m.mnt());
  CHECK(warm.size() == cold.size());
  for (const auto& [path, what] : cold) {
    INFO(path);
    auto it = warm.find(path);
    REQUIRE(it != warm.end());
    CHECK(it->second == what);
  }
  for (const auto& [path, what] : warm) {
    INFO(path);
    CHECK(cold.contains(path));
  }
}
