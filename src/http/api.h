// The control API: a cpp-httplib server on loopback (by default) with the
// routes of DESIGN §6 under /api/v1, JSON in and out, one error envelope,
// optional bearer-token auth, body limits, per-route request counters.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "index/catalog.h"
#include "index/live_status.h"
#include "index/sync_coordinator.h"

namespace lima::thumbs {
class PictureWorker;
}

namespace lima::http {

struct ApiOptions {
  std::string host = "127.0.0.1";
  int port = kDefaultPort;
  /// When the port is taken, listen on any free one instead of failing
  /// (used when the user gave no --listen).
  bool any_port_if_taken = false;
  /// When set, every request needs "Authorization: Bearer <token>".
  std::optional<std::string> token;
  std::size_t json_limit = 1u << 20;             ///< bytes of a JSON body
  std::size_t import_limit = 256u << 20;         ///< bytes of a metadata import
  std::uint64_t upload_limit = std::uint64_t{4} << 30;  ///< bytes of one uploaded file
  int threads = 128;  ///< one per open connection (keep-alive clients hold theirs)

  static constexpr int kDefaultPort = 7700;
};

/// What the handlers work with. Everything but catalog, library and sync is
/// optional.
struct ApiContext {
  index::Catalog* catalog = nullptr;
  std::filesystem::path library;
  index::SyncCoordinator* sync = nullptr;
  /// Waits until every committed index change is visible in the mount.
  std::function<void()> settle;
  /// Extra Prometheus text (the mount's request counters).
  std::function<std::string()> extra_metrics;
  /// The "mount" member of /status.
  std::function<nlohmann::json()> mount_status;
  /// The live sync's status: the "library" online state and the
  /// "watcher" member of /status, and their Prometheus text; without it the
  /// library is probed directly.
  std::function<index::LiveStatus()> live_status;
  /// The picture worker: the thumbnail and cover routes, and the pictures
  /// in /status and /metrics. Without it those routes answer 503.
  thumbs::PictureWorker* pictures = nullptr;
  std::int64_t started_ns = 0;
  std::string version;
  /// The API's own request counters as Prometheus text; filled in by the server.
  std::function<std::string()> http_metrics;
};

/// One route as the OpenAPI document names it: method and path template.
struct RouteName {
  std::string method;  ///< lowercase, as OpenAPI keys it ("get", "post", …)
  std::string path;    ///< e.g. "/api/v1/projects/{id}"
  bool operator==(const RouteName&) const = default;
  bool operator<(const RouteName& o) const { return std::tie(path, method) < std::tie(o.path, o.method); }
};

class ApiServer {
 public:
  /// Binds and starts serving on threads of its own. Errors: the address is
  /// invalid or taken, a non-loopback address without a token.
  static index::Result<std::unique_ptr<ApiServer>> start(ApiContext ctx, ApiOptions opts);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  int port() const { return port_; }
  /// "http://HOST:PORT".
  std::string url() const;
  void stop();

  /// Every route served.
  static std::vector<RouteName> routes();
  /// The OpenAPI document served at /openapi.json.
  static std::string_view openapi_document();

  struct Impl;

 private:
  ApiServer() = default;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::string host_;
};

/// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback(const std::string& host);

/// Parses "ADDR:PORT", "[v6]:PORT", ":PORT" or "PORT".
index::Result<std::pair<std::string, int>> parse_listen(const std::string& text);

}  // namespace lima::http
