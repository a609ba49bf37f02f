#include "daemon_api.h"

#include <httplib.h>

#include <cstdio>
#include <stdexcept>

namespace lima::bench {
namespace {

nlohmann::json answer(const std::string& url, const char* method, const std::string& path,
                      const httplib::Result& res) {
  const std::string what = std::string(method) + " " + url + path;
  if (!res) throw std::runtime_error(what + ": " + httplib::to_string(res.error()));
  if (res->status != 200 && res->status != 202) {
    throw std::runtime_error(what + " answered " + std::to_string(res->status) + ": " + res->body.substr(0, 300));
  }
  nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error(what + " did not answer JSON: " + res->body.substr(0, 200));
  return j;
}

}  // namespace

DaemonApi::DaemonApi(const std::string& url) : url_(url), client_(std::make_unique<httplib::Client>(url)) {
  client_->set_connection_timeout(5);
  client_->set_read_timeout(60);  // a scoped sync on a busy daemon may queue behind another run
  client_->set_keep_alive(true);
}

DaemonApi::~DaemonApi() = default;

nlohmann::json DaemonApi::get(const std::string& path) {
  // The daemon closes a connection idle for 2 s; a request sent on it just
  // then fails to read an answer. A GET changes nothing: it is sent again,
  // on a new connection.
  auto res = client_->Get(path);
  if (!res && (res.error() == httplib::Error::Read || res.error() == httplib::Error::Write)) res = client_->Get(path);
  return answer(url_, "GET", path, std::move(res));
}

nlohmann::json DaemonApi::post(const std::string& path, const nlohmann::json& body) {
  return answer(url_, "POST", path, client_->Post(path, body.dump(), "application/json"));
}

bool DaemonApi::healthy() {
  const auto res = client_->Get("/api/v1/healthz");
  return res && res->status == 200;
}

std::string url_encode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += c;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", u);
      out += buf;
    }
  }
  return out;
}

}  // namespace lima::bench
