#include "http/api.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "http/api_error.h"
#include "http/connection.h"
#include "http/routes.h"
#include "index/log.h"
#include "index/names.h"
#include "index/records_json.h"

namespace lima::http {

namespace {

std::string route_pattern(const std::string& path) {
  std::string re;
  for (std::size_t i = 0; i < path.size();) {
    if (path[i] == '{') {
      const auto close = path.find('}', i);
      const auto name = path.substr(i + 1, close - i - 1);
      // Any byte, newlines too ('.' would stop at one): a tag named under
      // an older rule must stay reachable.
      re += name == "tag" ? "([\\s\\S]+)" : "([^/]+)";
      i = close + 1;
      continue;
    }
    if (std::string_view(".+*?^$()[]|\\").find(path[i]) != std::string_view::npos) re += '\\';
    re += path[i++];
  }
  return re;
}

// Compares in time independent of where the strings differ.
bool same_secret(std::string_view given, std::string_view secret) {
  if (secret.empty()) return false;
  unsigned char diff = given.size() == secret.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ secret[i % secret.size()]);
  return diff == 0;
}

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The media type of a request body, without parameters, lowercased.
std::string media_type(const httplib::Request& req) {
  auto v = req.get_header_value("Content-Type");
  v = v.substr(0, v.find(';'));
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return lowercase(v);
}

// JSON bodies: application/json, or what `curl -d` sends by default, or none.
bool json_media(const std::string& type) {
  return type.empty() || type == "application/json" || type == "application/x-www-form-urlencoded";
}

std::string message_for_status(int status) {
  switch (status) {
    case 400: return "the request is malformed";
    case 413: return "the request body is too large";
    case 414: return "the request line is too long";
    case 416: return "the Range header is malformed or cannot be satisfied";
    default: return "the request failed with status " + std::to_string(status);
  }
}

void send_error(httplib::Response& res, int status, std::string_view code, std::string_view message,
                std::size_t position = 0) {
  res.status = status;
  res.set_content(error_body(code, message, position), "application/json");
}

// "Authorization: Bearer <token>", the scheme in any case (RFC 9110
// §11.1): what follows "Bearer ", or nullopt.
std::optional<std::string_view> bearer_token(std::string_view auth) {
  constexpr std::string_view scheme = "bearer ";
  if (auth.size() < scheme.size() || lowercase(std::string(auth.substr(0, scheme.size()))) != scheme)
    return std::nullopt;
  return auth.substr(scheme.size());
}

bool is_chunked(const httplib::Request& req) { return req.has_header("Transfer-Encoding"); }

// The declared body length, once framing_refusal() has passed the request.
std::uint64_t content_length(const httplib::Request& req) {
  const auto v = req.get_header_value("Content-Length");
  if (v.size() > 19) return UINT64_MAX;  // more than any limit, and than 64 bits hold
  return std::strtoull(v.c_str(), nullptr, 10);
}

// Whether a body follows the head.
bool has_body(const httplib::Request& req) { return is_chunked(req) || content_length(req) > 0; }

// How the body is framed: one Content-Length of digits only, or
// "Transfer-Encoding: chunked" (not both), or neither (no body). Anything
// else could be read two ways, so it is refused before any body is read.
std::optional<std::string> framing_refusal(const httplib::Request& req) {
  const auto te_count = req.get_header_value_count("Transfer-Encoding");
  const auto cl_count = req.get_header_value_count("Content-Length");
  if (te_count > 0) {
    const auto te = req.get_header_value("Transfer-Encoding");
    if (te_count > 1 || lowercase(te) != "chunked")
      return "only 'Transfer-Encoding: chunked' is understood, not '" + index::printable(te) + "'";
    if (cl_count > 0) return "a request may have a Content-Length or 'Transfer-Encoding: chunked', not both";
  }
  for (std::size_t i = 0; i < cl_count; ++i) {
    const auto v = req.get_header_value("Content-Length", i);
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
      return "Content-Length must be a number of bytes (digits only), not '" + index::printable(v) + "'";
    if (v != req.get_header_value("Content-Length")) return "the request has several Content-Length headers that differ";
  }
  return std::nullopt;
}

// What is wrong with a request httplib refused before routing it with 400.
std::string malformed_request_message(const Connection& conn) {
  if (conn.fault()) return *conn.fault();
  std::string line = conn.request_line();
  if (!line.ends_with("\r\n")) return "the request line is incomplete (it must end in CRLF)";
  line.resize(line.size() - 2);
  std::vector<std::string> parts;
  for (std::size_t start = 0; start <= line.size();) {
    auto end = line.find(' ', start);
    if (end == std::string::npos) end = line.size();
    if (end > start) parts.push_back(line.substr(start, end - start));
    start = end + 1;
  }
  auto shown = [](const std::string& s) {
    const auto p = index::printable(s);
    return "'" + (p.size() > 200 ? p.substr(0, 200) + "..." : p) + "'";
  };
  if (parts.size() != 3) return "the request line must be 'METHOD TARGET HTTP/1.1', not " + shown(line);
  static const std::set<std::string> methods = {"GET",     "HEAD",    "POST",  "PUT",   "DELETE",
                                                "CONNECT", "OPTIONS", "TRACE", "PATCH", "PRI"};
  if (!methods.count(parts[0])) return "unknown method " + shown(parts[0]);
  if (parts[2] != "HTTP/1.1" && parts[2] != "HTTP/1.0")
    return "only HTTP/1.0 and HTTP/1.1 are served, not " + shown(parts[2]);
  return "the request's headers are malformed (a header line is over 8 KiB, or the headers end before their "
         "blank line)";
}

}  // namespace

