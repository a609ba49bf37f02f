// A real control API to test against: a temporary library on disk, a real
// LMDB catalog in a temporary state directory, synced, and a real
// http::ApiServer on 127.0.0.1 (a free port), reached over loopback with
// httplib::Client. Nothing is mocked. snapshot() captures the library on
// disk and the index, so a test can assert that a request changed nothing.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "support/library_snapshot.h"
#include "http/api.h"
#include "index/catalog.h"
#include "index/sync_coordinator.h"
#include "test_support.h"

namespace lima::test {

/// One answer of the API as a client sees it.
struct Reply {
  int status = 0;  ///< 0: no HTTP answer at all (see error)
  httplib::Error error = httplib::Error::Success;
  httplib::Headers headers;
  std::string body;
  nlohmann::json json;  ///< the parsed body; discarded (is_discarded()) when not JSON

  std::string header(const std::string& name) const;
  bool has_header(const std::string& name) const { return headers.find(name) != headers.end(); }
  /// error.code of the envelope, or "" when the body is not one.
  std::string error_code() const;
  std::string error_message() const;
};

/// Everything a request could have changed: every path of the library (and
/// of a folder outside it that symlinks in the library point to), and the
/// index's records, metadata and counts.
struct Snapshot {
  std::map<std::string, SnapshotEntry> library;
  std::map<std::string, SnapshotEntry> outside;
  nlohmann::json index;
  bool operator==(const Snapshot&) const = default;
};

/// The library snapshot without directory mtimes: what is on disk, ignoring
/// that a folder's entries changed and changed back (a temp file created
/// and removed again).
std::map<std::string, SnapshotEntry> without_dir_mtimes(std::map<std::string, SnapshotEntry> s);

/// Human-readable differences between two snapshots (empty when equal).
std::string describe_difference(const Snapshot& before, const Snapshot& after);

struct FixtureOptions {
  http::ApiOptions api;  ///< host and port are forced to 127.0.0.1:0 unless `keep_address`
  bool keep_address = false;
  /// Tags, a collection and a note made through the index before the server starts.
  bool seed_metadata = true;
  /// Adds Big/ with three 64 MiB files (for runs that take a while).
  bool big_files = false;
  /// Use a copy of this library instead of making the standard one.
  std::optional<std::filesystem::path> copy_library_from;
};

class ApiFixture {
 public:
  explicit ApiFixture(FixtureOptions options = {});
  ~ApiFixture();
  ApiFixture(const ApiFixture&) = delete;
  ApiFixture& operator=(const ApiFixture&) = delete;

  const std::filesystem::path& root() const { return root_; }      ///< the library
  const std::filesystem::path& state() const { return state_; }    ///< the state directory
  const std::filesystem::path& outside() const { return outside_; } ///< a folder beside the library
  index::Catalog& catalog() { return *catalog_; }
  index::SyncCoordinator& sync() { return *sync_; }
  http::ApiServer& server() { return *server_; }
  int port() const { return server_->port(); }

  /// The fixture's client (no keep-alive: one connection per request).
  httplib::Client& client() { return *client_; }
  /// A new client of this server, with the fixture's timeouts.
  std::unique_ptr<httplib::Client> new_client(bool keep_alive = false) const;

  /// Any request. `content_type` empty: the header is not sent by us
  /// (httplib adds text/plain to a non-empty body then).
  Reply request(const std::string& method, const std::string& target, const std::string& body = {},
                const std::string& content_type = {}, const httplib::Headers& headers = {});
  Reply request(httplib::Client& c, const std::string& method, const std::string& target, const std::string& body = {},
                const std::string& content_type = {}, const httplib::Headers& headers = {});
  Reply get(const std::string& target, const httplib::Headers& headers = {}) {
    return request("GET", target, {}, {}, headers);
  }
  Reply post(const std::string& target, const nlohmann::json& body) {
    return request("POST", target, body.dump(), "application/json");
  }
  Reply put(const std::string& target, const nlohmann::json& body = nullptr) {
    return request("PUT", target, body.is_null() ? std::string() : body.dump(), body.is_null() ? "" : "application/json");
  }
  Reply patch(const std::string& target, const nlohmann::json& body) {
    return request("PATCH", target, body.dump(), "application/json");
  }
  Reply del(const std::string& target) { return request("DELETE", target); }
  /// Uploads raw bytes (application/octet-stream).
  Reply upload(const std::string& target, const std::string& bytes) {
    return request("POST", target, bytes, "application/octet-stream");
  }

  Snapshot snapshot();
  nlohmann::json index_snapshot();

  /// Ids as the index has them (REQUIREd to exist).
  std::uint64_t project_id(const std::string& name);
  std::uint64_t asset_id(const std::string& project, const std::string& path);
  std::string pid(const std::string& name) { return std::to_string(project_id(name)); }
  std::string aid(const std::string& project, const std::string& path) {
    return std::to_string(asset_id(project, path));
  }
  /// The metrics text (GET /api/v1/metrics).
  std::string metrics();
  /// Runs a sync through the API and waits (at most a minute) until it has
  /// ended `ok` and nothing runs any more.
  void sync_and_wait();

 private:
  TempDir tmp_;
  std::filesystem::path root_, state_, outside_;
  std::unique_ptr<index::Catalog> catalog_;
  std::unique_ptr<index::SyncCoordinator> sync_;
  std::unique_ptr<http::ApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

/// A bare TCP connection to a server on 127.0.0.1, for what httplib::Client
/// cannot be made to do: send malformed requests, send headers and body
/// apart, hang up or stop sending halfway.
class RawConnection {
 public:
  explicit RawConnection(int port);
  ~RawConnection() { close(); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void close();
  /// Shuts the sending side: the server reads the end of the stream.
  void shutdown_write();
  /// False when the peer has gone.
  bool send(const std::string& data);
  /// One response (status line, headers, Content-Length body), or "" when
  /// none comes within `ms`.
  std::string read_response(int ms = 3000);
  /// Whatever arrives within `ms` (and was read already), then "<EOF>" if
  /// the server hung up.
  std::string drain(int ms);

 private:
  int fd_;
  std::string buffered_;
};

/// The status of a raw response ("HTTP/1.1 413 ..."), or 0.
int status_of(const std::string& response);
/// A header of a raw response ("" when absent); the name ignores case.
std::string header_of(const std::string& response, const std::string& name);
/// The body of a raw response, parsed as JSON (discarded when it is not).
nlohmann::json body_of(const std::string& response);

/// The standard library the fixture makes, file by file (library-relative
/// path → bytes), loose of the symlink Benchy/escape → outside().
const std::map<std::string, std::string>& standard_files();

/// Percent-encodes every byte but unreserved ones (for query values and path parts).
std::string url_encode(const std::string& s);

}  // namespace lima::test
