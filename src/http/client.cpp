#include "http/client.h"

#include <httplib.h>

namespace lima::http {

Client::Client(const std::string& base_url, const ClientTimeouts& timeouts)
    : http_(std::make_unique<httplib::Client>(base_url)) {
  http_->set_connection_timeout(timeouts.connect_seconds);
  http_->set_read_timeout(timeouts.read_seconds);
  http_->set_keep_alive(true);
}

Client::~Client() = default;

ClientReply Client::send(const std::string& method, const std::string& path, const std::optional<std::string>& token,
                         const std::string& body, const std::string& content_type) {
  httplib::Headers headers;
  if (token) headers.emplace("Authorization", "Bearer " + *token);
  httplib::Result r{nullptr, httplib::Error::Unknown};
  if (method == "GET") r = http_->Get(path.c_str(), headers);
  else if (method == "POST") r = http_->Post(path.c_str(), headers, body, content_type.c_str());
  else if (method == "PUT") r = http_->Put(path.c_str(), headers, body, content_type.c_str());
  else if (method == "PATCH") r = http_->Patch(path.c_str(), headers, body, content_type.c_str());
  else if (method == "DELETE") r = http_->Delete(path.c_str(), headers, body, content_type.c_str());
  ClientReply reply;
  if (!r) {
    reply.error = httplib::to_string(r.error());
    return reply;
  }
  reply.status = r->status;
  reply.body = r->body;
  return reply;
}

}  // namespace lima::http
