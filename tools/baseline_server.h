// The API benchmark's baseline: a minimal cpp-httplib server in this
// process, set up like the control API's (src/http/api.cpp,
// ApiServer::start: the same thread pool size, TCP_NODELAY, socket
// options, keep-alive limits and listen backlog), whose handlers only hand
// back fixed JSON bodies. What wrk gets from it under a load is what the
// HTTP stack alone costs. Keep it in step with ApiServer::start.
#pragma once

#include <map>
#include <memory>
#include <string>

namespace lima::bench {

class BaselineServer {
 public:
  /// Serves GET PATH with bodies.at(PATH) as application/json (PATH
  /// without the query: "/api/v1/projects" answers any query string) on
  /// 127.0.0.1, on any free port. Throws std::runtime_error when it cannot
  /// bind.
  explicit BaselineServer(std::map<std::string, std::string> bodies);
  /// Stops serving and joins the server's threads.
  ~BaselineServer();
  BaselineServer(const BaselineServer&) = delete;
  BaselineServer& operator=(const BaselineServer&) = delete;

  /// "http://127.0.0.1:PORT".
  std::string url() const;
  /// The thread pool size it serves with (that of the control API).
  static int threads();
  /// The cpp-httplib version compiled against ("0.11.4").
  static std::string httplib_version();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace lima::bench
