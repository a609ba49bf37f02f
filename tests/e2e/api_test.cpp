// The control API and its client commands as a user meets them: the real
// daemon serves both the mount and the API; `limafs tag` and friends find
// it by themselves; what they change shows in the mount when they return;
// metadata survives a lost index through export and import.
#include <catch2/catch.hpp>

#include <httplib.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "e2e/daemon_fixture.h"

using namespace lima::e2e;
using nlohmann::json;

namespace {

// A private runtime directory for the daemon registry, so daemons of other
// tests running at the same time are not seen.
struct PrivateRuntime {
  explicit PrivateRuntime(const stdfs::path& dir) {
    stdfs::create_directories(dir);
    stdfs::permissions(dir, stdfs::perms::owner_all);
    ::setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
  }
  ~PrivateRuntime() { ::unsetenv("XDG_RUNTIME_DIR"); }
};

bool present(const stdfs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

json get_json(const std::string& url, const std::string& path, const std::string& token = {}) {
  httplib::Client c(url);
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  auto r = c.Get(path, h);
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  return json::parse(r->body);
}

}  // namespace

TEST_CASE("client commands find the daemon, and what they change shows in the mount when they return", "[api]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  write_file(s.lib / "benchy loose.stl", "solid loose");  // a loose file, in no project
  PrivateRuntime runtime(s.root / "run");
  auto d = s.start({"--listen", "127.0.0.1:0"});
  REQUIRE(d->serving());
  const auto url = d->api_url();
  REQUIRE(url.starts_with("http://127.0.0.1:"));

  auto status = run_limafs({"status"});
  INFO(status.err);
  REQUIRE(status.exit_code == 0);
  CHECK(status.out.find(s.lib.string() + " (online)") != std::string::npos);
  CHECK(status.out.find(s.mnt.string() + " (mounted)") != std::string::npos);
  CHECK(status.out.find(url) != std::string::npos);
  CHECK(read_file(s.mnt / ".limafs/status").find("api: " + url + "\n") != std::string::npos);

  // Tag, then look through the mount at once: no sleep, no retry.
  auto tag = run_limafs({"tag", "Benchy", "boat", "pla"});
  REQUIRE(tag.exit_code == 0);
  CHECK(tag.out == "Benchy: boat, pla\n");
  CHECK(stdfs::read_symlink(s.mnt / "tags/boat/+pla/Benchy/README.md") == s.lib / "Benchy/README.md");
  REQUIRE(run_limafs({"tag", "Vase/vase.3mf", "boat"}).exit_code == 0);
  CHECK(present(s.mnt / "tags/boat/Vase - vase.3mf"));
  // Benchy carries pla and the vase does not: "+pla" narrows.
  CHECK(listing(s.mnt / "tags/boat") == std::set<std::string>{"+pla", "Benchy", "Vase - vase.3mf"});

  REQUIRE(run_limafs({"untag", "Benchy", "boat"}).exit_code == 0);
  CHECK_FALSE(present(s.mnt / "tags/boat/Benchy"));
  CHECK(listing(s.mnt / "tags/boat") == std::set<std::string>{"Vase - vase.3mf"});
  CHECK(present(s.mnt / "tags/pla/Benchy"));

  auto created = run_limafs({"collection", "create", "Boats", "Vase", "Benchy"});
  REQUIRE(created.exit_code == 0);
  CHECK(listing(s.mnt / "collections/Boats") == std::set<std::string>{"Benchy", "Vase"});
  REQUIRE(run_limafs({"collection", "remove", "Boats", "Vase"}).exit_code == 0);
  CHECK(listing(s.mnt / "collections/Boats") == std::set<std::string>{"Benchy"});
  REQUIRE(run_limafs({"collection", "rename", "Boats", "Ships"}).exit_code == 0);
  CHECK_FALSE(present(s.mnt / "collections/Boats"));
  CHECK(present(s.mnt / "collections/Ships/Benchy"));

  // Straight through the API too: a tag rename shows at once.
  {
    httplib::Client c(url);
    auto r = c.Patch("/api/v1/tags/pla", R"({"name":"petg"})", "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    CHECK_FALSE(present(s.mnt / "tags/pla"));
    CHECK(present(s.mnt / "tags/petg/Benchy"));
  }

  auto search = run_limafs({"search", "bench"});
  CHECK(search.exit_code == 0);
  CHECK(search.out.find("project  Benchy  [name]\n") != std::string::npos);
  CHECK(search.out.find("file     Benchy/models/3DBenchy.stl  [name]\n") != std::string::npos);
  CHECK(search.out.find("file     benchy loose.stl  [name]\n") != std::string::npos);  // without a leading slash

  auto sync = run_limafs({"sync"});
  CHECK(sync.exit_code == 0);
  CHECK(sync.out.starts_with("sync run "));
  CHECK(sync.out.find(": ok (") != std::string::npos);

  // Errors: one line, non-zero exit, nothing changed.
  auto missing = run_limafs({"tag", "Nope", "x"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err == "limafs: no project named 'Nope'\n");
  auto bad = run_limafs({"tag", "Benchy", "a/b"});
  CHECK(bad.exit_code == 1);
  CHECK(is_one_line(bad.err));
  CHECK(bad.err.find("invalid_argument") != std::string::npos);
  CHECK_FALSE(present(s.mnt / "tags/a"));
  // A name the API refuses says why, on one line (the newline shown as \n).
  auto two_lines = run_limafs({"tag", "Benchy", "line1\nline2"});
  CHECK(two_lines.exit_code == 1);
  CHECK(is_one_line(two_lines.err));
  CHECK(two_lines.err.find("tag name 'line1\\nline2' contains a control character") != std::string::npos);
  auto blank = run_limafs({"collection", "create", "   "});
  CHECK(blank.exit_code == 1);
  CHECK(blank.err.find("collection name '   ' is only white space") != std::string::npos);
  CHECK(listing(s.mnt / "collections") == std::set<std::string>{"Ships"});
  auto usage = run_limafs({"tag", "Benchy"});
  CHECK(usage.exit_code == 2);

  auto js = run_limafs({"status", "--json"});
  REQUIRE(js.exit_code == 0);
  CHECK(json::parse(js.out)["counts"]["projects"] == 4);

  REQUIRE(d->stop() == 0);
  auto gone = run_limafs({"status"});
  CHECK(gone.exit_code == 1);
  CHECK(gone.err.find("no limafs daemon is running") != std::string::npos);
  CHECK(stdfs::is_empty(s.root / "run/limafs"));
}

TEST_CASE("export, lose the index, rename a folder, import: every tag, collection and note comes back", "[api]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  PrivateRuntime runtime(s.root / "run");
  const auto backup_file = s.root / "metadata.json";
  {
    auto d = s.start({"--listen", "127.0.0.1:0"});
    REQUIRE(d->serving());
    REQUIRE(run_limafs({"tag", "Benchy", "boat", "pla"}).exit_code == 0);
    REQUIRE(run_limafs({"tag", "Gears/set/large/gear-40.stl", "big"}).exit_code == 0);
    REQUIRE(run_limafs({"collection", "create", "Queue", "Vase", "Benchy"}).exit_code == 0);
    httplib::Client c(d->api_url());
    const auto benchy = get_json(d->api_url(), "/api/v1/projects?name=Benchy")["items"][0]["id"].get<int>();
    auto r = c.Patch("/api/v1/projects/" + std::to_string(benchy), R"({"note":"print at 0.2 mm"})", "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    auto exported = run_limafs({"export", backup_file.string()});
    REQUIRE(exported.exit_code == 0);
    REQUIRE(d->stop() == 0);
    // The daemon also kept an automatic export.
    CHECK_FALSE(stdfs::is_empty(s.state / "backups"));
  }
  stdfs::remove_all(s.state);
  stdfs::rename(s.lib / "Benchy", s.lib / "Benchy (remix)");

  auto d = s.start({"--listen", "127.0.0.1:0"});
  REQUIRE(d->serving());
  CHECK_FALSE(present(s.mnt / "tags/boat"));
  auto imported = run_limafs({"import", backup_file.string()});
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  CHECK(imported.out.find("projects  2 matched, 0 unmatched") != std::string::npos);
  CHECK(imported.out.find("files     1 matched, 0 unmatched") != std::string::npos);
  // Visible in the mount when the import returns.
  CHECK(present(s.mnt / "tags/boat/+pla/Benchy (remix)"));
  CHECK(present(s.mnt / "tags/big/Gears - gear-40.stl"));
  CHECK(listing(s.mnt / "collections/Queue") == std::set<std::string>{"Benchy (remix)", "Vase"});
  const auto project = get_json(d->api_url(), "/api/v1/projects?name=Benchy%20%28remix%29")["items"][0];
  const auto detail = get_json(d->api_url(), "/api/v1/projects/" + std::to_string(project["id"].get<int>()));
  CHECK(detail["note"] == "print at 0.2 mm");
  const auto order = get_json(d->api_url(), "/api/v1/collections/1")["projects"];
  REQUIRE(order.size() == 2);
  CHECK(order[0]["name"] == "Vase");
  CHECK(order[1]["name"] == "Benchy (remix)");
  // A second import changes nothing.
  auto again = run_limafs({"import", backup_file.string()});
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("0 tags added, 0 notes, 0 main images, 0 collections created, 0 members added") !=
        std::string::npos);
}

TEST_CASE("with two daemons the client asks which one, and --library picks it", "[api]") {
  RETURN_WITHOUT_FUSE();
  Setup a, b;
  PrivateRuntime runtime(a.root / "run");
  auto da = a.start({"--listen", "127.0.0.1:0"});
  auto db = b.start({"--listen", "127.0.0.1:0"});
  REQUIRE(da->serving());
  REQUIRE(db->serving());
  auto which = run_limafs({"status"});
  CHECK(which.exit_code == 2);
  CHECK(is_one_line(which.err));
  CHECK(which.err.find("2 limafs daemons are running") != std::string::npos);
  CHECK(which.err.find("--library") != std::string::npos);
  auto picked = run_limafs({"tag", "Benchy", "only-b", "--library", b.lib.string()});
  REQUIRE(picked.exit_code == 0);
  CHECK(present(b.mnt / "tags/only-b/Benchy"));
  CHECK_FALSE(present(a.mnt / "tags/only-b"));
  // The mountpoint names the daemon as well as the library does.
  auto by_mount = run_limafs({"status", "--library", a.mnt.string()});
  CHECK(by_mount.exit_code == 0);
  CHECK(by_mount.out.find(a.lib.string()) != std::string::npos);
  auto direct = run_limafs({"status", "--api", db->api_url()});
  CHECK(direct.exit_code == 0);
  CHECK(direct.out.find(b.lib.string()) != std::string::npos);
}

TEST_CASE("a non-loopback API needs a token, and then every request must carry it", "[api]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  PrivateRuntime runtime(s.root / "run");
  auto refused = run_limafs({"mount", s.lib.string(), s.mnt.string(), "--state", s.state.string(), "--listen",
                             "0.0.0.0:0"});
  CHECK(refused.exit_code == 2);
  CHECK(is_one_line(refused.err));
  CHECK(refused.err.find("--token-file") != std::string::npos);
  CHECK(mounts_on(s.mnt) == 0);

  const std::string token = "correct-horse-battery-staple";
  write_file(s.root / "token", token + "\n");
  auto d = s.start({"--listen", "0.0.0.0:0", "--token-file", (s.root / "token").string()});
  REQUIRE(d->serving());
  const auto port = d->api_url().substr(d->api_url().rfind(':') + 1);
  httplib::Client c("http://127.0.0.1:" + port);
  auto none = c.Get("/api/v1/status");
  REQUIRE(none);
  CHECK(none->status == 401);
  CHECK(none->get_header_value("WWW-Authenticate") == "Bearer");
  CHECK(json::parse(none->body)["error"]["code"] == "unauthorized");
  auto wrong = c.Get("/api/v1/status", {{"Authorization", "Bearer nope"}});
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  auto wrong_put = c.Put("/api/v1/projects/1/tags/x", {{"Authorization", "Bearer nope"}}, "", "application/json");
  REQUIRE(wrong_put);
  CHECK(wrong_put->status == 401);
  CHECK_FALSE(present(s.mnt / "tags/x"));
  CHECK(get_json("http://127.0.0.1:" + port, "/api/v1/status", token)["library"]["online"] == true);
  // The client finds the token through the daemon's registration.
  auto tagged = run_limafs({"tag", "Benchy", "x"});
  INFO(tagged.err);
  CHECK(tagged.exit_code == 0);
  CHECK(present(s.mnt / "tags/x/Benchy"));
}
