// A client of a running daemon's control API for the benchmarks: JSON
// answers on one keep-alive connection, where anything but the expected
// status is an error naming the request. Destroy it before stopping the
// daemon: an idle keep-alive connection holds one of the API's threads,
// which the daemon's SIGTERM waits for.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace httplib {
class Client;
}

namespace lima::bench {

class DaemonApi {
 public:
  /// url: "http://127.0.0.1:PORT", as DaemonProcess::wait_for_api() answers.
  explicit DaemonApi(const std::string& url);
  ~DaemonApi();
  DaemonApi(const DaemonApi&) = delete;
  DaemonApi& operator=(const DaemonApi&) = delete;

  /// GET path (with its query); the parsed body of a 200. Throws
  /// std::runtime_error otherwise.
  nlohmann::json get(const std::string& path);

  /// POST path with a JSON body; the parsed body of a 200 or 202. Throws
  /// std::runtime_error otherwise.
  nlohmann::json post(const std::string& path, const nlohmann::json& body);

  /// Whether GET /api/v1/healthz answers 200 now (false when nothing answers).
  bool healthy();

  const std::string& url() const { return url_; }

 private:
  std::string url_;
  std::unique_ptr<httplib::Client> client_;
};

/// text percent-encoded for a URL query value or path segment (everything
/// but unreserved characters).
std::string url_encode(std::string_view text);

}  // namespace lima::bench
