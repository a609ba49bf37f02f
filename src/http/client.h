// A client of the control API: one keep-alive connection to a base URL
// (http://HOST:PORT) that sends a request and returns the answer's status
// and body, or why no answer came. What the command line uses to talk to a
// running daemon, so cpp-httplib stays inside this module.
#pragma once

#include <memory>
#include <optional>
#include <string>

namespace httplib {
class Client;
}

namespace lima::http {

struct ClientReply {
  int status = 0;     ///< the HTTP status; 0 when no answer came
  std::string body;   ///< the answer's body
  std::string error;  ///< why no answer came (status 0), in words
};

struct ClientTimeouts {
  int connect_seconds = 5;
  int read_seconds = 600;
};

class Client {
 public:
  Client(const std::string& base_url, const ClientTimeouts& timeouts);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Sends METHOD (GET, POST, PUT, PATCH or DELETE) to path, with
  /// "Authorization: Bearer TOKEN" when a token is given, and body (of
  /// content_type) for every method but GET.
  ClientReply send(const std::string& method, const std::string& path, const std::optional<std::string>& token,
                   const std::string& body, const std::string& content_type);

 private:
  std::unique_ptr<httplib::Client> http_;
};

}  // namespace lima::http