struct ApiServer::Impl {
  ApiContext ctx;
  ApiOptions opts;
  ConnectionServer server;
  std::thread listener;
  ServerState state;
  int listen_fd = -1;  // the bound socket, seen through the socket options hook
  struct Compiled {
    const Route* route;
    std::string pattern;
    std::regex re;
    std::string name;  // "GET /api/v1/…", for the metrics
  };
  std::vector<Compiled> routes;
  std::mutex metrics_mu;
  std::map<std::pair<std::string, int>, std::uint64_t> requests;  // (route, status) → count

  const Compiled* match(const std::string& method, const std::string& path) const {
    const std::string m = method == "HEAD" ? "GET" : method;  // httplib serves HEAD as GET
    for (const auto& c : routes)
      if (m == c.route->method && std::regex_match(path, c.re)) return &c;
    return nullptr;
  }
  // Answers a request no route takes: 405 with Allow when the path exists
  // with other methods, else 404.
  void refuse_unmatched(const httplib::Request& req, httplib::Response& res) {
    const auto allowed = allowed_methods(req.path);
    if (!allowed.empty()) {
      res.set_header("Allow", allowed);
      send_error(res, 405, code::method_not_allowed, req.method + " is not served here; use " + allowed);
    } else {
      send_error(res, 404, code::not_found, "no such route: " + req.method + " " + index::printable(req.path));
    }
    count("unmatched", res.status);
  }
  std::string allowed_methods(const std::string& path) const {
    std::string out;
    for (const auto& c : routes)
      if (std::regex_match(path, c.re)) out += (out.empty() ? "" : ", ") + std::string(c.route->method);
    return out;
  }
  void count(const std::string& route, int status) {
    std::lock_guard l(metrics_mu);
    ++requests[{route, status}];
  }
  std::string metrics_text() {
    std::lock_guard l(metrics_mu);
    std::string out =
        "# HELP limafs_http_requests_total API requests answered, by route and status.\n"
        "# TYPE limafs_http_requests_total counter\n";
    for (const auto& [key, n] : requests)
      out += "limafs_http_requests_total{route=\"" + key.first + "\",status=\"" + std::to_string(key.second) + "\"} " +
             std::to_string(n) + "\n";
    return out;
  }
  std::size_t limit_of(Body b) const {
    switch (b) {
      case Body::none:
      case Body::json: return opts.json_limit;
      case Body::import: return opts.import_limit;
      case Body::upload: break;
    }
    return static_cast<std::size_t>(opts.upload_limit);
  }

