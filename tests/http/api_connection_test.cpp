// The connection as a client lives it: bodies refused before they are
// read, clients that hang up halfway or send their body anyway, Expect:
// 100-continue, pipelined requests. Whatever happens, the client gets its
// answer, a kept-alive connection stays in step or ends saying so
// ("Connection: close"), and nothing is left in the library.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "http/api_fixture.h"

using lima::test::ApiFixture;
using lima::test::FixtureOptions;
using lima::test::RawConnection;
using lima::test::status_of;
using nlohmann::json;
namespace stdfs = std::filesystem;

TEST_CASE("a client that hangs up in the middle of an upload leaves nothing behind") {
  ApiFixture fx;
  const auto B = fx.pid("Benchy");
  const auto before = fx.snapshot();

  RawConnection c(fx.port());
  REQUIRE(c.send("POST /api/v1/projects/" + B +
                 "/assets?path=half%2Fway%2Fmodel.stl HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n" +
                 std::string(5000, 'h')));
  // The server is into the body (receiving it into an unnamed file); hang up.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK_FALSE(stdfs::exists(fx.root() / "Benchy/half"));  // folders come only with a complete file
  c.close();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);

  // The upload is counted once its handler has cleaned up.
  const std::string counted = "limafs_http_requests_total{route=\"POST /api/v1/projects/{id}/assets\",status=\"400\"}";
  bool seen = false;
  while (!(seen = fx.metrics().find(counted) != std::string::npos) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(seen);
  const auto after = fx.snapshot();
  INFO(lima::test::describe_difference(before, after));
  CHECK(lima::test::without_dir_mtimes(after.library) == lima::test::without_dir_mtimes(before.library));
  CHECK(after.index == before.index);
}

