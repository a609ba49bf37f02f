#include "cli/api_client.h"

#include <fstream>

#include "cli/cli.h"
#include "cli/daemon_registry.h"
#include "http/client.h"

namespace lima::cli {

index::Result<std::string> read_token_file(const std::string& file) {
  std::ifstream in(file);
  if (!in) return index::fail(index::Errc::invalid_argument, "cannot read the token file " + file);
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t')) token.pop_back();
  return token;
}

namespace {

index::Result<DaemonEntry> find_daemon(const ClientOptions& o) {
  const auto daemons = running_daemons();
  if (o.library) {
    const auto wanted = resolve_library(*o.library).string();
    for (const auto& d : daemons)
      if (d.library == wanted || d.mountpoint == wanted) return d;
    return index::fail(index::Errc::not_found, "no running limafs serves " + wanted +
                                                   " (start one with 'limafs mount LIBRARY MOUNTPOINT')");
  }
  if (daemons.empty())
    return index::fail(index::Errc::not_found,
                       "no limafs daemon is running (start one with 'limafs mount LIBRARY MOUNTPOINT', or pass --api URL)");
  if (daemons.size() > 1) {
    std::string list;
    for (const auto& d : daemons) list += (list.empty() ? "" : ", ") + d.library;
    return index::fail(index::Errc::invalid_argument,
                       std::to_string(daemons.size()) + " limafs daemons are running (" + list +
                           "); pick one with --library PATH");
  }
  return daemons.front();
}

}  // namespace

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

index::Result<std::unique_ptr<ApiClient>> ApiClient::connect(const ClientOptions& o) {
  std::unique_ptr<ApiClient> c(new ApiClient());
  std::string token_file = o.token_file.value_or("");
  if (o.api) {
    c->url_ = *o.api;
    while (!c->url_.empty() && c->url_.back() == '/') c->url_.pop_back();
    if (!c->url_.starts_with("http://"))
      return index::fail(index::Errc::invalid_argument, "--api wants a URL such as http://127.0.0.1:7700, not '" + *o.api + "'");
  } else {
    auto d = find_daemon(o);
    if (!d) return tl::unexpected(d.error());
    c->url_ = d->api;
    if (token_file.empty()) token_file = d->token_file;
  }
  if (!token_file.empty()) {
    auto token = read_token_file(token_file);
    if (!token) return tl::unexpected(token.error());
    c->token_ = *token;
  }
  // Uploads and imports run while the call waits.
  c->http_ = std::make_unique<http::Client>(c->url_, http::ClientTimeouts{.connect_seconds = 5, .read_seconds = 600});
  return c;
}

ApiClient::~ApiClient() = default;

index::Result<ApiReply> ApiClient::call(const std::string& method, const std::string& path,
                                        const std::optional<std::string>& body, const std::string& content_type) {
  const auto r = http_->send(method, path, token_, body.value_or(""), content_type);
  if (r.status == 0)
    return index::fail(index::Errc::io, "cannot reach the limafs daemon at " + url_ + " (" + r.error + ")");
  ApiReply reply;
  reply.status = r.status;
  reply.text = r.body;
  reply.body = nlohmann::json::parse(r.body, nullptr, false);
  if (reply.body.is_discarded()) reply.body = nullptr;
  if (reply.status >= 400) {
    std::string message = "the daemon answered " + std::to_string(reply.status);
    std::string code = "unknown";
    if (reply.body.is_object() && reply.body.contains("error") && reply.body["error"].is_object()) {
      message = reply.body["error"].value("message", message);
      code = reply.body["error"].value("code", code);
    }
    const auto errc = code == "not_found" ? index::Errc::not_found
                      : code == "conflict" ? index::Errc::conflict
                      : code == "library_offline" ? index::Errc::library_offline
                      : reply.status < 500 ? index::Errc::invalid_argument
                                           : index::Errc::io;
    return index::fail(errc, message + " (" + code + ")");
  }
  return reply;
}

}  // namespace lima::cli
