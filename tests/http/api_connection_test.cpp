// The connection as a client lives it: bodies refused before they are
// read, clients that hang up halfway, Expect: 100-continue. Whatever
// happens, the client gets its answer, a kept-alive connection stays in
// step, and nothing is left in the library.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "http/api_fixture.h"

using lima::test::ApiFixture;
using lima::test::FixtureOptions;
using nlohmann::json;
namespace stdfs = std::filesystem;

namespace {

// A bare TCP connection to the server, for what httplib::Client cannot be
// made to do (send headers and body apart, hang up halfway).
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~RawConnection() { close(); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  /// False when the peer has gone.
  bool send(const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
      const auto n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }
  /// One response (status line, headers, Content-Length body), or "" when
  /// none comes within `ms`.
  std::string read_response(int ms = 3000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      const auto end = buffered_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t length = 0;
        const auto head = buffered_.substr(0, end);
        if (auto cl = head.find("Content-Length: "); cl != std::string::npos)
          length = std::stoul(head.substr(cl + 16, head.find("\r\n", cl) - cl - 16));
        if (buffered_.size() >= end + 4 + length) {
          auto response = buffered_.substr(0, end + 4 + length);
          buffered_.erase(0, end + 4 + length);
          return response;
        }
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return {};
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return {};
      char buf[8192];
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return {};
      buffered_.append(buf, static_cast<std::size_t>(n));
    }
  }

  /// Whatever arrives within `ms` (and was read already), then "<EOF>" if
  /// the server hung up.
  std::string drain(int ms) {
    std::string out = std::exchange(buffered_, {});
    char buf[8192];
    for (pollfd p{fd_, POLLIN, 0}; ::poll(&p, 1, ms) > 0;) {
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return out + "<EOF>";
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  int fd_;
  std::string buffered_;
};

int status_of(const std::string& response) {
  return response.size() > 12 && response.starts_with("HTTP/1.1 ") ? std::stoi(response.substr(9, 3)) : 0;
}

}  // namespace

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
