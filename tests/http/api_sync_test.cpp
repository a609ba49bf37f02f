// Sync runs through the API: started in the background (202), one at a
// time (asking again while one runs gets that one), observable while they
// run, cancelled while they run (202; 409 once over), recorded with their
// counts, listed newest first.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "http/api_fixture.h"

using lima::test::ApiFixture;
using lima::test::FixtureOptions;
using lima::test::Reply;
using nlohmann::json;
namespace stdfs = std::filesystem;

namespace {

// Polls the run until it is no longer running (at most `limit`), and the
// service until it has let go of it (it is then counted in the metrics and
// a new run can start).
json wait_for_run(ApiFixture& fx, std::uint64_t id, std::chrono::seconds limit = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto r = fx.get("/api/v1/sync/runs/" + std::to_string(id));
    REQUIRE(r.status == 200);
    if (r.json["status"] != "running" && fx.get("/api/v1/status").json["running_run"].is_null()) return r.json;
    if (std::chrono::steady_clock::now() > deadline) FAIL("run " << id << " still running after " << limit.count() << " s");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

TEST_CASE("a sync run started through the API is recorded with its counts") {
  ApiFixture fx;
  lima::test::write_file(fx.root() / "Cube/cube-v2.stl", lima::test::random_bytes(900, 77));
  auto started = fx.post("/api/v1/sync/runs", json::object());
  REQUIRE(started.status == 202);
  const auto id = started.json["id"].get<std::uint64_t>();
  CHECK(started.header("Location") == "/api/v1/sync/runs/" + std::to_string(id));
  CHECK((started.json["status"] == "running" || started.json["status"] == "ok"));
  CHECK(started.json["trigger"] == "api");
  CHECK(started.json["mode"] == "incremental");

  const auto run = wait_for_run(fx, id);
  CHECK(run["status"] == "ok");
  CHECK(run["counts"]["added"] == 1);
  CHECK(run["counts"]["unchanged"] == 11);
  CHECK_FALSE(run.contains("progress"));
  CHECK(fx.get("/api/v1/projects/" + fx.pid("Cube")).json["assets"] == 3);

  // An empty body is fine too, and a scoped verify run only looks at its scope.
  auto scoped = fx.request("POST", "/api/v1/sync/runs", json({{"mode", "verify"}, {"scope", "Dragon/parts"}}).dump(),
                           "application/json");
  REQUIRE(scoped.status == 202);
  const auto scoped_run = wait_for_run(fx, scoped.json["id"].get<std::uint64_t>());
  CHECK(scoped_run["status"] == "ok");
  CHECK(scoped_run["scope"] == "Dragon/parts");
  CHECK(scoped_run["mode"] == "verify");
  CHECK(scoped_run["counts"]["files_hashed"] == 1);
  auto bare = fx.request("POST", "/api/v1/sync/runs", "", "application/json");
  REQUIRE(bare.status == 202);
  wait_for_run(fx, bare.json["id"].get<std::uint64_t>());

  const auto metrics = fx.metrics();
  CHECK(metrics.find("limafs_sync_runs_total{status=\"ok\"} 4\n") != std::string::npos);
  CHECK(metrics.find("limafs_sync_running 0\n") != std::string::npos);
}

TEST_CASE("while a long run goes on, asking for another returns it, with its progress") {
  FixtureOptions o;
  o.big_files = true;  // 3 x 64 MiB: a verify run takes a while
  ApiFixture fx(o);

  // A verify run rehashes everything. Caches can make it quick, so try a few
  // times until the second request lands while the first run still runs.
  bool overlapped = false, saw_progress = false;
  for (int attempt = 0; attempt < 5 && !(overlapped && saw_progress); ++attempt) {
    auto first = fx.post("/api/v1/sync/runs", {{"mode", "verify"}});
    REQUIRE(first.status == 202);
    const auto id = first.json["id"].get<std::uint64_t>();
    auto second = fx.post("/api/v1/sync/runs", {{"mode", "incremental"}});
    auto during = fx.get("/api/v1/sync/runs/" + std::to_string(id));
    REQUIRE(during.status == 200);
    if (second.status == 200) {
      overlapped = true;
      CHECK(second.json["id"] == id);  // the running one, not a new one
      CHECK(second.json["mode"] == "verify");
    } else {
      CHECK(second.status == 202);  // the first had ended already: a new run
      wait_for_run(fx, second.json["id"].get<std::uint64_t>());
    }
    // (The run may end between reading its record and its progress.)
    if (during.json["status"] == "running" && during.json.contains("progress")) {
      const auto& p = during.json["progress"];
      saw_progress = true;
      CHECK(p["files_done"].get<std::uint64_t>() <= p["files_total"].get<std::uint64_t>());
      CHECK(p["bytes_done"].get<std::uint64_t>() <= p["bytes_total"].get<std::uint64_t>());
      CHECK(p.contains("phase"));
      const auto running = fx.get("/api/v1/status").json["running_run"];
      if (!running.is_null()) CHECK(running == id);
    }
    const auto run = wait_for_run(fx, id);
    CHECK(run["status"] == "ok");
    CHECK(run["counts"]["files_hashed"] == 14);
    CHECK(run["counts"]["unchanged"] == 14);
    CHECK_FALSE(run.contains("progress"));
  }
  CHECK(overlapped);
  CHECK(saw_progress);
  CHECK(fx.get("/api/v1/status").json["running_run"].is_null());
}

TEST_CASE("sync runs are listed newest first and paged with cursors") {
  ApiFixture fx;
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 4; ++i) {
    auto r = fx.post("/api/v1/sync/runs", json::object());
    REQUIRE(r.status == 202);
    ids.push_back(r.json["id"].get<std::uint64_t>());
    wait_for_run(fx, ids.back());
  }
  // The fixture's first sync is the oldest run.
  auto all = fx.get("/api/v1/sync/runs");
  REQUIRE(all.status == 200);
  REQUIRE(all.json["items"].size() == 5);
  CHECK(all.json["next_cursor"].is_null());
  std::vector<std::uint64_t> listed;
  for (const auto& r : all.json["items"]) listed.push_back(r["id"].get<std::uint64_t>());
  CHECK(std::is_sorted(listed.rbegin(), listed.rend()));
  CHECK(std::vector<std::uint64_t>(listed.begin(), listed.begin() + 4) ==
        std::vector<std::uint64_t>(ids.rbegin(), ids.rend()));
  CHECK(all.json["items"][4]["trigger"] == "cli");

  for (std::size_t limit : {1u, 2u, 3u}) {
    INFO("limit " << limit);
    std::vector<std::uint64_t> paged;
    std::string cursor;
    for (int guard = 0; guard < 10; ++guard) {
      auto page = fx.get("/api/v1/sync/runs?limit=" + std::to_string(limit) + (cursor.empty() ? "" : "&cursor=" + cursor));
      REQUIRE(page.status == 200);
      CHECK(page.json["items"].size() <= limit);
      for (const auto& r : page.json["items"]) paged.push_back(r["id"].get<std::uint64_t>());
      if (page.json["next_cursor"].is_null()) break;
      cursor = page.json["next_cursor"].get<std::string>();
    }
    CHECK(paged == listed);
  }
}

TEST_CASE("DELETE cancels the running run: it ends cancelled, recorded, and the next run does what it did not reach") {
  FixtureOptions o;
  o.big_files = true;  // 3 x 64 MiB: a verify run takes a while
  ApiFixture fx(o);
  const auto render = fx.aid("Dragon", "render.png");
  const auto render_bytes = lima::test::standard_files().at("Dragon/render.png");

  // Caches can make a run end before the DELETE reaches it; then try again.
  json cancelled;
  for (int attempt = 0; attempt < 5 && cancelled.is_null(); ++attempt) {
    // A file gone from disk: a whole run would mark it removed.
    REQUIRE(fx.get("/api/v1/assets/" + render).json["state"] == "live");
    std::filesystem::remove(fx.root() / "Dragon/render.png");
    auto started = fx.post("/api/v1/sync/runs", {{"mode", "verify"}});
    REQUIRE(started.status == 202);
    const auto id = started.json["id"].get<std::uint64_t>();
    auto asked = fx.del("/api/v1/sync/runs/" + std::to_string(id));
    if (asked.status == 409) {
      CHECK(asked.error_code() == "conflict");
      CHECK(asked.error_message().find("is not running") != std::string::npos);
    } else {
      REQUIRE(asked.status == 202);
      CHECK(asked.json["id"] == id);
      CHECK(asked.header("Location") == "/api/v1/sync/runs/" + std::to_string(id));
    }
    const auto run = wait_for_run(fx, id);
    if (run["status"] == "cancelled") {
      cancelled = run;
      break;
    }
    // It had finished: put the file back for the next try.
    CHECK(run["status"] == "ok");
    lima::test::write_file(fx.root() / "Dragon/render.png", render_bytes);
    auto back = fx.post("/api/v1/sync/runs", {{"scope", "Dragon"}});
    REQUIRE(back.status == 202);
    REQUIRE(wait_for_run(fx, back.json["id"].get<std::uint64_t>())["status"] == "ok");
  }
  REQUIRE_FALSE(cancelled.is_null());
  CHECK(cancelled["message"].get<std::string>().find("cancelled") != std::string::npos);
  // A project reconciled before the cancel is up to date; one not reached
  // is left as it was. Either way the index says what the run says.
  const bool reached = cancelled["counts"]["removed"] == 1;
  if (!reached) CHECK(cancelled["counts"]["removed"] == 0);
  CHECK(fx.get("/api/v1/assets/" + render).json["state"] == (reached ? "tombstone" : "live"));
  const auto id = cancelled["id"].get<std::uint64_t>();
  // The history says so, and the metrics count it.
  CHECK(fx.get("/api/v1/sync/runs?limit=1").json["items"][0]["id"] == id);
  CHECK(fx.get("/api/v1/sync/runs?limit=1").json["items"][0]["status"] == "cancelled");
  CHECK(fx.metrics().find("limafs_sync_runs_total{status=\"cancelled\"} 1\n") != std::string::npos);

  // A finished run cannot be cancelled; an unknown one does not exist.
  const auto before = fx.snapshot();
  auto again = fx.del("/api/v1/sync/runs/" + std::to_string(id));
  CHECK(again.status == 409);
  CHECK(again.error_code() == "conflict");
  CHECK(again.error_message().find("ended cancelled") != std::string::npos);
  auto first = fx.del("/api/v1/sync/runs/1");
  CHECK(first.status == 409);
  CHECK(first.error_message().find("ended ok") != std::string::npos);
  auto unknown = fx.del("/api/v1/sync/runs/999999");
  CHECK(unknown.status == 404);
  CHECK(unknown.error_code() == "not_found");
  auto bad = fx.del("/api/v1/sync/runs/abc");
  CHECK(bad.status == 400);
  CHECK(bad.error_code() == "invalid_argument");
  CHECK(fx.snapshot() == before);

  // The next run does what the cancelled one did not.
  auto next = fx.post("/api/v1/sync/runs", json::object());
  REQUIRE(next.status == 202);
  const auto done = wait_for_run(fx, next.json["id"].get<std::uint64_t>());
  CHECK(done["status"] == "ok");
  CHECK(done["counts"]["removed"] == (reached ? 0 : 1));
  CHECK(fx.get("/api/v1/assets/" + render).json["state"] == "tombstone");
}
