// The route table of the control API and what a handler is given. Internal
// to src/http: api.cpp serves the table, routes_*.cpp fill it.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/api.h"
#include "index/records.h"
#include "thumbs/picture_worker.h"

namespace lima::http {

/// What a route's request body may be.
enum class Body {
  none,    ///< no body (any sent is read and dropped, up to the JSON limit)
  json,    ///< a JSON object, up to ApiOptions::json_limit
  import,  ///< a JSON document, up to ApiOptions::import_limit
  upload,  ///< raw bytes streamed by the handler itself, up to upload_limit
};

/// A refused upload's body, and one sent in chunks past the upload limit,
/// is still read, up to this much more, and dropped, so that the
/// connection stays usable. Beyond that the connection ends after the
/// answer (closing lingering, see Connection). Other bodies over their
/// limit are not read at all: their connection ends after the answer.
inline constexpr std::size_t kDrainLimit = 64u << 20;

/// A problem report (index/problems.h) with its counts by kind.
struct ProblemReport {
  std::vector<index::Problem> all;
  std::vector<std::pair<index::ProblemKind, std::size_t>> counts;
};

/// What the server keeps between requests for its handlers.
struct ServerState {
  /// Requests that may have changed something (every method but GET),
  /// counted once answered.
  std::atomic<std::uint64_t> writes{0};
  /// The last /status answer, reused while nothing changed for a moment.
  struct {
    std::mutex mu;
    std::string body;
    std::uint64_t writes = 0, syncs = 0, index_txn = 0;
    std::uint64_t pictures = 0;  // pictures made, failed, queued and running, mixed
    std::chrono::steady_clock::time_point made{};
  } status;
  /// The last problem report, reused while the index is unchanged: made
  /// from a snapshot whose transaction id (which moves on with every
  /// commit) is at least the asking request's.
  struct {
    std::mutex mu;
    std::uint64_t index_txn = 0;
    std::shared_ptr<const ProblemReport> report;
  } problems;
};

struct Call {
  ServerState& state;
  ApiContext& ctx;
  const ApiOptions& opts;
  const httplib::Request& req;
  httplib::Response& res;
  std::vector<std::string> params;  ///< path parameters, in order
  std::string body;                 ///< Body::json / Body::import
  const httplib::ContentReader* reader = nullptr;  ///< Body::upload
  bool body_read = false;  ///< set by an upload handler once it reads `reader`
};

using Handler = void (*)(Call&);

struct Route {
  const char* method;  ///< "GET", "POST", …
  const char* path;    ///< template: "/api/v1/projects/{id}"; "{tag}" also matches '/'
  Body body;
  Handler handler;
};

/// Every route, in registration order.
const std::vector<Route>& route_table();

/// Pieces of the table, one per file.
void add_catalog_routes(std::vector<Route>& out);
void add_metadata_routes(std::vector<Route>& out);
void add_saved_search_routes(std::vector<Route>& out);
void add_ingest_routes(std::vector<Route>& out);
void add_ops_routes(std::vector<Route>& out);
void add_picture_routes(std::vector<Route>& out);

/// The picture worker's store, when the server has a worker.
inline const thumbs::PictureStore* picture_store(const Call& c) {
  return c.ctx.pictures ? &c.ctx.pictures->store() : nullptr;
}

/// Sends JSON with a status.
void reply(httplib::Response& res, int status, const nlohmann::json& body);

}  // namespace lima::http