  // Checks made before any body is read, in this order: the framing of the
  // body, the path, the token, the route, the declared length. False when
  // `res` holds the refusal. A wrong media type is refused here only when
  // the client waits for "100 Continue" (`before_body`); otherwise the route
  // reads the body, drops it and refuses it, keeping the connection.
  bool admit(const httplib::Request& req, httplib::Response& res, bool before_body) {
    if (auto refusal = framing_refusal(req)) {
      send_error(res, 400, code::invalid_argument, *refusal);
      return false;
    }
    if (req.path.find('\0') != std::string::npos) {
      send_error(res, 400, code::invalid_argument, "the path holds a NUL byte (%00): " + index::printable(req.path));
      return false;
    }
    if (opts.token) {
      const auto auth = req.get_header_value("Authorization");
      const auto token = bearer_token(auth);
      if (!token || !same_secret(*token, *opts.token)) {
        res.set_header("WWW-Authenticate", "Bearer");
        send_error(res, 401, code::unauthorized, "this API needs 'Authorization: Bearer <token>' (see --token-file)");
        return false;
      }
    }
    const Compiled* c = match(req.method, req.path);
    if (!c) {
      refuse_unmatched(req, res);
      return false;
    }
    const Body body = c->route->body;
    if (req.has_header("Content-Length") && content_length(req) > limit_of(body)) {
      send_error(res, 413, code::payload_too_large,
                 "the request body is " + req.get_header_value("Content-Length") + " bytes; the limit here is " +
                     std::to_string(limit_of(body)));
      return false;
    }
    if (before_body)
      if (auto refusal = media_refusal(req, body)) {
        send_error(res, refusal->status, refusal->code, refusal->what());
        return false;
      }
    return true;
  }

  static std::optional<ApiError> media_refusal(const httplib::Request& req, Body body) {
    const auto type = media_type(req);
    if ((body == Body::json || body == Body::import) && !json_media(type))
      return ApiError(415, code::unsupported_media_type, "send JSON (Content-Type: application/json), not " + type);
    // An upload's body is the file's bytes, whatever type names them (curl
    // --data-binary says form-urlencoded); only a multipart envelope is not.
    if (body == Body::upload && type.starts_with("multipart/"))
      return ApiError(415, code::unsupported_media_type,
                      "send the file's bytes as the body (e.g. Content-Type: application/octet-stream), not " + type);
    return std::nullopt;
  }

  // Reads a body of up to `limit` bytes. One over the limit is refused as
  // soon as it passes it (413), one that is cut short or malformed (400):
  // either way the rest is not read, and the connection closes after the
  // answer (see Connection).
  static std::string read_body(const httplib::ContentReader& reader, const httplib::Request& req, std::size_t limit) {
    std::string body;
    bool too_large = false;
    auto keep = [&](const char* data, std::size_t n) {
      if (body.size() + n > limit) return !(too_large = true);
      body.append(data, n);
      return true;
    };
    const bool complete =
        req.is_multipart_form_data() ? reader([](const httplib::MultipartFormData&) { return true; }, keep) : reader(keep);
    if (too_large)
      throw ApiError(413, code::payload_too_large, "the request body is over the limit of " + std::to_string(limit) + " bytes");
    if (!complete) throw ApiError(400, code::invalid_argument, incomplete_body(req, body.size()));
    return body;
  }

