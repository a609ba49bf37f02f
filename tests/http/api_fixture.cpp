#include "http/api_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>
#include <sstream>

#include "index/backup.h"
#include "index/metadata.h"
#include "index/records_json.h"
#include "index/runs.h"
#include "index/sync.h"

namespace lima::test {

namespace stdfs = std::filesystem;
using nlohmann::json;

std::string Reply::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string Reply::error_code() const {
  if (!json.is_object() || !json.contains("error") || !json["error"].is_object()) return {};
  const auto& e = json["error"];
  return e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : std::string();
}

std::string Reply::error_message() const {
  if (!json.is_object() || !json.contains("error") || !json["error"].is_object()) return {};
  const auto& e = json["error"];
  return e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : std::string();
}

std::map<std::string, SnapshotEntry> without_dir_mtimes(std::map<std::string, SnapshotEntry> s) {
  for (auto& [path, e] : s)
    if (e.type == "dir") e.mtime_ns = 0;
  return s;
}

namespace {

std::string describe(const SnapshotEntry& e) {
  std::ostringstream o;
  o << e.type << " size=" << e.size << " mtime_ns=" << e.mtime_ns << " mode=" << std::oct << e.mode << std::dec
    << " content=" << e.content;
  return o.str();
}

void diff_maps(std::ostringstream& o, const std::string& where, const std::map<std::string, SnapshotEntry>& a,
               const std::map<std::string, SnapshotEntry>& b) {
  for (const auto& [path, e] : a) {
    auto it = b.find(path);
    if (it == b.end())
      o << where << ": removed " << path << "\n";
    else if (!(it->second == e))
      o << where << ": changed " << path << ": " << describe(e) << " -> " << describe(it->second) << "\n";
  }
  for (const auto& [path, e] : b)
    if (!a.count(path)) o << where << ": created " << path << " (" << describe(e) << ")\n";
}

}  // namespace

std::string describe_difference(const Snapshot& before, const Snapshot& after) {
  std::ostringstream o;
  diff_maps(o, "library", before.library, after.library);
  diff_maps(o, "outside", before.outside, after.outside);
  if (before.index != after.index) {
    const auto patch = json::diff(before.index, after.index);
    o << "index: " << patch.dump() << "\n";
  }
  return o.str();
}

const std::map<std::string, std::string>& standard_files() {
  static const std::map<std::string, std::string> files = {
      {"Benchy/models/3DBenchy.stl", random_bytes(3000, 1)},
      {"Benchy/images/cover.png", png_start(640, 480, 2000, 2)},
      {"Benchy/images/side.jpg", random_bytes(1500, 3)},
      {"Benchy/README.md", "# Benchy\nthe classic boat\n"},
      {"Cube/cube.stl", random_bytes(1000, 4)},
      {"Cube/cube.3mf", random_bytes(1200, 5)},
      {"Dragon/dragon.stl", random_bytes(5000, 6)},
      {"Dragon/parts/wing.stl", random_bytes(4000, 7)},
      {"Dragon/render.png", random_bytes(2500, 8)},
      {"Vase/vase.3mf", random_bytes(7000, 9)},
      {"Vase/notes.txt", "spiral mode\n"},
  };
  return files;
}

RawConnection::RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  REQUIRE(fd_ >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
}

void RawConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void RawConnection::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

bool RawConnection::send(const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const auto n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::string RawConnection::read_response(int ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    const auto end = buffered_.find("\r\n\r\n");
    if (end != std::string::npos) {
      const auto head = buffered_.substr(0, end + 2);
      const auto cl = header_of(head, "Content-Length");
      const std::size_t length = cl.empty() ? 0 : std::stoul(cl);
      if (buffered_.size() >= end + 4 + length) {
        auto response = buffered_.substr(0, end + 4 + length);
        buffered_.erase(0, end + 4 + length);
        return response;
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return {};
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return {};
    char buf[8192];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return {};
    buffered_.append(buf, static_cast<std::size_t>(n));
  }
}

std::string RawConnection::drain(int ms) {
  std::string out = std::exchange(buffered_, {});
  char buf[8192];
  for (pollfd p{fd_, POLLIN, 0}; ::poll(&p, 1, ms) > 0;) {
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return out + "<EOF>";
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

int status_of(const std::string& response) {
  return response.size() > 12 && response.starts_with("HTTP/1.1 ") ? std::stoi(response.substr(9, 3)) : 0;
}

std::string header_of(const std::string& response, const std::string& name) {
  const auto head_end = response.find("\r\n\r\n");
  const auto head = response.substr(0, head_end == std::string::npos ? response.size() : head_end + 2);
  for (std::size_t line = head.find("\r\n"); line != std::string::npos && line + 2 < head.size();) {
    const auto start = line + 2;
    const auto end = head.find("\r\n", start);
    if (end == std::string::npos) break;
    const auto colon = head.find(':', start);
    if (colon != std::string::npos && colon < end && colon - start == name.size() &&
        ::strncasecmp(head.c_str() + start, name.c_str(), name.size()) == 0) {
      auto value = head.substr(colon + 1, end - colon - 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      return value;
    }
    line = end;
  }
  return {};
}

json body_of(const std::string& response) {
  const auto head_end = response.find("\r\n\r\n");
  if (head_end == std::string::npos) return json::value_t::discarded;
  return json::parse(response.substr(head_end + 4), nullptr, false);
}

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

namespace {

// A file of `size` pseudo-random bytes, written in 1 MiB pieces.
void write_big_file(const stdfs::path& p, std::size_t size, unsigned seed) {
  stdfs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  const std::string chunk = random_bytes(1u << 20, seed);
  for (std::size_t done = 0; done < size; done += chunk.size()) {
    // Vary each chunk a little so no two files (or chunks) are alike.
    std::string piece = chunk;
    std::snprintf(piece.data(), 32, "%u:%zu", seed, done);
    f.write(piece.data(), static_cast<std::streamsize>(std::min(piece.size(), size - done)));
  }
  if (!f) throw std::runtime_error("cannot write " + p.string());
}

}  // namespace

ApiFixture::ApiFixture(FixtureOptions options) {
  root_ = tmp_.path() / "library";
  state_ = tmp_.path() / "state";
  outside_ = tmp_.path() / "outside";
  write_file(outside_ / "secret.txt", "not part of the library\n");
  if (options.copy_library_from) {
    stdfs::copy(*options.copy_library_from, root_, stdfs::copy_options::recursive | stdfs::copy_options::copy_symlinks);
    // A symlink that pointed to the original's outside folder points to ours.
    if (stdfs::is_symlink(root_ / "Benchy/escape")) {
      stdfs::remove(root_ / "Benchy/escape");
      stdfs::create_directory_symlink(outside_, root_ / "Benchy/escape");
    }
  } else {
    for (const auto& [rel, bytes] : standard_files()) write_file(root_ / rel, bytes);
    // A symlink inside a project that leads out of the library.
    stdfs::create_directory_symlink(outside_, root_ / "Benchy/escape");
    if (options.big_files)
      for (unsigned i = 0; i < 3; ++i)
        write_big_file(root_ / "Big" / ("part" + std::to_string(i) + ".stl"), std::size_t{64} << 20, 100 + i);
  }

  auto opened = index::Catalog::open(state_, index::OpenMode::read_write);
  REQUIRE(opened);
  catalog_ = std::move(*opened);

  index::SyncOptions so;
  so.library = root_;
  auto run = index::run_sync(*catalog_, so);
  REQUIRE(run);
  REQUIRE(run->status == index::RunStatus::ok);

  if (options.seed_metadata) {
    catalog_->write([&](index::WriteTxn& t) {
      index::Metadata meta(*catalog_);
      auto id = [&](const char* name) { return *catalog_->project_id_by_name(t, name); };
      REQUIRE(meta.tag_project(t, id("Benchy"), "pla"));
      REQUIRE(meta.tag_project(t, id("Benchy"), "boat"));
      REQUIRE(meta.tag_project(t, id("Cube"), "pla"));
      REQUIRE(meta.tag_project(t, id("Dragon"), "dragon"));
      REQUIRE(meta.tag_asset(t, *catalog_->asset_id_by_path(t, id("Benchy"), "models/3DBenchy.stl"), "hull"));
      auto fav = meta.create_collection(t, "Favourites");
      REQUIRE(fav);
      REQUIRE(meta.add_to_collection(t, *fav, id("Benchy")));
      REQUIRE(meta.add_to_collection(t, *fav, id("Dragon")));
      REQUIRE(meta.set_note(t, {index::NoteTarget::Type::project, id("Vase")}, "spiral vase mode"));
    });
  }

  index::SyncSettings settings;
  settings.library = root_;
  sync_ = std::make_unique<index::SyncCoordinator>(*catalog_, settings);
  sync_->record(*run);

  http::ApiContext ctx;
  ctx.catalog = catalog_.get();
  ctx.library = root_;
  ctx.sync = sync_.get();
  ctx.started_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  ctx.version = "test";
  http::ApiOptions api = options.api;
  if (!options.keep_address) {
    api.host = "127.0.0.1";
    api.port = 0;
  }
  auto started = http::ApiServer::start(std::move(ctx), api);
  if (!started) FAIL("the API did not start: " << started.error().message);
  server_ = std::move(*started);
  client_ = new_client(false);
}

ApiFixture::~ApiFixture() {
  client_.reset();
  if (server_) server_->stop();
  server_.reset();
  sync_.reset();  // cancels and waits for a running sync
  catalog_.reset();
}

std::unique_ptr<httplib::Client> ApiFixture::new_client(bool keep_alive) const {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  c->set_connection_timeout(5);
  c->set_read_timeout(30);
  c->set_write_timeout(30);
  c->set_keep_alive(keep_alive);
  c->set_url_encode(false);  // targets are sent exactly as the tests spell them
  c->set_decompress(true);
  return c;
}

Reply ApiFixture::request(const std::string& method, const std::string& target, const std::string& body,
                          const std::string& content_type, const httplib::Headers& headers) {
  return request(*client_, method, target, body, content_type, headers);
}

Reply ApiFixture::request(httplib::Client& c, const std::string& method, const std::string& target,
                          const std::string& body, const std::string& content_type, const httplib::Headers& headers) {
  httplib::Request req;
  req.method = method;
  req.path = target;
  req.headers = headers;
  if (!content_type.empty()) req.headers.emplace("Content-Type", content_type);
  req.body = body;
  auto res = c.send(req);
  Reply r;
  r.error = res.error();
  if (!res) return r;
  r.status = res->status;
  r.headers = res->headers;
  r.body = res->body;
  r.json = json::parse(r.body, nullptr, false);
  return r;
}

json ApiFixture::index_snapshot() {
  index::ReadTxn t(catalog_->env());
  json j;
  auto exported = index::export_metadata(*catalog_, t);
  exported.erase("exported_at");
  j["metadata"] = exported;
  j["counts"] = index::to_json(catalog_->counts(t));
  json projects = json::array();
  for (const auto& p : catalog_->projects(t, true))
    projects.push_back({{"id", p.id}, {"name", p.name}, {"state", static_cast<int>(p.state)}, {"mtime", p.mtime_ns}});
  j["projects"] = projects;
  json assets = json::array();
  catalog_->for_each_asset(t, [&](const index::Asset& a) {
    assets.push_back({{"id", a.id},
                      {"project", a.project},
                      {"path", a.path},
                      {"size", a.size},
                      {"mtime", a.mtime_ns},
                      {"hash", a.hash.to_string()},
                      {"state", static_cast<int>(a.state)}});
  });
  j["assets"] = assets;
  json runs = json::array();
  for (const auto& r : index::RunLog(*catalog_).list(t, 1000)) runs.push_back(index::to_json(r));
  j["runs"] = runs;
  return j;
}

Snapshot ApiFixture::snapshot() {
  Snapshot s;
  s.library = lima::test::snapshot(root_);
  s.outside = lima::test::snapshot(outside_);
  s.index = index_snapshot();
  return s;
}

std::uint64_t ApiFixture::project_id(const std::string& name) {
  index::ReadTxn t(catalog_->env());
  auto id = catalog_->project_id_by_name(t, name);
  REQUIRE(id);
  return *id;
}

std::uint64_t ApiFixture::asset_id(const std::string& project, const std::string& path) {
  const auto p = project_id(project);
  index::ReadTxn t(catalog_->env());
  auto id = catalog_->asset_id_by_path(t, p, path);
  REQUIRE(id);
  return *id;
}

std::string ApiFixture::metrics() {
  auto r = get("/api/v1/metrics");
  REQUIRE(r.status == 200);
  return r.body;
}

void ApiFixture::sync_and_wait() {
  auto started = post("/api/v1/sync/runs", nlohmann::json::object());
  REQUIRE(started.status == 202);
  const auto id = started.json["id"].get<std::uint64_t>();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    auto r = get("/api/v1/sync/runs/" + std::to_string(id));
    REQUIRE(r.status == 200);
    if (r.json["status"] != "running" && get("/api/v1/status").json["running_run"].is_null()) {
      REQUIRE(r.json["status"] == "ok");
      return;
    }
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace lima::test
