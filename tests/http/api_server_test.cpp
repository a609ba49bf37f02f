// The server itself: many keep-alive clients at once, the bearer token,
// loopback-only unless a token is set, and an OpenAPI document that names
// exactly the routes served.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <latch>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "http/api_fixture.h"

using lima::test::ApiFixture;
using lima::test::FixtureOptions;
using lima::test::Reply;
using nlohmann::json;

namespace {

struct Load {
  std::atomic<int> ok{0}, failed{0};
  std::atomic<std::int64_t> slowest_ms{0};
  std::mutex mu;
  std::string first_failure;

  // One GET /api/v1/status on `c`, timed and checked.
  void request(httplib::Client& c, int client, int k) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = c.Get("/api/v1/status");
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    for (auto prev = slowest_ms.load(); ms > prev && !slowest_ms.compare_exchange_weak(prev, ms);) {
    }
    if (r && r->status == 200 && r->body.find("\"counts\"") != std::string::npos) {
      ++ok;
      return;
    }
    ++failed;
    std::lock_guard l(mu);
    if (first_failure.empty())
      first_failure = "client " + std::to_string(client) + " request " + std::to_string(k) + ": " +
                      (r ? "status " + std::to_string(r->status) : "transport: " + httplib::to_string(r.error()));
  }
};

constexpr int kClients = 64, kRequests = 50;

}  // namespace

TEST_CASE("64 keep-alive clients making 50 requests each at once are all served") {
  // Each keep-alive connection holds a server thread for as long as it is
  // open: 64 of them must not starve each other. The connections are opened
  // one after the other (see the next test for a burst of connects), then
  // all clients send their requests at the same time.
  ApiFixture fx;
  Load load;
  std::mutex connect_mu;
  std::latch connected(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto c = fx.new_client(/*keep_alive=*/true);
      c->set_read_timeout(20);
      {
        std::lock_guard l(connect_mu);
        load.request(*c, i, 0);
      }
      connected.arrive_and_wait();
      for (int k = 1; k < kRequests; ++k) load.request(*c, i, k);
    });
  }
  for (auto& t : threads) t.join();
  INFO("first failure: " << load.first_failure << ", slowest request: " << load.slowest_ms << " ms");
  CHECK(load.failed == 0);
  CHECK(load.ok == kClients * kRequests);
}

TEST_CASE("64 clients connecting at the same moment are all served promptly", "[http]") {
  ApiFixture fx;
  Load load;
  std::latch go(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto c = fx.new_client(/*keep_alive=*/true);
      c->set_read_timeout(20);
      go.arrive_and_wait();
      for (int k = 0; k < 5; ++k) load.request(*c, i, k);
    });
  }
  for (auto& t : threads) t.join();
  INFO("first failure: " << load.first_failure << ", slowest request: " << load.slowest_ms << " ms");
  CHECK(load.failed == 0);
  // Loopback requests for a small JSON document: anything near a second
  // means connections waited in (or were dropped from) the accept queue.
  CHECK(load.slowest_ms < 900);
}

TEST_CASE("with a token, every request needs it") {
  FixtureOptions o;
  o.api.token = "s3cret";
  ApiFixture fx(o);

  auto check_refused = [](const Reply& r) {
    CHECK(r.status == 401);
    CHECK(r.error_code() == "unauthorized");
    CHECK_FALSE(r.error_message().empty());
    CHECK(r.header("WWW-Authenticate").starts_with("Bearer"));
  };
  const auto before = fx.snapshot();
  SECTION("no header") {
    check_refused(fx.get("/api/v1/status"));
    check_refused(fx.get("/api/v1/nope"));
    check_refused(fx.get("/openapi.json"));
  }
  SECTION("wrong tokens") {
    for (const std::string bad : {"Bearer s3creT", "Bearer s3cre", "Bearer s3cret2", "Bearer ", "s3cret",
                                  "Basic czNjcmV0", "Bearer  s3cret"}) {
      INFO(bad);
      check_refused(fx.get("/api/v1/status", {{"Authorization", bad}}));
    }
  }
  SECTION("writes without the token change nothing") {
    check_refused(fx.put("/api/v1/projects/" + fx.pid("Vase") + "/tags/x"));
    check_refused(fx.post("/api/v1/projects", {{"name", "Intruder"}}));
    check_refused(fx.upload("/api/v1/projects/" + fx.pid("Vase") + "/assets?path=x.stl", "solid x"));
    check_refused(fx.post("/api/v1/sync/runs", json::object()));
    CHECK(fx.snapshot() == before);
  }
  SECTION("the right token") {
    auto r = fx.get("/api/v1/status", {{"Authorization", "Bearer s3cret"}});
    CHECK(r.status == 200);
    // The scheme is case-insensitive (RFC 9110 §11.1); the token is not.
    for (const std::string scheme : {"bearer", "BEARER", "bEaReR"}) {
      INFO(scheme);
      CHECK(fx.get("/api/v1/status", {{"Authorization", scheme + " s3cret"}}).status == 200);
      check_refused(fx.get("/api/v1/status", {{"Authorization", scheme + " S3CRET"}}));
    }
    CHECK(r.json["counts"]["projects"] == 4);
    auto tagged = fx.request("PUT", "/api/v1/projects/" + fx.pid("Vase") + "/tags/x", {}, {},
                             {{"Authorization", "Bearer s3cret"}});
    CHECK(tagged.status == 200);
  }
}

