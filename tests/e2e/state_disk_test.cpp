// A state directory whose disk is full: the scan, the API and the metadata
// backups say so in words, name the directory, and change nothing.
#include <catch2/catch.hpp>

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "e2e/daemon_fixture.h"

using namespace lima::e2e;
using nlohmann::json;

namespace {

constexpr const char* kNoSpace = "no space left on the state directory's filesystem (";

/// The state directory of `s` on a small disk of its own (a tmpfs of
/// `size`), unmounted when destroyed. Root only: ok() says whether it is.
struct SmallStateDisk {
  std::optional<lima::test::TmpfsMount> disk;
  SmallStateDisk(const Setup& s, const std::string& size) {
    if (::geteuid() != 0) {
      lima::test::skip_test("needs root to mount a small tmpfs");
      return;
    }
    stdfs::create_directories(s.state);
    disk.emplace(s.state, size);
    REQUIRE(disk->ok());
  }
  bool ok() const { return disk && disk->ok(); }
};

}  // namespace

TEST_CASE("a scan on a full state disk says so and names the state directory", "[state]") {
  Setup s;
  SmallStateDisk disk(s, "4m");
  if (!disk.ok()) return;
  REQUIRE(run_limafs({"scan", s.lib.string(), "--state", s.state.string()}).exit_code == 0);
  lima::test::fill_filesystem(s.state / "filler");
  for (int i = 0; i < 3000; ++i)
    write_file(s.lib / "Many" / ("part-" + std::to_string(i) + ".stl"), "solid " + std::to_string(i));

  auto o = run_limafs({"scan", s.lib.string(), "--state", s.state.string()});
  INFO(o.out << o.err);
  CHECK(o.exit_code != 0);
  CHECK((o.out + o.err).find(kNoSpace + s.state.string() + ")") != std::string::npos);
  CHECK((o.out + o.err).find("Input/output error") == std::string::npos);

  // Room again: the next scan does the work.
  stdfs::remove(s.state / "filler");
  auto again = run_limafs({"scan", s.lib.string(), "--state", s.state.string(), "--json"});
  INFO(again.err);
  CHECK(again.exit_code == 0);
}

TEST_CASE("API edits on a full state disk answer 507 insufficient_storage and change nothing", "[state]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  SmallStateDisk disk(s, "8m");
  if (!disk.ok()) return;
  auto d = s.start({"--listen", "127.0.0.1:0"});
  REQUIRE(d->serving());
  httplib::Client api(d->api_url());
  api.set_read_timeout(30);
  auto benchy = json::parse(api.Get("/api/v1/projects?name=Benchy")->body)["items"][0]["id"].get<std::int64_t>();
  const std::string tags = "/api/v1/projects/" + std::to_string(benchy) + "/tags/";
  REQUIRE(api.Put(tags + "before", "", "application/json")->status == 200);
  lima::test::fill_filesystem(s.state / "filler");

  // Tags until the index needs room it cannot get.
  int status = 200;
  std::string body, failed;
  for (int i = 0; i < 5000 && status == 200; ++i) {
    failed = "t" + std::to_string(i) + "-" + std::string(150, 'x');
    auto r = api.Put(tags + failed, "", "application/json");
    REQUIRE(r);
    status = r->status;
    body = r->body;
  }
  INFO(body);
  REQUIRE(status == 507);
  const auto err = json::parse(body)["error"];
  CHECK(err["code"] == "insufficient_storage");
  CHECK(err["message"].get<std::string>().find(kNoSpace + s.state.string() + ")") != std::string::npos);
  // Nothing of the refused edit; everything before it; the daemon serves on.
  auto tagged = json::parse(api.Get("/api/v1/projects/" + std::to_string(benchy))->body)["tags"];
  CHECK(std::find(tagged.begin(), tagged.end(), failed) == tagged.end());
  CHECK(std::find(tagged.begin(), tagged.end(), "before") != tagged.end());
  CHECK_FALSE(stdfs::exists(s.mnt / "tags" / failed));
  CHECK(stdfs::exists(s.mnt / "tags/before/Benchy"));
  CHECK(api.Get("/api/v1/status")->status == 200);
  CHECK(d->log().find(kNoSpace) != std::string::npos);  // and in the log

  stdfs::remove(s.state / "filler");
  CHECK(api.Put(tags + failed, "", "application/json")->status == 200);
}

TEST_CASE("a metadata backup that cannot be written is a warning in the log", "[state]") {
  RETURN_WITHOUT_FUSE();
  Setup s;
  stdfs::create_directories(s.state);
  write_file(s.state / "backups", "not a folder");  // where the backups would go
  auto d = s.start({"--listen", "127.0.0.1:0"});
  REQUIRE(d->serving());
  httplib::Client api(d->api_url());
  auto benchy = json::parse(api.Get("/api/v1/projects?name=Benchy")->body)["items"][0]["id"].get<std::int64_t>();
  REQUIRE(api.Put("/api/v1/projects/" + std::to_string(benchy) + "/tags/boat", "", "application/json")->status == 200);
  // Backups are written 2 s after a change.
  CHECK(wait_until([&] { return d->log().find("warning: the metadata backup could not be written") != std::string::npos; },
                   10s));
  INFO(d->log());
  CHECK(d->log().find(s.state.string() + "/backups") != std::string::npos);
}