  // Why a body could not be read to its end.
  static std::string incomplete_body(const httplib::Request& req, std::uint64_t got) {
    if (const auto* conn = Connection::current(); conn && conn->fault()) return *conn->fault();
    if (req.has_header("Content-Encoding"))
      return "the request body (Content-Encoding: " + index::printable(req.get_header_value("Content-Encoding")) +
             ") is corrupt or ends early";
    if (is_chunked(req)) return "the chunked body is malformed or ends early";
    return "the request body ends before its Content-Length of " + req.get_header_value("Content-Length") +
           " bytes (" + std::to_string(got) + " arrived)";
  }

  // Reads and drops a refused request's body, up to `cap` bytes. True when
  // it was read to its end.
  static bool drain(const httplib::ContentReader& reader, const httplib::Request& req, std::uint64_t cap) {
    std::uint64_t seen = 0;
    auto drop = [&](const char*, std::size_t n) {
      seen += n;
      return seen <= cap;
    };
    if (req.is_multipart_form_data()) return reader([](const httplib::MultipartFormData&) { return true; }, drop);
    return reader(drop);
  }

  void serve(const Compiled& c, const httplib::Request& req, httplib::Response& res,
             const httplib::ContentReader* reader) {
    // The reader handed on tells whether the body was read to its end.
    bool body_read = false;
    std::optional<httplib::ContentReader> tracked;
    if (reader)
      tracked.emplace(
          [&body_read, reader](httplib::ContentReceiver receiver) {
            return body_read = (*reader)(std::move(receiver));
          },
          [&body_read, reader](httplib::MultipartContentHeader header, httplib::ContentReceiver receiver) {
            return body_read = (*reader)(std::move(header), std::move(receiver));
          });
    Call call{state, ctx, opts, req, res, {}, {}, nullptr};
    serve_call(c, call, tracked ? &*tracked : nullptr);
    if (req.method != "GET") state.writes.fetch_add(1);
    if (c.route->body == Body::upload && tracked && !call.body_read && res.status >= 400)
      drain(*tracked, req, opts.upload_limit + kDrainLimit);
    // A body left unread, whole or in part, would be taken for the next
    // request: the connection ends after this answer instead. So it does
    // after any body over its limit, read or not.
    if ((has_body(req) && !body_read) || res.status == 413)
      if (auto* conn = Connection::current()) conn->close_after_answer();
    count(c.name, res.status == -1 ? 200 : res.status);
  }

  // start(), step by step.
  void compile_routes();
  void configure_connections();
  void install_hooks();
  void register_routes();
  int bind_port();

  void serve_call(const Compiled& c, Call& call, const httplib::ContentReader* reader) {
    const auto& req = call.req;
    auto& res = call.res;
    try {
      for (std::size_t i = 1; i < req.matches.size(); ++i) call.params.push_back(req.matches[i].str());
      if (reader) {
        if (auto refusal = media_refusal(req, c.route->body)) {
          // Dropped, so the connection goes on (up to the limit: a longer
          // body ends it).
          drain(*reader, req, limit_of(c.route->body));
          call.body_read = true;
          throw *refusal;
        }
        if (c.route->body == Body::upload) {
          call.reader = reader;
        } else {
          // (A Content-Length over the limit was refused before routing.)
          call.body = read_body(*reader, req, limit_of(c.route->body));
          if (c.route->body == Body::none && !call.body.empty())
            throw_invalid("this request takes no body");
        }
      }
      c.route->handler(call);
    } catch (const ApiError& e) {
      if (e.status >= 500)
        log::error(req.method + " " + index::printable(req.path) + ": " + std::to_string(e.status) + " " + e.code + ": " +
                   e.what());
      send_error(res, e.status, e.code, e.what(), e.position);
    } catch (const std::exception& e) {
      log::error(req.method + " " + index::printable(req.path) + ": " + e.what());
      if (index::errc_of(e) == index::Errc::no_space)  // nothing was changed
        send_error(res, 507, code::insufficient_storage, e.what());
      else
        send_error(res, 500, code::internal, std::string("internal error: ") + e.what());
    }
  }
};

bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

