// Freshness: index changes show through the mount at once although the
// kernel keeps names and listings for a day; and a mount hammered by
// parallel walkers while tags change and syncs run stays correct.
#include <sys/stat.h>
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
