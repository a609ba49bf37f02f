// The client side of the control API, for the subcommands that talk to a
// running daemon: finds the daemon (the only one running, the one serving
// --library, or --api URL), sends requests, and turns the API's error
// envelope into one clear message.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "index/error.h"

namespace lima::http {
class Client;
}

namespace lima::cli {

struct ClientOptions {
  std::optional<std::string> api;         ///< --api URL
  std::optional<std::string> library;     ///< --library PATH (library or mountpoint)
  std::optional<std::string> token_file;  ///< --token-file FILE
};

struct ApiReply {
  int status = 0;
  nlohmann::json body;  ///< parsed JSON (null for other bodies)
  std::string text;     ///< the raw body
};

class ApiClient {
 public:
  /// Finds the daemon and prepares a connection (nothing is sent yet).
  static index::Result<std::unique_ptr<ApiClient>> connect(const ClientOptions& o);
  ~ApiClient();

  const std::string& url() const { return url_; }
  /// Sends a request; a 4xx/5xx answer becomes an error carrying the API's
  /// message and code, an unreachable daemon an error saying so.
  index::Result<ApiReply> call(const std::string& method, const std::string& path,
                               const std::optional<std::string>& body = std::nullopt,
                               const std::string& content_type = "application/json");
  index::Result<ApiReply> call(const std::string& method, const std::string& path, const nlohmann::json& body) {
    return call(method, path, body.dump(), "application/json");
  }

 private:
  ApiClient() = default;
  std::string url_;
  std::optional<std::string> token_;
  std::unique_ptr<http::Client> http_;
};

/// The API token in `file`: its first line, without trailing blanks.
index::Result<std::string> read_token_file(const std::string& file);

/// Percent-encodes a path segment or a query value.
std::string url_encode(std::string_view s);

}  // namespace lima::cli
