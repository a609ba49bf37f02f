#include "baseline_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "http/api.h"

namespace lima::bench {

struct BaselineServer::Impl {
  std::map<std::string, std::string> bodies;
  httplib::Server server;
  std::thread listener;
  int port = 0;
};

int BaselineServer::threads() { return http::ApiOptions{}.threads; }

std::string BaselineServer::httplib_version() { return CPPHTTPLIB_VERSION; }

BaselineServer::BaselineServer(std::map<std::string, std::string> bodies) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.bodies = std::move(bodies);
  auto& svr = s.server;
  // As ApiServer::start configures the control API: its thread pool,
  // TCP_NODELAY, SO_REUSEADDR only, the keep-alive limits, and a listen
  // backlog raised from cpp-httplib's 5 to SOMAXCONN.
  const auto pool = static_cast<std::size_t>(threads());
  svr.new_task_queue = [pool] { return new httplib::ThreadPool(pool); };
  svr.set_tcp_nodelay(true);
  int listen_fd = -1;
  svr.set_socket_options([&listen_fd](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd = sock;
  });
  svr.set_keep_alive_max_count(1u << 20);
  svr.set_keep_alive_timeout(30);
  for (const auto& [path, body] : s.bodies) {
    const std::string* text = &body;
    svr.Get(path, [text](const httplib::Request&, httplib::Response& res) {
      res.status = 200;
      res.set_content(*text, "application/json");
    });
  }
  s.port = svr.bind_to_any_port("127.0.0.1");
  if (s.port <= 0) throw std::runtime_error("the baseline server cannot listen on 127.0.0.1");
  if (listen_fd >= 0) ::listen(listen_fd, SOMAXCONN);
  s.listener = std::thread([&svr] { svr.listen_after_bind(); });
  // stop() before the listener runs would not stop it.
  for (int i = 0; i < 5000 && !svr.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

BaselineServer::~BaselineServer() {
  impl_->server.stop();
  if (impl_->listener.joinable()) impl_->listener.join();
}

std::string BaselineServer::url() const { return "http://127.0.0.1:" + std::to_string(impl_->port); }

}  // namespace lima::bench