index::Result<std::pair<std::string, int>> parse_listen(const std::string& text) {
  std::string host = "127.0.0.1", port_text = text;
  if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) host = "127.0.0.1";
  }
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port < 0 || port > 65535)
    return index::fail(index::Errc::invalid_argument, "--listen wants ADDR:PORT (e.g. 127.0.0.1:7700), not '" + text + "'");
  return std::pair{host, static_cast<int>(port)};
}


// ---- start(), step by step ------------------------------------------------

void ApiServer::Impl::compile_routes() {
  for (const auto& r : route_table()) {
    auto pattern = route_pattern(r.path);
    routes.push_back({&r, pattern, std::regex(pattern), std::string(r.method) + " " + r.path});
  }
}

// Workers, sockets and connection limits.
void ApiServer::Impl::configure_connections() {
  const int threads = opts.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  server.set_tcp_nodelay(true);
  // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, with which a
  // second daemon would share the port (and its requests) instead of
  // finding it taken.
  server.set_socket_options([this](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd = sock;
  });
  server.set_keep_alive_max_count(1u << 20);
  // Idle keep-alive connections hold a worker each until this runs out, and
  // stopping the server waits for them: kept short.
  server.set_keep_alive_timeout(2);
  server.set_payload_max_length(std::max<std::size_t>(static_cast<std::size_t>(opts.upload_limit), opts.import_limit));
}

// The hooks around routing: admission before any body is read, refusals
// httplib makes itself, the closing of connections, unhandled exceptions.
void ApiServer::Impl::install_hooks() {
  // Runs once the request line and headers are read, before any body.
  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    auto* conn = Connection::current();
    if (conn) conn->mark_routed();
    // Ranges are served by the content route itself (httplib would apply
    // them to every response).
    auto& mutable_req = const_cast<httplib::Request&>(req);
    mutable_req.ranges.clear();
    if (!admit(req, res, false)) {
      // A body left unread would be taken for the next request.
      if (conn && (has_body(req) || framing_refusal(req))) conn->close_after_answer();
      if (res.status != 404 && res.status != 405) count("refused", res.status);
      return httplib::Server::HandlerResponse::Handled;
    }
    // A request without Content-Length or chunks has no body (RFC 9112);
    // cpp-httplib would read one until the connection's read timeout.
    if (!req.has_header("Content-Length") && !is_chunked(req)) mutable_req.headers.emplace("Content-Length", "0");
    if (conn && is_chunked(req)) conn->check_chunked_body();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_expect_100_continue_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (admit(req, res, true)) return 100;
    if (res.status != 404 && res.status != 405) count("refused", res.status);
    return res.status;
  });
  server.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
    // A request httplib refused before routing it (a malformed request
    // line or header, a request line over 8 KiB, a bad Range) or refused
    // while it waits for "100 Continue": its body is not read, so the
    // connection ends after the answer.
    auto* conn = Connection::current();
    const bool unrouted = conn && !conn->routed();
    if (unrouted) conn->close_after_answer();
    // Handled even when the body is ours already: the response then gets
    // its Content-Length (refusals of an Expect: 100-continue need it).
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Handled;
    if (unrouted && res.status == 400) {
      send_error(res, 400, code::invalid_argument, malformed_request_message(*conn));
      count("malformed", 400);
      return httplib::Server::HandlerResponse::Handled;
    }
    if ((res.status == 404 || res.status == 400) && !match(req.method, req.path)) {
      refuse_unmatched(req, res);
      return httplib::Server::HandlerResponse::Handled;
    }
    send_error(res, res.status, code_for_status(res.status), message_for_status(res.status));
    return httplib::Server::HandlerResponse::Handled;
  }));
  // A connection that ends after this answer says so.
  server.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    if (auto* conn = Connection::current(); conn && conn->closing()) {
      res.headers.erase("Keep-Alive");
      res.headers.erase("Connection");
      res.set_header("Connection", "close");
    }
  });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log::error("API: " + what);
    send_error(res, 500, code::internal, "internal error: " + what);
  });
}

