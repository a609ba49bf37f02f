// Live sync as a user meets it: while `limafs mount` runs, what happens in
// the library (files written, changed, moved, deleted; folders renamed or
// copied in; the whole library moved away or its disk unmounted) shows in
// the mount and the API a moment later, without a sync being asked for.
// Every change is awaited with a timeout, in the mount and in the API.
#include <catch2/catch.hpp>

#include <httplib.h>

#include <cctype>
#include <cstring>

#include <nlohmann/json.hpp>

#include "e2e/daemon_fixture.h"
#include "index/hasher.h"

using namespace lima::e2e;
using nlohmann::json;

namespace {

/// How long a change in the library may take to show (the design says a
/// dropped file shows within 2 s; the rest is room for a busy machine).
constexpr auto kSoon = 5s;

/// Waits until `cond` holds; on a timeout checks it once more (so the
/// failure shows its values) with the daemon's log.
#define CHECK_SOON(daemon, timeout, ...)                                        \
  do {                                                                          \
    if (!wait_until([&] { return static_cast<bool>(__VA_ARGS__); }, timeout)) { \
      INFO("daemon log:\n" << (daemon).log());                                  \
      CHECK(__VA_ARGS__);                                                       \
    }                                                                           \
  } while (false)
#define REQUIRE_SOON(daemon, timeout, ...)                                      \
  do {                                                                          \
    if (!wait_until([&] { return static_cast<bool>(__VA_ARGS__); }, timeout)) { \
      INFO("daemon log:\n" << (daemon).log());                                  \
      REQUIRE(__VA_ARGS__);                                                     \
    }                                                                           \
  } while (false)

std::string url_encode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

/// j[key] (null when j is not an object or has no such member).
json member(const json& j, const char* key) { return j.is_object() && j.contains(key) ? j[key] : json(); }

/// j[key] as a string ("" when it is not one).
std::string text_of(const json& j, const char* key) {
  const auto v = member(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

bool present(const stdfs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

/// A file as the index should know it: {size, hash}.
json on_disk(const stdfs::path& p) {
  const auto h = lima::index::hash_path(p);
  return {{"size", stdfs::file_size(p)}, {"hash", h ? h->to_string() : "?"}};
}

/// {size, hash} of an asset record (null for none).
json brief(const json& asset) {
  if (!asset.is_object()) return nullptr;
  return {{"size", member(asset, "size")}, {"hash", member(asset, "hash")}};
}

/// The daemon's control API, asked the way a polling client would: a
/// request that fails gives null rather than failing the test, so it can be
/// asked again until a timeout.
class Api {
 public:
  explicit Api(std::string url) : url_(std::move(url)) {}

  json get(const std::string& path) const {
    httplib::Client c(url_);
    c.set_connection_timeout(2);
    c.set_read_timeout(10);
    auto r = c.Get(path);
    if (!r || r->status != 200) return nullptr;
    return json::parse(r->body, nullptr, false);
  }
  bool put(const std::string& path) const {
    httplib::Client c(url_);
    auto r = c.Put(path, "", "application/json");
    return r && r->status == 200;
  }

  json status() const { return get("/api/v1/status"); }
  json library() const { return member(status(), "library"); }
  json watcher() const { return member(status(), "watcher"); }
  json counts() const { return member(status(), "counts"); }

  /// The id of the live project with folder `name`, or 0.
  std::int64_t project_id(const std::string& name) const {
    const auto page = get("/api/v1/projects?name=" + url_encode(name));
    if (member(page, "items").empty()) return 0;
    return page["items"][0]["id"].get<std::int64_t>();
  }
  json project(std::int64_t id) const { return get("/api/v1/projects/" + std::to_string(id)); }
  /// How many live assets project `name` has; -1 when there is no such project.
  std::int64_t asset_count(const std::string& name) const {
    const auto id = project_id(name);
    const auto p = id ? project(id) : json();
    return member(p, "assets").is_number() ? p["assets"].get<std::int64_t>() : -1;
  }
  /// The live asset at `path` in project `name`, or null.
  json asset(const std::string& name, const std::string& path) const {
    const auto id = project_id(name);
    if (!id) return nullptr;
    const auto page = get("/api/v1/projects/" + std::to_string(id) + "/assets?path=" + url_encode(path));
    for (const auto& a : member(page, "items"))
      if (a["path"] == path && a["state"] == "live") return a;
    return nullptr;
  }
  json asset(std::int64_t id) const { return get("/api/v1/assets/" + std::to_string(id)); }

  /// The newest run's id (0 before any).
  std::int64_t last_run_id() const {
    const auto page = get("/api/v1/sync/runs?limit=1");
    return member(page, "items").empty() ? 0 : page["items"][0]["id"].get<std::int64_t>();
  }
  /// Runs after run `after`, newest first.
  std::vector<json> runs_after(std::int64_t after) const {
    std::vector<json> out;
    const auto page = get("/api/v1/sync/runs?limit=1000");
    for (const auto& r : member(page, "items"))
      if (r["id"].get<std::int64_t>() > after) out.push_back(r);
    return out;
  }

 private:
  std::string url_;
};

/// Starts the daemon of `s` with its API on a free port, and waits for it.
std::unique_ptr<Daemon> serve(Setup& s, std::vector<std::string> extra = {}) {
  extra.insert(extra.end(), {"--listen", "127.0.0.1:0"});
  auto d = s.start(extra);
  REQUIRE(d->serving());
  REQUIRE_FALSE(d->api_url().empty());
  return d;
}

/// True once a full sync after run `after` has ended and the watcher is
/// back: from then on only the watcher can find a change.
bool caught_up(const Api& api, std::int64_t after) {
  const auto runs = api.runs_after(after);
  return std::any_of(runs.begin(), runs.end(),
                     [](const json& r) { return r["scope"] == "" && r["status"] != "running"; }) &&
         api.watcher()["state"] == "watching";
}

/// Live and tombstoned projects and assets: what "nothing removed" compares.
json inventory(const Api& api) {
  const auto c = api.counts();
  if (!c.is_object()) return nullptr;
  return {{"projects", c["projects"]},
          {"assets", c["assets"]},
          {"tombstoned_projects", c["tombstoned_projects"]},
          {"tombstoned_assets", c["tombstoned_assets"]}};
}

json with_assets(json inv, int more) {
  inv["assets"] = inv["assets"].get<std::int64_t>() + more;
  return inv;
}

/// The library of `s` on a "disk" of its own: its files moved to a folder
/// that is bind-mounted on the (now empty) library root. Unmounted when
/// destroyed, whatever happened.
class BoundLibrary {
 public:
  explicit BoundLibrary(const Setup& s) : disk_(s.root / "disk"), lib_(s.lib) {
    stdfs::rename(lib_, disk_);
    stdfs::create_directory(lib_);
    if (!bind()) error_ = std::strerror(errno);
  }
  ~BoundLibrary() {
    for (int i = 0; i < 8 && mounts_on(lib_) > 0; ++i) ::umount2(lib_.c_str(), MNT_DETACH);
  }
  BoundLibrary(const BoundLibrary&) = delete;
  BoundLibrary& operator=(const BoundLibrary&) = delete;

  /// Empty when the bind mount worked, else why not.
  const std::string& error() const { return error_; }
  const stdfs::path& disk() const { return disk_; }
  bool bind() { return ::mount(disk_.c_str(), lib_.c_str(), nullptr, MS_BIND, nullptr) == 0; }
  /// umount, retried while busy (a sync may have a folder open for a moment).
  bool unbind() {
    return wait_until([&] { return ::umount(lib_.c_str()) == 0 || errno != EBUSY; }, kSoon) && mounts_on(lib_) == 0;
  }

 private:
  stdfs::path disk_, lib_;
  std::string error_;
};

#define RETURN_WITHOUT_BIND_MOUNT(bound)                                         \
  do {                                                                           \
    if (!(bound).error().empty())                                                \
      LIMA_SKIP("mount --bind is not permitted here (" + (bound).error() + ")"); \
  } while (false)

}  // namespace

TEST_CASE("live sync: a file created, changed and deleted in a project shows in the mount and the API", "[live]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  auto d = serve(s);
  Api api(d->api_url());
  REQUIRE_SOON(*d, kSoon, api.watcher()["state"] == "watching");

  const auto file = s.lib / "Vase/fresh.stl";
  const auto link = s.mnt / "projects/Vase/fresh.stl";
  CHECK_FALSE(present(link));  // also puts a negative entry in the kernel's cache
  write_file(file, lima::test::random_bytes(5000, 21));
  CHECK_SOON(*d, kSoon, present(link));
  CHECK_SOON(*d, kSoon, brief(api.asset("Vase", "fresh.stl")) == on_disk(file));
  CHECK(stdfs::read_symlink(link) == file);

  // A content change: appended to.
  {
    std::ofstream f(file, std::ios::binary | std::ios::app);
    f << lima::test::random_bytes(1000, 22);
  }
  REQUIRE(stdfs::file_size(file) == 6000);
  CHECK_SOON(*d, kSoon, brief(api.asset("Vase", "fresh.stl")) == on_disk(file));
  CHECK(present(link));

  stdfs::remove(file);
  CHECK_SOON(*d, kSoon, !present(link));
  CHECK_SOON(*d, kSoon, api.asset("Vase", "fresh.stl").is_null());
  CHECK(listing(s.mnt / "projects/Vase") == std::set<std::string>{"notes.md", "vase.3mf"});
}

TEST_CASE("live sync: files and folders moved into the library appear, a file moved out disappears", "[live]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  const auto outside = s.root / "outside";  // same filesystem: mv is a rename
  write_file(outside / "in.stl", lima::test::random_bytes(3000, 31));
  write_file(outside / "Kit/sub/deep/part.stl", lima::test::random_bytes(2000, 32));
  auto d = serve(s);
  Api api(d->api_url());
  REQUIRE_SOON(*d, kSoon, api.watcher()["state"] == "watching");

  stdfs::rename(outside / "in.stl", s.lib / "Vase/in.stl");
  CHECK_SOON(*d, kSoon, present(s.mnt / "projects/Vase/in.stl"));
  CHECK_SOON(*d, kSoon, brief(api.asset("Vase", "in.stl")) == on_disk(s.lib / "Vase/in.stl"));

  stdfs::rename(s.lib / "Vase/notes.md", outside / "notes.md");
  CHECK_SOON(*d, kSoon, !present(s.mnt / "projects/Vase/notes.md"));
  CHECK_SOON(*d, kSoon, api.asset("Vase", "notes.md").is_null());

  // A folder moved in is indexed, and watched at once: a file written deep
  // inside it afterwards shows too.
  stdfs::rename(outside / "Kit", s.lib / "Gears/Kit");
  CHECK_SOON(*d, kSoon, present(s.mnt / "projects/Gears/Kit/sub/deep/part.stl"));
  CHECK_SOON(*d, kSoon, !api.asset("Gears", "Kit/sub/deep/part.stl").is_null());
  write_file(s.lib / "Gears/Kit/sub/deep/later.stl", lima::test::random_bytes(1000, 33));
  CHECK_SOON(*d, kSoon, present(s.mnt / "projects/Gears/Kit/sub/deep/later.stl"));
  CHECK_SOON(*d, kSoon,
             brief(api.asset("Gears", "Kit/sub/deep/later.stl")) == on_disk(s.lib / "Gears/Kit/sub/deep/later.stl"));
}

TEST_CASE("live sync: renamed files and project folders keep their ids and tags", "[live]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  auto d = serve(s);
  Api api(d->api_url());
  REQUIRE_SOON(*d, kSoon, api.watcher()["state"] == "watching");

  const auto benchy = api.project_id("Benchy");
  REQUIRE(benchy > 0);
  auto hull = api.asset("Benchy", "models/3DBenchy.stl");
  REQUIRE(hull.is_object());
  const auto hull_id = hull["id"].get<std::int64_t>();
  REQUIRE(api.put("/api/v1/assets/" + std::to_string(hull_id) + "/tags/boat"));
  REQUIRE(api.put("/api/v1/projects/" + std::to_string(benchy) + "/tags/ship"));
  REQUIRE(present(s.mnt / "tags/boat/Benchy - 3DBenchy.stl"));
  REQUIRE(present(s.mnt / "tags/ship/Benchy"));

  // A file renamed inside its project.
  stdfs::rename(s.lib / "Benchy/models/3DBenchy.stl", s.lib / "Benchy/models/Benchy v2.stl");
  CHECK_SOON(*d, kSoon, text_of(api.asset(hull_id), "path") == "models/Benchy v2.stl");
  auto renamed = api.asset(hull_id);
  CHECK(renamed["state"] == "live");
  CHECK(renamed["tags"] == json::array({"boat"}));
  CHECK(api.asset("Benchy", "models/3DBenchy.stl").is_null());
  CHECK_SOON(*d, kSoon, present(s.mnt / "projects/Benchy/models/Benchy v2.stl"));
  CHECK_SOON(*d, kSoon, !present(s.mnt / "projects/Benchy/models/3DBenchy.stl"));
  CHECK_SOON(*d, kSoon, present(s.mnt / "tags/boat/Benchy - Benchy v2.stl"));
  CHECK(listing(s.mnt / "tags/boat") == std::set<std::string>{"Benchy - Benchy v2.stl"});

  // The project folder renamed: same project, its tag follows it.
  stdfs::rename(s.lib / "Benchy", s.lib / "Benchy (remix)");
  CHECK_SOON(*d, kSoon, text_of(api.project(benchy), "name") == "Benchy (remix)");
  CHECK(api.project(benchy)["tags"] == json::array({"ship"}));
  CHECK(api.project_id("Benchy") == 0);
  CHECK_SOON(*d, kSoon, present(s.mnt / "tags/ship/Benchy (remix)/models/Benchy v2.stl"));
  CHECK_SOON(*d, kSoon, listing(s.mnt / "tags/ship") == std::set<std::string>{"Benchy (remix)"});
  CHECK(listing(s.mnt / "projects") == std::set<std::string>{"Benchy (remix)", "Empty", "Gears", "Vase"});
  CHECK(api.asset(hull_id)["project"] == benchy);
  CHECK(api.asset(hull_id)["tags"] == json::array({"boat"}));
  CHECK_SOON(*d, kSoon, present(s.mnt / "tags/boat/Benchy (remix) - Benchy v2.stl"));

  // A file moved to another project keeps its id (and its tag).
  auto vase = api.asset("Vase", "vase.3mf");
  REQUIRE(vase.is_object());
  const auto vase_id = vase["id"].get<std::int64_t>();
  REQUIRE(api.put("/api/v1/assets/" + std::to_string(vase_id) + "/tags/round"));
  stdfs::rename(s.lib / "Vase/vase.3mf", s.lib / "Gears/vase.3mf");
  CHECK_SOON(*d, kSoon, text_of(api.asset(vase_id), "project_name") == "Gears");
  CHECK(api.asset(vase_id)["path"] == "vase.3mf");
  CHECK(api.asset(vase_id)["state"] == "live");
  CHECK(api.asset(vase_id)["tags"] == json::array({"round"}));
  CHECK(api.asset("Vase", "vase.3mf").is_null());
  CHECK_SOON(*d, kSoon, present(s.mnt / "projects/Gears/vase.3mf"));
  CHECK_SOON(*d, kSoon, listing(s.mnt / "tags/round") == std::set<std::string>{"Gears - vase.3mf"});
  CHECK(inventory(api)["tombstoned_assets"] == 0);
}

TEST_CASE("live sync: cp -r of 2000 files into the library is indexed in a handful of runs", "[live]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  const auto source = s.root / "outside/New";
  constexpr int kFiles = 2000, kDirs = 20;
  for (int i = 0; i < kFiles; ++i)
    write_file(source / ("dir-" + std::to_string(i % kDirs)) / ("part-" + std::to_string(i) + ".stl"),
               "solid p" + std::to_string(i) + "\n" + lima::test::random_bytes(64, 1000 + i));
  auto d = serve(s);
  Api api(d->api_url());
  REQUIRE_SOON(*d, kSoon, api.watcher()["state"] == "watching");
  const auto before = api.last_run_id();
  REQUIRE(before > 0);  // the startup sync

  const auto start = Clock::now();
  const auto copied = sh("cp -r " + quoted(source) + " " + quoted(s.lib / "New"));
  REQUIRE(copied.exit_code == 0);
  REQUIRE_SOON(*d, 20s, api.asset_count("New") == kFiles);
  const auto took = Clock::now() - start;
  CHECK_SOON(*d, kSoon, sh("find " + quoted(s.mnt / "projects/New") + " -type l | wc -l").output == "2000\n");
  CHECK(present(s.mnt / "projects/New/dir-7/part-1987.stl"));
  CHECK(brief(api.asset("New", "dir-7/part-1987.stl")) == on_disk(s.lib / "New/dir-7/part-1987.stl"));

  // Once the watcher has nothing left to do, count its runs for the copy.
  CHECK_SOON(*d, kSoon, (api.watcher()["pending_dirs"] == 0 && api.watcher()["files_being_written"] == 0));
  const auto runs = api.runs_after(before);
  const auto by_watcher =
      std::count_if(runs.begin(), runs.end(), [](const json& r) { return r["trigger"] == "watcher"; });
  INFO("indexed in " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                     << " ms, runs: " << json(runs).dump());
  CHECK(by_watcher >= 1);
  CHECK(by_watcher <= 20);
  CHECK(runs.size() == static_cast<std::size_t>(by_watcher));
}

TEST_CASE("live sync: a file is indexed when its writer closes it, never half-written", "[live]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  auto d = serve(s);
  Api api(d->api_url());
  REQUIRE_SOON(*d, kSoon, api.watcher()["state"] == "watching");

  const auto fresh = s.lib / "Vase/slow.stl";  // a new file
  const auto rewritten = s.lib / "Benchy/models/3DBenchy.stl";  // an existing one, written anew
  const auto fresh_bytes = lima::test::random_bytes(40000, 41), rewritten_bytes = lima::test::random_bytes(30000, 42);
  const json old_record = on_disk(rewritten);
  REQUIRE(brief(api.asset("Benchy", "models/3DBenchy.stl")) == old_record);

  struct Fd {
    int fd;
    ~Fd() {
      if (fd >= 0) ::close(fd);
    }
  } a{::open(fresh.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)},
      b{::open(rewritten.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC)};
  REQUIRE(a.fd >= 0);
  REQUIRE(b.fd >= 0);
  auto write_part = [](int fd, const std::string& bytes, std::size_t from, std::size_t to) {
    return ::write(fd, bytes.data() + from, to - from) == static_cast<ssize_t>(to - from);
  };
  REQUIRE(write_part(a.fd, fresh_bytes, 0, fresh_bytes.size() / 2));
  REQUIRE(write_part(b.fd, rewritten_bytes, 0, rewritten_bytes.size() / 2));
  const auto t0 = Clock::now();

  // Files written and closed beside them meanwhile: both folders are
  // rescanned while the writers still have their files open.
  write_file(s.lib / "Vase/beside.stl", lima::test::random_bytes(500, 43));
  write_file(s.lib / "Benchy/models/beside.stl", lima::test::random_bytes(500, 44));
  CHECK_SOON(*d, 2s,
             (!api.asset("Vase", "beside.stl").is_null() && !api.asset("Benchy", "models/beside.stl").is_null()));
  CHECK(present(s.mnt / "projects/Vase/beside.stl"));

  auto held_back = [&] {
    INFO("after " << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count() << " ms");
    CHECK(api.asset("Vase", "slow.stl").is_null());
    CHECK_FALSE(present(s.mnt / "projects/Vase/slow.stl"));
    CHECK(brief(api.asset("Benchy", "models/3DBenchy.stl")) == old_record);
    CHECK(present(s.mnt / "projects/Benchy/models/3DBenchy.stl"));
    CHECK(api.watcher()["files_being_written"] == 2);
  };
  std::this_thread::sleep_until(t0 + 1s);
  held_back();
  std::this_thread::sleep_until(t0 + 2500ms);
  held_back();

  std::this_thread::sleep_until(t0 + 3s);
  REQUIRE(write_part(a.fd, fresh_bytes, fresh_bytes.size() / 2, fresh_bytes.size()));
  REQUIRE(write_part(b.fd, rewritten_bytes, rewritten_bytes.size() / 2, rewritten_bytes.size()));
  ::close(std::exchange(a.fd, -1));
  ::close(std::exchange(b.fd, -1));
  REQUIRE(read_file(fresh) == fresh_bytes);
  // Well before the 10 s a silent writer is given: the close is what counts.
  CHECK_SOON(*d, kSoon, brief(api.asset("Vase", "slow.stl")) == on_disk(fresh));
  CHECK_SOON(*d, kSoon, brief(api.asset("Benchy", "models/3DBenchy.stl")) == on_disk(rewritten));
  CHECK(brief(api.asset("Benchy", "models/3DBenchy.stl"))["size"] == 30000);
  CHECK(present(s.mnt / "projects/Vase/slow.stl"));
  CHECK(read_file(s.mnt / "projects/Benchy/models/3DBenchy.stl") == rewritten_bytes);
  CHECK_SOON(*d, kSoon, api.watcher()["files_being_written"] == 0);
}

TEST_CASE("live sync: a library moved away is offline, the mount keeps it, it catches up when back", "[live]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  auto d = serve(s);
  Api api(d->api_url());
  REQUIRE_SOON(*d, kSoon, api.watcher()["state"] == "watching");
  auto before = inventory(api);
  REQUIRE(before["assets"] == 8);
  const auto last_run = api.last_run_id();
  const std::set<std::string> projects{"Benchy", "Empty", "Gears", "Vase"};

  const auto away = s.root / "Models.away";
  stdfs::rename(s.lib, away);
  CHECK_SOON(*d, kSoon, api.library()["online"] == false);
  CHECK(api.watcher()["state"] == "offline");
  CHECK(text_of(api.library(), "offline_reason").find(s.lib.string()) != std::string::npos);
  CHECK_FALSE(text_of(api.library(), "offline_since").empty());
  CHECK_SOON(*d, kSoon, read_file(s.mnt / ".limafs/status").find("library online: no") != std::string::npos);
  {
    const auto st = run_limafs({"status", "--api", d->api_url()}, std::nullopt, 30);
    CHECK(st.exit_code == 0);
    CHECK(st.out.find("(OFFLINE)") != std::string::npos);
    CHECK(st.out.find("is gone") != std::string::npos);
    CHECK(st.out.find("watcher   offline") != std::string::npos);
  }
  // The mount serves the last index; nothing was removed.
  CHECK(listing(s.mnt / "projects") == projects);
  CHECK(present(s.mnt / "projects/Benchy/models/parts/hull/hull.stl"));
  CHECK(stdfs::read_symlink(s.mnt / "projects/Vase/vase.3mf") == s.lib / "Vase/vase.3mf");
  CHECK(inventory(api) == before);
  CHECK_FALSE(api.asset("Gears", "set/large/gear-40.stl").is_null());

  // Changed while away, then back.
  write_file(away / "Vase/while-away.stl", lima::test::random_bytes(2500, 51));
  stdfs::rename(away, s.lib);
  CHECK_SOON(*d, kSoon, api.library()["online"] == true);
  CHECK_SOON(*d, kSoon, brief(api.asset("Vase", "while-away.stl")) == on_disk(s.lib / "Vase/while-away.stl"));
  CHECK_SOON(*d, kSoon, present(s.mnt / "projects/Vase/while-away.stl"));
  CHECK_SOON(*d, kSoon, inventory(api) == with_assets(before, 1));
  CHECK(read_file(s.mnt / ".limafs/status").find("library online: yes") != std::string::npos);
  // And watched again.
  REQUIRE_SOON(*d, kSoon, caught_up(api, last_run));
  write_file(s.lib / "Gears/after.stl", lima::test::random_bytes(900, 52));
  CHECK_SOON(*d, kSoon, present(s.mnt / "projects/Gears/after.stl"));
  CHECK_SOON(*d, kSoon, brief(api.asset("Gears", "after.stl")) == on_disk(s.lib / "Gears/after.stl"));
  CHECK_SOON(*d, kSoon, inventory(api) == with_assets(before, 2));
}

TEST_CASE("live sync: a library whose disk is unmounted is offline, keeps everything, syncs when back", "[live]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  BoundLibrary bound(s);
  RETURN_WITHOUT_BIND_MOUNT(bound);

  auto d = serve(s);
  Api api(d->api_url());
  REQUIRE_SOON(*d, kSoon, api.watcher()["state"] == "watching");
  auto before = inventory(api);
  REQUIRE(before["assets"] == 8);
  const auto last_run = api.last_run_id();
  const std::set<std::string> projects{"Benchy", "Empty", "Gears", "Vase"};

  REQUIRE(bound.unbind());
  REQUIRE(stdfs::is_empty(s.lib));
  CHECK_SOON(*d, kSoon, api.library()["online"] == false);
  CHECK(api.watcher()["state"] == "offline");
  CHECK(text_of(api.library(), "offline_reason").find("empty") != std::string::npos);
  CHECK_SOON(*d, kSoon, read_file(s.mnt / ".limafs/status").find("library online: no") != std::string::npos);
  CHECK(listing(s.mnt / "projects") == projects);
  CHECK(present(s.mnt / "projects/Gears/set/small/gear-10.stl"));
  CHECK(inventory(api) == before);

  write_file(bound.disk() / "Benchy/while-unmounted.stl", lima::test::random_bytes(1200, 61));
  REQUIRE(bound.bind());
  CHECK_SOON(*d, kSoon, api.library()["online"] == true);
  CHECK_SOON(*d, kSoon,
             brief(api.asset("Benchy", "while-unmounted.stl")) == on_disk(s.lib / "Benchy/while-unmounted.stl"));
  CHECK_SOON(*d, kSoon, present(s.mnt / "projects/Benchy/while-unmounted.stl"));
  CHECK_SOON(*d, kSoon, inventory(api) == with_assets(before, 1));
  REQUIRE_SOON(*d, kSoon, caught_up(api, last_run));
  write_file(s.lib / "Vase/remounted.stl", lima::test::random_bytes(700, 62));
  CHECK_SOON(*d, kSoon, present(s.mnt / "projects/Vase/remounted.stl"));
  CHECK_SOON(*d, kSoon, inventory(api) == with_assets(before, 2));
}

TEST_CASE("live sync: events lost to a full inotify queue are made up by a full sync", "[live]") {
  RETURN_WITHOUT_FUSE();
  const auto queue = lima::test::inotify_queue_limit();
  if (!queue || *queue > 200000) LIMA_SKIP("the inotify queue is too large to fill here");
  Setup s;
  auto d = serve(s);
  Api api(d->api_url());
  REQUIRE_SOON(*d, kSoon, api.watcher()["state"] == "watching");
  const auto before = inventory(api);
  // Stopped, the daemon reads no event: enough files to fill its queue (two
  // events each) and then a new folder get lost in the overflow.
  REQUIRE(::kill(d->pid(), SIGSTOP) == 0);
  const std::size_t files = *queue / 2 + 500;
  for (std::size_t i = 0; i < files; ++i) write_file(s.lib / ("Gears/flood-" + std::to_string(i) + ".stl"), "");
  write_file(s.lib / "Gears/late/last.stl", lima::test::random_bytes(700, 91));
  REQUIRE(::kill(d->pid(), SIGCONT) == 0);
  CHECK_SOON(*d, 60s, api.watcher()["overflows"].get<int>() >= 1);
  CHECK_SOON(*d, 60s, inventory(api) == with_assets(before, static_cast<int>(files + 1)));
  CHECK(present(s.mnt / "projects/Gears/late/last.stl"));
  // The folder created during the overflow is watched too.
  write_file(s.lib / "Gears/late/after.stl", lima::test::random_bytes(600, 92));
  CHECK_SOON(*d, kSoon, present(s.mnt / "projects/Gears/late/after.stl"));
}

TEST_CASE("live sync: with too few inotify watches the library is synced periodically, and status says why", "[live]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  auto d = serve(s, {"--max-watches", "2", "--poll-interval", "1s"});
  Api api(d->api_url());
  REQUIRE_SOON(*d, kSoon, api.watcher()["state"] == "periodic");
  auto w = api.watcher();
  INFO(w.dump());
  CHECK(text_of(w, "reason").find("--max-watches 2") != std::string::npos);
  CHECK(w["watch_limit"] == 2);
  CHECK(w["poll_interval_s"] == 1);
  CHECK(read_file(s.mnt / ".limafs/status").find("watcher: periodic sync every 1 s") != std::string::npos);

  write_file(s.lib / "Gears/set/small/gear-12.stl", lima::test::random_bytes(1700, 71));
  CHECK_SOON(*d, kSoon, present(s.mnt / "projects/Gears/set/small/gear-12.stl"));
  CHECK_SOON(*d, kSoon,
             brief(api.asset("Gears", "set/small/gear-12.stl")) == on_disk(s.lib / "Gears/set/small/gear-12.stl"));
  CHECK(api.watcher()["state"] == "periodic");
}

TEST_CASE("live sync: a library on a FUSE filesystem is synced periodically, and status names fuse", "[live]") {
  RETURN_WITHOUT_FUSE();
  Setup a;
  auto da = serve(a);
  // Daemon B serves A's view of the projects: a FUSE directory (whose files
  // are links, so B indexes folders only).
  const auto mnt_b = a.root / "mnt-b";
  stdfs::create_directories(mnt_b);
  auto db = std::make_unique<Daemon>(std::vector<std::string>{(a.mnt / "projects").string(), mnt_b.string(), "--state",
                                                              (a.root / "state-b").string(), "--listen", "127.0.0.1:0"},
                                     mnt_b, a.root / "daemon-b.err");
  REQUIRE(db->serving());
  Api b(db->api_url());
  REQUIRE_SOON(*db, kSoon, b.watcher()["state"] == "periodic");
  const auto reason = text_of(b.watcher(), "reason");
  INFO(reason);
  CHECK(reason.find("fuse") != std::string::npos);
  CHECK(b.library()["online"] == true);
  CHECK(listing(mnt_b / "projects") == std::set<std::string>{"Benchy", "Empty", "Gears", "Vase"});
  CHECK(read_file(mnt_b / ".limafs/status").find("watcher: periodic sync every 60 s (") != std::string::npos);
  CHECK(db->stop() == 0);
  CHECK(Api(da->api_url()).watcher()["state"] == "watching");
}

TEST_CASE("live sync: a file written just before the library's disk is unmounted removes nothing", "[live]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  BoundLibrary bound(s);
  RETURN_WITHOUT_BIND_MOUNT(bound);
  auto d = serve(s);
  Api api(d->api_url());
  REQUIRE_SOON(*d, kSoon, api.watcher()["state"] == "watching");
  auto before = inventory(api);
  REQUIRE(before["assets"] == 8);

  // `cp x LIB/Vase/ && umount LIB`: the folder's rescan comes due after the
  // disk is gone, on a root that is now an empty folder of the same device.
  write_file(s.lib / "Vase/last.stl", lima::test::random_bytes(800, 81));
  REQUIRE(bound.unbind());
  CHECK_SOON(*d, kSoon, api.library()["online"] == false);
  CHECK_SOON(*d, kSoon, api.watcher()["state"] == "offline");
  INFO("daemon log:\n" << d->log());
  CHECK(inventory(api) == before);
  CHECK(listing(s.mnt / "projects") == std::set<std::string>{"Benchy", "Empty", "Gears", "Vase"});
  CHECK(present(s.mnt / "projects/Vase/vase.3mf"));
  CHECK(api.project_id("Vase") > 0);

  REQUIRE(bound.bind());
  CHECK_SOON(*d, kSoon, api.library()["online"] == true);
  CHECK_SOON(*d, kSoon, brief(api.asset("Vase", "last.stl")) == on_disk(s.lib / "Vase/last.stl"));
  CHECK_SOON(*d, kSoon, inventory(api) == with_assets(before, 1));
}

TEST_CASE("live sync: the status counts agree with the assets the API lists after a change", "[live]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  auto d = serve(s);
  Api api(d->api_url());
  REQUIRE_SOON(*d, kSoon, api.watcher()["state"] == "watching");
  const auto base = api.counts()["assets"].get<std::int64_t>();
  const auto vase = api.project_id("Vase");
  REQUIRE(vase > 0);
  // A client that saw a new asset and then asks for the status gets the
  // counts of an index that holds it, while a monitor polls the status.
  // (Files one at a time, each its own sync: a stale answer shows within a
  // few dozen.)
  for (int i = 1; i <= 150; ++i) {
    INFO("file " << i);
    const auto name = "new-" + std::to_string(i) + ".stl";
    write_file(s.lib / "Vase" / name, lima::test::random_bytes(100 + i, 90 + i));
    const auto deadline = Clock::now() + kSoon;
    while (member(api.get("/api/v1/projects/" + std::to_string(vase) + "/assets?path=" + name), "items").empty()) {
      if (Clock::now() > deadline) FAIL("not indexed in time:\n" << d->log());
      (void)api.status();
      std::this_thread::sleep_for(1ms);
    }
    const auto assets = api.counts()["assets"];
    if (assets != base + i) {
      CHECK(assets == base + i);
      break;
    }
  }
}

TEST_CASE("live sync: uploads answer 201 with the asset every time while the library is watched, also many at once",
          "[live][upload]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  auto d = serve(s);  // the defaults: watching
  Api api(d->api_url());
  REQUIRE_SOON(*d, kSoon, api.watcher()["state"] == "watching");
  const auto vase = api.project_id("Vase");
  REQUIRE(vase);

  auto upload = [&](const std::string& path, const std::string& bytes) {
    httplib::Client c(d->api_url());
    c.set_read_timeout(30);
    return c.Post("/api/v1/projects/" + std::to_string(vase) + "/assets?path=" + url_encode(path), bytes,
                  "application/octet-stream");
  };

  // One after the other, into the project folder and into new folders.
  for (int i = 0; i < 5; ++i) {
    const auto path = (i % 2 ? "parts/clean" : "clean") + std::to_string(i) + ".stl";
    const auto bytes = "solid x" + std::to_string(i);
    auto r = upload(path, bytes);
    REQUIRE(r);
    INFO(path << ": " << r->body << "\ndaemon log:\n" << d->log());
    REQUIRE(r->status == 201);
    const auto a = json::parse(r->body);
    CHECK(a["path"] == path);
    CHECK(a["size"] == bytes.size());
    // Indexed and visible when the call returns: no wait.
    CHECK(present(s.mnt / "projects/Vase" / path));
    CHECK(brief(api.asset("Vase", path)) == on_disk(s.lib / "Vase" / path));
  }

  // Many at once, while files are also being written by hand beside them.
  constexpr int kUploads = 16;
  std::vector<int> statuses(kUploads, 0);
  std::vector<std::thread> clients;
  for (int i = 0; i < kUploads; ++i)
    clients.emplace_back([&, i] {
      auto r = upload("burst/up" + std::to_string(i) + ".stl", lima::test::random_bytes(20000, 100 + i));
      statuses[i] = r ? r->status : -1;
    });
  for (int i = 0; i < 20; ++i) write_file(s.lib / "Vase/burst" / ("hand" + std::to_string(i) + ".stl"), "solid h");
  for (auto& t : clients) t.join();
  INFO("daemon log:\n" << d->log());
  CHECK(statuses == std::vector<int>(kUploads, 201));
  for (int i = 0; i < kUploads; ++i)
    CHECK(present(s.mnt / "projects/Vase/burst" / ("up" + std::to_string(i) + ".stl")));

  // Nothing the daemon wrote is left among the files being written, and a
  // retry of the same path is a conflict, not a second file.
  CHECK_SOON(*d, kSoon, member(api.watcher(), "files_being_written") == 0);
  auto again = upload("clean0.stl", "solid y");
  REQUIRE(again);
  CHECK(again->status == 409);
}

TEST_CASE("start-up: a library indexed before is served at once, and the start-up sync brings in what changed meanwhile",
          "[live]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  {
    // The first time, the index is made before the view is served.
    auto first = serve(s);
    const std::string log = first->log();
    CHECK(log.find("while it is synced") == std::string::npos);
    CHECK(log.find("limafs: sync ok") < log.find("limafs: serving "));
  }
  // Changed while no daemon ran.
  write_file(s.lib / "Vase/added.stl", lima::test::random_bytes(3000, 40));
  stdfs::remove(s.lib / "Vase/notes.md");

  auto d = serve(s);  // serving, and the start-up sync ended
  const std::string log = d->log();
  const auto served = log.find("while it is synced"), synced = log.find("limafs: sync ok");
  REQUIRE(served != std::string::npos);
  REQUIRE(synced != std::string::npos);
  CHECK(served < synced);
  CHECK(present(s.mnt / "projects/Vase/added.stl"));
  CHECK_FALSE(present(s.mnt / "projects/Vase/notes.md"));
  Api api(d->api_url());
  CHECK(api.asset("Vase", "notes.md").is_null());
  CHECK(brief(api.asset("Vase", "added.stl")) == on_disk(s.lib / "Vase/added.stl"));
}