TEST_CASE("a long token is accepted after the scheme in any case") {
  FixtureOptions o;
  const std::string token = "correct-horse-battery-staple-" + std::string(64, 'k');
  o.api.token = token;
  ApiFixture fx(o);
  for (const std::string scheme : {"Bearer", "bearer", "BEARER"}) {
    INFO(scheme);
    CHECK(fx.get("/api/v1/status", {{"Authorization", scheme + " " + token}}).status == 200);
    CHECK(fx.get("/api/v1/status", {{"Authorization", scheme + " " + token + "x"}}).status == 401);
  }
}

TEST_CASE("the API refuses to listen beyond loopback without a token") {
  lima::test::TempDir tmp;
  auto cat = lima::index::Catalog::open(tmp / "state", lima::index::OpenMode::read_write);
  REQUIRE(cat);
  std::filesystem::create_directories(tmp / "library");
  lima::index::SyncCoordinator sync(**cat, {tmp / "library", {}, false});
  for (const std::string host : {"0.0.0.0", "::", "192.0.2.1"}) {
    INFO(host);
    lima::http::ApiContext ctx;
    ctx.catalog = cat->get();
    ctx.library = tmp / "library";
    ctx.sync = &sync;
    lima::http::ApiOptions opts;
    opts.host = host;
    opts.port = 0;
    auto started = lima::http::ApiServer::start(ctx, opts);
    REQUIRE_FALSE(started);
    CHECK(started.error().code == lima::index::Errc::invalid_argument);
    CHECK(started.error().message.find("token") != std::string::npos);
  }
  CHECK(lima::http::is_loopback("127.0.0.1"));
  CHECK(lima::http::is_loopback("127.1.2.3"));
  CHECK(lima::http::is_loopback("::1"));
  CHECK(lima::http::is_loopback("localhost"));
  CHECK_FALSE(lima::http::is_loopback("0.0.0.0"));
  CHECK_FALSE(lima::http::is_loopback("128.0.0.1"));
}

TEST_CASE("the OpenAPI document names exactly the routes served") {
  const auto doc = json::parse(lima::http::ApiServer::openapi_document(), nullptr, false);
  REQUIRE_FALSE(doc.is_discarded());
  REQUIRE(doc.contains("paths"));
  CHECK(doc.contains("openapi"));
  static const std::set<std::string> kMethods{"get", "put", "post", "delete", "patch", "head", "options", "trace"};
  std::set<std::pair<std::string, std::string>> documented, served;
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, op] : item.items())
      if (kMethods.count(method)) documented.insert({method, path});
  for (const auto& r : lima::http::ApiServer::routes()) served.insert({r.method, r.path});

  std::ostringstream missing, extra;
  for (const auto& [m, p] : served)
    if (!documented.count({m, p})) missing << "  " << m << " " << p << "\n";
  for (const auto& [m, p] : documented)
    if (!served.count({m, p})) extra << "  " << m << " " << p << "\n";
  INFO("served but not documented:\n" << missing.str() << "documented but not served:\n" << extra.str());
  CHECK(missing.str().empty());
  CHECK(extra.str().empty());
  CHECK(served.size() == lima::http::ApiServer::routes().size());  // no route twice

  ApiFixture fx;
  auto r = fx.get("/openapi.json");
  REQUIRE(r.status == 200);
  CHECK(r.header("Content-Type").starts_with("application/json"));
  CHECK(r.json == doc);
}
