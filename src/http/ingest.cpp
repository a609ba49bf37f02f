// Ingestion: creating a project folder and uploading a file into a project
// (both written by index::LibraryWriter, which keeps the library's
// guarantees; here requests are only adapted to it), and streaming an
// asset's content, with Range. A path to a file is opened one component at
// a time without following symlinks, so nothing is served from outside the
// library.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <type_traits>

#include "http/input.h"
#include "http/views.h"
#include "http/write.h"
#include "index/library_writer.h"
#include "index/names.h"
#include "index/unique_fd.h"

namespace lima::http {

using nlohmann::json;
using index::ReadTxn;

namespace {

index::Catalog& cat(Call& c) { return *c.ctx.catalog; }

template <class T>
T value_or_throw(index::Result<T> r) {
  if (!r) throw to_api_error(r.error());
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

using Fd = index::UniqueFd;

Fd open_library(Call& c) {
  Fd root(::open(c.ctx.library.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.fd < 0)
    throw ApiError(503, code::library_offline,
                   "the library " + index::printable(c.ctx.library.string()) + " cannot be opened: " + std::strerror(errno));
  return root;
}

// Opens directory `name` under `dir` without following a symlink.
int open_subdir(int dir, const std::string& name) {
  return ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

// -- POST /projects --

void create_project(Call& c) {
  const auto body = json_object(c.body, {"name"});
  const auto name = need_string(body, "name");
  value_or_throw(index::LibraryWriter(c.ctx.library).create_project_folder(name));
  auto run = c.ctx.sync->run_now(index::Mode::incremental, name, index::Trigger::api);
  if (!run) throw to_api_error(run.error());
  settle(c);
  ReadTxn t(cat(c).env());
  auto id = cat(c).project_id_by_name(t, name);
  if (!id) throw ApiError(500, code::internal, "the new folder was created but not indexed: " + run->message);
  c.res.set_header("Location", "/api/v1/projects/" + std::to_string(*id));
  reply(c.res, 201, project_detail(t, cat(c), c.ctx.library, *cat(c).project(t, *id), picture_store(c)));
}

// -- POST /projects/{id}/assets --

index::Project live_project(Call& c, index::ProjectId id) {
  ReadTxn t(cat(c).env());
  auto p = cat(c).project(t, id);
  if (!p) throw_not_found("no project with id " + std::to_string(id));
  if (p->state != index::ItemState::live)
    throw ApiError(409, code::conflict, "project '" + index::printable(p->name) + "' is gone from the library");
  return *p;
}

[[noreturn]] void throw_too_large(Call& c) {
  throw ApiError(413, code::payload_too_large,
                 "the file is over the upload limit of " + std::to_string(c.opts.upload_limit) + " bytes");
}

// The body streams into the library writer's upload; the file appears in
// the project only once the whole body has arrived (library_writer.h).
void upload(Call& c) {
  const auto project_id = parse_id(c.params[0], "project");
  if (!c.req.has_param("path")) throw_invalid("parameter 'path' (where in the project the file goes) is required");
  const auto path = value_or_throw(index::ProjectPath::parse(c.req.get_param_value("path")));
  const bool overwrite = query_bool(c.req, "overwrite", false);
  const auto project = live_project(c, project_id);
  auto file = value_or_throw(index::LibraryWriter(c.ctx.library).prepare_upload(project.name, path, overwrite));
  if (c.req.has_header("Content-Length") &&
      std::strtoull(c.req.get_header_value("Content-Length").c_str(), nullptr, 10) > c.opts.upload_limit)
    throw_too_large(c);
  value_or_throw(file.open());
  std::uint64_t size = 0, dropped = 0;
  bool too_large = false;
  index::Result<void> written;
  auto receive = [&](const char* data, std::size_t n) {
    if (too_large || size + n > c.opts.upload_limit) {
      too_large = true;  // read on and drop, so the 413 reaches the client
      dropped += n;
      return dropped <= kDrainLimit;
    }
    size += n;
    return bool(written = file.write(data, n));
  };
  c.body_read = true;
  const bool received = c.reader ? (*c.reader)(receive) : true;
  if (too_large) throw_too_large(c);
  value_or_throw(std::move(written));
  if (!received) throw_invalid("the upload ended before the whole body arrived");
  value_or_throw(file.commit());

  const auto folder = path.folder();
  const std::string scope = folder.empty() ? project.name : project.name + "/" + folder;
  // The file is complete: the live sync must not hold it back as one still
  // being written (its watcher saw it appear, not its writer close it).
  auto run = c.ctx.sync->index_written(scope, {project.name + "/" + path.text()});
  if (!run) throw to_api_error(run.error());
  settle(c);
  ReadTxn t(cat(c).env());
  auto id = cat(c).asset_id_by_path(t, project.id, path.text());
  auto asset = id ? cat(c).asset(t, *id) : std::nullopt;
  if (!asset || asset->state != index::ItemState::live)
    throw ApiError(500, code::internal,
                   "the file was written but not indexed (sync run " + std::to_string(run->id) + " " +
                       std::string(index::to_string(run->status)) + (run->message.empty() ? "" : ": " + run->message) + ")");
  c.res.set_header("Location", "/api/v1/assets/" + std::to_string(asset->id));
  reply(c.res, 201, asset_json(t, cat(c), *asset, true));
}

// -- GET /assets/{id}/content --

std::string_view media_type_of(std::string_view path) {
  const auto dot = path.rfind('.');
  std::string ext = dot == std::string_view::npos ? "" : std::string(path.substr(dot + 1));
  for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {"stl", "model/stl"},        {"3mf", "model/3mf"},       {"obj", "model/obj"},
      {"gltf", "model/gltf+json"}, {"glb", "model/gltf-binary"}, {"step", "model/step"},
      {"stp", "model/step"},       {"png", "image/png"},       {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},      {"webp", "image/webp"},     {"gif", "image/gif"},
      {"bmp", "image/bmp"},        {"tif", "image/tiff"},      {"tiff", "image/tiff"},
      {"avif", "image/avif"},      {"svg", "image/svg+xml"},   {"pdf", "application/pdf"},
      {"txt", "text/plain; charset=utf-8"}, {"md", "text/markdown; charset=utf-8"},
      {"html", "text/html; charset=utf-8"}, {"gcode", "text/x-gcode"}, {"scad", "text/plain; charset=utf-8"}};
  for (const auto& [e, type] : kTypes)
    if (ext == e) return type;
  return "application/octet-stream";
}

std::string content_disposition(std::string_view path) {
  const auto slash = path.rfind('/');
  const auto name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::string ascii, encoded;
  for (unsigned char ch : name) {
    ascii += (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') ? static_cast<char>(ch) : '_';
    if (std::isalnum(ch) || std::string_view("-._~").find(static_cast<char>(ch)) != std::string_view::npos) {
      encoded += static_cast<char>(ch);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", ch);
      encoded += buf;
    }
  }
  return "inline; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

// A single "bytes=" range against `size`: nullopt when there is no usable
// Range header (serve everything); throws 416 when it cannot be satisfied.
std::optional<std::pair<std::uint64_t, std::uint64_t>> byte_range(const httplib::Request& req, std::uint64_t size,
                                                                  httplib::Response& res) {
  if (!req.has_header("Range")) return std::nullopt;
  std::string v = req.get_header_value("Range");
  auto unsatisfiable = [&]() -> std::pair<std::uint64_t, std::uint64_t> {
    res.set_header("Content-Range", "bytes */" + std::to_string(size));
    throw ApiError(416, code::range_not_satisfiable,
                   "the range '" + index::printable(v) + "' is outside the file's " + std::to_string(size) + " bytes");
  };
  if (!v.starts_with("bytes=") || v.find(',') != std::string::npos) return std::nullopt;  // several ranges: all
  const auto spec = v.substr(6);
  const auto dash = spec.find('-');
  if (dash == std::string::npos) return unsatisfiable();
  const auto a = spec.substr(0, dash), b = spec.substr(dash + 1);
  auto num = [&](const std::string& s) {
    if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) unsatisfiable();
    return static_cast<std::uint64_t>(std::stoull(s));
  };
  if (a.empty()) {  // the last N bytes
    const auto n = num(b);
    if (n == 0 || size == 0) return unsatisfiable();
    return std::pair{size - std::min<std::uint64_t>(n, size), size - 1};
  }
  const auto first = num(a);
  const auto last = b.empty() ? size - 1 : std::min<std::uint64_t>(num(b), size - 1);
  if (first >= size || (!b.empty() && num(b) < first)) return unsatisfiable();
  return std::pair{first, last};
}

void content(Call& c) {
  const auto id = parse_id(c.params[0], "asset");
  std::string project_name, path;
  {
    ReadTxn t(cat(c).env());
    auto a = cat(c).asset(t, id);
    if (!a) throw_not_found("no asset with id " + std::to_string(id));
    if (a->state != index::ItemState::live) throw_not_found("asset " + std::to_string(id) + " is gone from the library");
    path = a->path;
    if (a->project != index::kRootProject)
      if (auto p = cat(c).project(t, a->project)) project_name = p->name;
  }
  Fd root = open_library(c);
  std::vector<std::string> parts;
  if (!project_name.empty()) parts.push_back(project_name);
  for (std::size_t start = 0;;) {
    const auto end = path.find('/', start);
    parts.push_back(path.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  Fd dir(::dup(root.fd));
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    Fd next(open_subdir(dir.fd, parts[i]));
    if (next.fd < 0) {
      if (errno == ENOENT) throw_not_found("the file is not on disk any more (a sync will update the index)");
      throw ApiError(409, code::conflict, "a folder on the way to the file is now a symlink or not a folder");
    }
    dir = std::move(next);
  }
  auto file = std::make_shared<Fd>(::openat(dir.fd, parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (file->fd < 0) {
    if (errno == ENOENT) throw_not_found("the file is not on disk any more (a sync will update the index)");
    if (errno == ELOOP) throw ApiError(409, code::conflict, "the file is now a symlink; it is not served");
    throw ApiError(500, code::internal, std::string("cannot open the file: ") + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(file->fd, &st) != 0 || !S_ISREG(st.st_mode))
    throw ApiError(409, code::conflict, "the path is no longer a regular file");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const auto range = byte_range(c.req, size, c.res);
  std::uint64_t first = 0, length = size;
  c.res.set_header("Accept-Ranges", "bytes");
  c.res.set_header("Content-Disposition", content_disposition(path));
  if (range) {
    first = range->first;
    length = range->second - range->first + 1;
    c.res.status = 206;
    c.res.set_header("Content-Range",
                     "bytes " + std::to_string(range->first) + "-" + std::to_string(range->second) + "/" + std::to_string(size));
  } else {
    c.res.status = 200;
  }
  if (length == 0) {
    c.res.set_content("", std::string(media_type_of(path)));
    return;
  }
  c.res.set_content_provider(
      static_cast<std::size_t>(length), std::string(media_type_of(path)),
      [file, first](std::size_t offset, std::size_t len, httplib::DataSink& sink) {
        char buf[64 * 1024];
        const auto want = std::min(len, sizeof buf);
        const auto n = ::pread(file->fd, buf, want, static_cast<off_t>(first + offset));
        if (n <= 0) return false;  // the file shrank: end the response
        return sink.write(buf, static_cast<std::size_t>(n));
      });
}

}  // namespace

void add_ingest_routes(std::vector<Route>& out) {
  out.insert(out.end(), {
      {"POST", "/api/v1/projects", Body::json, create_project},
      {"POST", "/api/v1/projects/{id}/assets", Body::upload, upload},
      {"GET", "/api/v1/assets/{id}/content", Body::none, content},
  });
}

}  // namespace lima::http