TEST_CASE("a client that sends Expect: 100-continue is told 413 before it sends a large body") {
  ApiFixture fx;
  const auto before = fx.snapshot();
  RawConnection c(fx.port());
  REQUIRE(c.send("POST /api/v1/collections HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 "Content-Length: 2097152\r\nExpect: 100-continue\r\n\r\n"));
  const auto response = c.read_response();
  const auto rest = c.drain(300);
  INFO(response << "[then] " << rest);
  CHECK(status_of(response) == 413);
  CHECK(response.find("\"payload_too_large\"") != std::string::npos);
  CHECK(fx.snapshot() == before);
}

TEST_CASE("a body over the limit gets its 413 answer, not a reset connection", "[http]") {
  // A client that sends its body before reading the answer (httplib's, most
  // scripts) must still see the 413, as it does for a chunked body.
  SECTION("a 2 MiB JSON body") {
    ApiFixture fx;
    const auto before = fx.snapshot();
    const std::string huge_json = "{\"name\":\"" + std::string(2u << 20, 'x') + "\"}";
    auto r = fx.request("POST", "/api/v1/collections", huge_json, "application/json");
    INFO("transport: " << httplib::to_string(r.error));
    CHECK(r.status == 413);
    CHECK(r.error_code() == "payload_too_large");
    CHECK(fx.snapshot() == before);
  }
  SECTION("a 4 MiB upload over a 1000-byte limit") {
    FixtureOptions o;
    o.api.upload_limit = 1000;
    ApiFixture fx(o);
    const auto before = fx.snapshot();
    auto r = fx.upload("/api/v1/projects/" + fx.pid("Cube") + "/assets?path=big.stl", std::string(4u << 20, 'b'));
    INFO("transport: " << httplib::to_string(r.error));
    CHECK(r.status == 413);
    CHECK(r.error_code() == "payload_too_large");
    CHECK(fx.snapshot() == before);
  }
  SECTION("a 4 MiB chunked upload over a 1000-byte limit") {
    FixtureOptions o;
    o.api.upload_limit = 1000;
    ApiFixture fx(o);
    const auto before = fx.snapshot();
    auto c = fx.new_client();
    const std::string chunk(64u << 10, 'c');
    int sent = 0;
    auto res = c->Post(
        "/api/v1/projects/" + fx.pid("Cube") + "/assets?path=big.stl", httplib::Headers{},
        [&](std::size_t, httplib::DataSink& sink) {
          if (sent++ < 64) return sink.write(chunk.data(), chunk.size());
          sink.done();
          return true;
        },
        "application/octet-stream");
    INFO("transport: " << httplib::to_string(res.error()));
    CHECK(res);
    if (res) CHECK(res->status == 413);
    // Either way, the server has cleaned up before it answered.
    const auto after = fx.snapshot();
    CHECK(lima::test::without_dir_mtimes(after.library) == lima::test::without_dir_mtimes(before.library));
  }
}

TEST_CASE("a declared length over the limit is answered at once, and a client still sending reads the answer") {
  FixtureOptions o;
  o.api.import_limit = 1u << 20;
  ApiFixture fx(o);
  const auto before = fx.snapshot();
  const std::size_t size = 40u << 20;
  const std::string head = "POST /api/v1/metadata/import HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Content-Type: application/json\r\nContent-Length: " +
                           std::to_string(size) + "\r\n\r\n";

  SECTION("a client that sends the headers, then waits") {
    RawConnection c(fx.port());
    const auto start = std::chrono::steady_clock::now();
    REQUIRE(c.send(head));
    const auto response = c.read_response(10'000);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    INFO(response);
    CHECK(status_of(response) == 413);
    CHECK(lima::test::body_of(response)["error"]["code"] == "payload_too_large");
    CHECK(lima::test::header_of(response, "Connection") == "close");
    CHECK(ms < 2000);  // not after httplib's 5 s read timeout
    // Sent anyway, the body is read and dropped, not answered with a reset.
    CHECK(c.send(std::string(size, ' ')));
    CHECK(c.drain(5000).ends_with("<EOF>"));
  }
  SECTION("a client that sends everything before it reads") {
    RawConnection c(fx.port());
    REQUIRE(c.send(head));
    CHECK(c.send(std::string(size, ' ')));
    const auto response = c.read_response(10'000);
    INFO(response.substr(0, 300));
    CHECK(status_of(response) == 413);
  }
  SECTION("httplib's client") {
    auto r = fx.request("POST", "/api/v1/metadata/import", std::string(size, ' '), "application/json");
    INFO("transport: " << httplib::to_string(r.error));
    CHECK(r.status == 413);
    CHECK(r.error_code() == "payload_too_large");
  }
  CHECK(fx.snapshot() == before);
  CHECK(fx.get("/api/v1/healthz").status == 200);
}

TEST_CASE("a chunked JSON body is refused once it passes its limit, and the client reads the answer") {
  ApiFixture fx;
  const auto before = fx.snapshot();
  auto c = fx.new_client();
  const std::string chunk(64u << 10, ' ');
  int sent = 0;
  auto res = c->Post(
      "/api/v1/collections", httplib::Headers{},
      [&](std::size_t, httplib::DataSink& sink) {
        if (sent++ < 64) return sink.write(chunk.data(), chunk.size());  // 4 MiB of white space
        sink.done();
        return true;
      },
      "application/json");
  INFO("transport: " << httplib::to_string(res.error()));
  REQUIRE(res);
  CHECK(res->status == 413);
  CHECK(json::parse(res->body, nullptr, false)["error"]["code"] == "payload_too_large");
  CHECK(res->get_header_value("Connection") == "close");
  CHECK(fx.snapshot() == before);
}

TEST_CASE("a request after a well-framed one on the same connection is served (keep-alive, pipelining)") {
  ApiFixture fx;
  RawConnection c(fx.port());
  const std::string body = "{\"name\":\"Piped\"}";
  // Two requests in one write: a chunked body, then a plain GET.
  REQUIRE(c.send("POST /api/v1/collections HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\n" +
                 body.substr(0, 5) + "\r\n" + "b\r\n" + body.substr(5) + "\r\n0\r\n\r\n" +
                 "GET /api/v1/collections HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  const auto created = c.read_response();
  INFO(created);
  CHECK(status_of(created) == 201);
  CHECK(lima::test::header_of(created, "Connection") != "close");
  const auto listed = c.read_response();
  INFO(listed);
  CHECK(status_of(listed) == 200);
  CHECK(lima::test::body_of(listed)["items"].size() == 2);
}

TEST_CASE("the body of a refused upload is never read as a request of its own", "[http]") {
  ApiFixture fx;
  const auto B = fx.pid("Benchy");
  const auto before = fx.snapshot();

  SECTION("a keep-alive client goes on after a refused upload") {
    auto c = fx.new_client(/*keep_alive=*/true);
    const std::string body = lima::test::random_bytes(100'000, 5);  // more than one read of the server
    for (const std::string path : {"..%2Fx.stl", "models%2F3DBenchy.stl", "escape%2Fx.stl"}) {
      INFO(path);
      auto refused =
          fx.request(*c, "POST", "/api/v1/projects/" + B + "/assets?path=" + path, body, "application/octet-stream");
      CHECK((refused.status == 400 || refused.status == 409));
      auto next = fx.request(*c, "GET", "/api/v1/status");
      INFO("next: " << next.status << " " << httplib::to_string(next.error) << " " << next.body.substr(0, 200));
      CHECK(next.status == 200);
      CHECK(next.json.contains("counts"));
    }
  }

  SECTION("a keep-alive client goes on after a body of the wrong type") {
    auto c = fx.new_client(/*keep_alive=*/true);
    const std::string body(100'000, 'z');
    for (const std::string type : {"text/plain", "multipart/form-data; boundary=xyz"}) {
      INFO(type);
      auto refused = fx.request(*c, "POST", "/api/v1/collections", body, type);
      CHECK(refused.status == 415);
      CHECK(refused.error_code() == "unsupported_media_type");
      auto next = fx.request(*c, "GET", "/api/v1/status");
      CHECK(next.status == 200);
    }
    auto multipart = fx.request(*c, "POST", "/api/v1/projects/" + B + "/assets?path=m.stl", body,
                                "multipart/form-data; boundary=xyz");
    CHECK(multipart.status == 415);
    CHECK(fx.request(*c, "GET", "/api/v1/status").status == 200);
  }
}