void ApiServer::Impl::register_routes() {
  for (const auto& c : routes) {
    const Impl::Compiled* cp = &c;
    const std::string method = c.route->method;
    auto plain = [this, cp](const httplib::Request& req, httplib::Response& res) { serve(*cp, req, res, nullptr); };
    auto with_reader = [this, cp](const httplib::Request& req, httplib::Response& res,
                                const httplib::ContentReader& reader) { serve(*cp, req, res, &reader); };
    // Every route with a possible body reads it itself, within its limit.
    if (method == "GET") {
      server.Get(c.pattern, plain);
    } else if (method == "POST") {
      server.Post(c.pattern, with_reader);
      server.Post(c.pattern, plain);
    } else if (method == "PUT") {
      server.Put(c.pattern, with_reader);
      server.Put(c.pattern, plain);
    } else if (method == "PATCH") {
      server.Patch(c.pattern, with_reader);
      server.Patch(c.pattern, plain);
    } else if (method == "DELETE") {
      server.Delete(c.pattern, with_reader);
      server.Delete(c.pattern, plain);
    }
  }
}

// The port bound (-1 when none could be).
int ApiServer::Impl::bind_port() {
  int port = opts.port;
  if (port == 0) {
    port = server.bind_to_any_port(opts.host);
  } else if (!server.bind_to_port(opts.host, port)) {
    port = opts.any_port_if_taken ? server.bind_to_any_port(opts.host) : -1;
  }
  return port;
}

index::Result<std::unique_ptr<ApiServer>> ApiServer::start(ApiContext ctx, ApiOptions opts) {
  if (!is_loopback(opts.host) && !opts.token)
    return index::fail(index::Errc::invalid_argument,
                       "the API would listen on " + opts.host +
                           ", which is not a loopback address: give --token-file so that requests need a token");
  if (opts.token && opts.token->empty())
    return index::fail(index::Errc::invalid_argument, "the API token is empty");
  std::unique_ptr<ApiServer> self(new ApiServer());
  self->impl_ = std::make_unique<Impl>();
  Impl& s = *self->impl_;
  s.ctx = std::move(ctx);
  s.opts = std::move(opts);
  s.ctx.http_metrics = [&s] { return s.metrics_text(); };
  s.compile_routes();
  s.configure_connections();
  s.install_hooks();
  s.register_routes();
  const int port = s.bind_port();
  if (port <= 0)
    return index::fail(index::Errc::conflict, "cannot listen on " + s.opts.host + ":" + std::to_string(s.opts.port) +
                                                  " (address in use or not available)");
  // cpp-httplib listens with a backlog of 5: many clients connecting at
  // once would wait for the kernel to retry them. Listening again on the
  // bound socket raises it.
  if (s.listen_fd >= 0) ::listen(s.listen_fd, SOMAXCONN);
  self->port_ = port;
  self->host_ = s.opts.host;
  s.listener = std::thread([&s] { s.server.listen_after_bind(); });
  return self;
}

ApiServer::~ApiServer() { stop(); }

void ApiServer::stop() {
  if (!impl_) return;
  impl_->server.stop();
  if (impl_->listener.joinable()) impl_->listener.join();
}

std::string ApiServer::url() const {
  const bool v6 = host_.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
}

std::vector<RouteName> ApiServer::routes() {
  std::vector<RouteName> out;
  for (const auto& r : route_table()) out.push_back({lowercase(r.method), r.path});
  return out;
}

const std::vector<Route>& route_table() {
  static const std::vector<Route> table = [] {
    std::vector<Route> t;
    add_ops_routes(t);
    add_catalog_routes(t);
    add_metadata_routes(t);
    add_ingest_routes(t);
    add_picture_routes(t);
    return t;
  }();
  return table;
}

void reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(index::dump_json(body, -1), "application/json");
}

}  // namespace lima::http
