// Ingestion, the only writes to the library: creating a project folder and
// uploading a file into a project (an unnamed temporary file, fsync, then
// linked into place; never overwriting unless asked). Also streams an asset's content, with Range.
// Every path is resolved one component at a time without following
// symlinks, so nothing a client sends can reach outside the library.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>

#include "http/input.h"
#include "http/views.h"
#include "http/write.h"
#include "index/ignore.h"
#include "index/names.h"

namespace lima::http {

using nlohmann::json;
using index::ReadTxn;

namespace {

index::Catalog& cat(Call& c) { return *c.ctx.catalog; }

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd, o.fd);
    return *this;
  }
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Fd open_library(Call& c) {
  Fd root(::open(c.ctx.library.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.fd < 0)
    throw ApiError(503, code::library_offline,
                   "the library " + index::printable(c.ctx.library.string()) + " cannot be opened: " + std::strerror(errno));
  return root;
}

// The components of a client-given relative path, each checked.
std::vector<std::string> path_components(std::string_view path, std::string_view what) {
  if (path.empty()) throw_invalid(std::string(what) + " is empty");
  if (path.front() == '/') throw_invalid(std::string(what) + " must be relative to the project, not absolute");
  if (path.size() > 4000) throw_invalid(std::string(what) + " is too long");
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const auto part = path.substr(start, end - start);
    if (part.empty()) throw_invalid(std::string(what) + " has an empty component ('//' or a trailing '/')");
    if (part == "." || part == "..") throw_invalid(std::string(what) + " cannot contain '.' or '..'");
    if (part.find('\0') != std::string_view::npos) throw_invalid(std::string(what) + " cannot contain NUL");
    if (part.size() > 255) throw_invalid(std::string(what) + " has a component over 255 bytes");
    if (index::IgnoreRules::ignored_by_default(part))
      throw_invalid(std::string(what) + ": '" + index::printable(part) +
                    "' is a name the index ignores (dot-files, partial downloads, …)");
    parts.emplace_back(part);
    start = end + 1;
  }
  return parts;
}

// Opens directory `name` under `dir` without following a symlink.
int open_subdir(int dir, const std::string& name) {
  return ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

[[noreturn]] void refuse_component(const std::string& name, int err) {
  if (err == ELOOP || err == ENOTDIR)
    throw_invalid("'" + index::printable(name) + "' is a symlink or not a folder; uploads never follow symlinks");
  throw ApiError(500, code::internal, "cannot open '" + index::printable(name) + "': " + std::strerror(err));
}

// -- POST /projects --

void create_project(Call& c) {
  const auto body = json_object(c.body, {"name"});
  const auto name = need_string(body, "name");
  if (auto ok = index::validate_folder_name(name); !ok) throw to_api_error(ok.error());
  Fd root = open_library(c);
  if (::mkdirat(root.fd, name.c_str(), 0777) != 0) {
    if (errno == EEXIST)
      throw ApiError(409, code::conflict, "the library has a '" + index::printable(name) + "' already");
    throw ApiError(500, code::internal, "cannot create the folder: " + std::string(std::strerror(errno)));
  }
  ::fsync(root.fd);
  auto run = c.ctx.sync->run_now(index::Mode::incremental, name, index::Trigger::api);
  if (!run) throw to_api_error(run.error());
  settle(c);
  ReadTxn t(cat(c).env());
  auto id = cat(c).project_id_by_name(t, name);
  if (!id) throw ApiError(500, code::internal, "the new folder was created but not indexed: " + run->message);
  c.res.set_header("Location", "/api/v1/projects/" + std::to_string(*id));
  reply(c.res, 201, project_detail(t, cat(c), c.ctx.library, *cat(c).project(t, *id)));
}

// -- POST /projects/{id}/assets --

std::string temp_name() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof buf, ".limafs-upload-%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

// What a failed upload leaves behind is removed: the named temporary file
// (where O_TMPFILE is not supported) and the folders it created.
struct UploadScratch {
  std::vector<std::pair<Fd, std::string>> created;  // (parent dir, name), in creation order
  int temp_dir = -1;
  std::string temp;
  bool done = false;
  ~UploadScratch() {
    if (done) return;
    if (!temp.empty()) ::unlinkat(temp_dir, temp.c_str(), 0);
    for (auto it = created.rbegin(); it != created.rend(); ++it) ::unlinkat(it->first.fd, it->second.c_str(), AT_REMOVEDIR);
  }
};

// Gives the unnamed file `fd` the name `name` in `dir`; EEXIST when taken.
int link_tmpfile(int fd, int dir, const std::string& name) {
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  if (::linkat(AT_FDCWD, proc.c_str(), dir, name.c_str(), AT_SYMLINK_FOLLOW) == 0) return 0;
  if (errno != ENOENT) return errno;
  return ::linkat(fd, "", dir, name.c_str(), AT_EMPTY_PATH) == 0 ? 0 : errno;  // no /proc
}

// The body is received into a file without a name (O_TMPFILE) in the
// deepest folder that exists already, so a refused, failed or abandoned
// upload leaves the library exactly as it was, folder times included. Only
// a complete upload creates the missing folders and links the file in.
void upload(Call& c) {
  const auto project_id = parse_id(c.params[0], "project");
  if (!c.req.has_param("path")) throw_invalid("parameter 'path' (where in the project the file goes) is required");
  const std::string rel = c.req.get_param_value("path");
  const auto parts = path_components(rel, "path");
  const bool overwrite = query_bool(c.req, "overwrite", false);
  index::Project project;
  {
    ReadTxn t(cat(c).env());
    auto p = cat(c).project(t, project_id);
    if (!p) throw_not_found("no project with id " + std::to_string(project_id));
    if (p->state != index::ItemState::live)
      throw ApiError(409, code::conflict, "project '" + index::printable(p->name) + "' is gone from the library");
    project = *p;
  }
  Fd root = open_library(c);
  Fd dir(open_subdir(root.fd, project.name));
  if (dir.fd < 0) {
    if (errno == ENOENT)
      throw ApiError(409, code::conflict, "the folder of project '" + index::printable(project.name) + "' is gone (sync)");
    refuse_component(project.name, errno);
  }
  // The folders that exist already.
  std::size_t existing = 0;
  for (; existing + 1 < parts.size(); ++existing) {
    Fd next(open_subdir(dir.fd, parts[existing]));
    if (next.fd < 0 && errno == ENOENT) break;
    if (next.fd < 0) refuse_component(parts[existing], errno);
    dir = std::move(next);
  }
  const std::string& name = parts.back();
  if (existing + 1 == parts.size()) {
    struct stat st {};
    if (::fstatat(dir.fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISLNK(st.st_mode)) throw_invalid("'" + index::printable(rel) + "' is a symlink; uploads never replace symlinks");
      if (!S_ISREG(st.st_mode)) throw ApiError(409, code::conflict, "'" + index::printable(rel) + "' exists and is not a file");
      if (!overwrite)
        throw ApiError(409, code::conflict, "'" + index::printable(rel) + "' exists already (add overwrite=true to replace it)");
    }
  }
  if (c.req.has_header("Content-Length") &&
      std::strtoull(c.req.get_header_value("Content-Length").c_str(), nullptr, 10) > c.opts.upload_limit)
    throw ApiError(413, code::payload_too_large, "the file is over the upload limit of " + std::to_string(c.opts.upload_limit) + " bytes");

  UploadScratch scratch;
  Fd out(::openat(dir.fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666));
  if (out.fd < 0) {  // a filesystem without O_TMPFILE: a named temporary file
    scratch.temp_dir = dir.fd;
    scratch.temp = temp_name();
    out = Fd(::openat(dir.fd, scratch.temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
    if (out.fd < 0) {
      scratch.temp.clear();
      throw ApiError(500, code::internal, std::string("cannot create the upload's temporary file: ") + std::strerror(errno));
    }
  }
  std::uint64_t size = 0, dropped = 0;
  bool too_large = false;
  int write_error = 0;
  auto receive = [&](const char* data, std::size_t n) {
    if (too_large || size + n > c.opts.upload_limit) {
      too_large = true;  // read on and drop, so the 413 reaches the client
      dropped += n;
      return dropped <= kDrainLimit;
    }
    for (std::size_t done = 0; done < n;) {
      const auto w = ::write(out.fd, data + done, n - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        write_error = errno;
        return false;
      }
      done += static_cast<std::size_t>(w);
    }
    size += n;
    return true;
  };
  c.body_read = true;
  const bool received = c.reader ? (*c.reader)(receive) : true;
  if (too_large)
    throw ApiError(413, code::payload_too_large, "the file is over the upload limit of " + std::to_string(c.opts.upload_limit) + " bytes");
  if (write_error) throw ApiError(500, code::internal, std::string("cannot write the file: ") + std::strerror(write_error));
  if (!received) throw_invalid("the upload ended before the whole body arrived");
  if (::fsync(out.fd) != 0) throw ApiError(500, code::internal, std::string("cannot flush the file: ") + std::strerror(errno));

  // Complete: create the missing folders, then put the file in place.
  Fd temp_dir(::dup(dir.fd));
  for (std::size_t i = existing; i + 1 < parts.size(); ++i) {
    if (::mkdirat(dir.fd, parts[i].c_str(), 0777) == 0) {
      scratch.created.emplace_back(Fd(::dup(dir.fd)), parts[i]);
    } else if (errno != EEXIST) {  // made meanwhile (another upload into it): used as it is
      throw ApiError(500, code::internal, "cannot create folder '" + index::printable(parts[i]) + "': " + std::strerror(errno));
    }
    Fd next(open_subdir(dir.fd, parts[i]));
    if (next.fd < 0) refuse_component(parts[i], errno);
    dir = std::move(next);
  }
  auto placed = [&](int err) {
    if (err == EEXIST)
      throw ApiError(409, code::conflict, "'" + index::printable(rel) + "' appeared meanwhile (add overwrite=true to replace it)");
    if (err) throw ApiError(500, code::internal, std::string("cannot move the file into place: ") + std::strerror(err));
  };
  if (scratch.temp.empty()) {
    if (!overwrite) {
      placed(link_tmpfile(out.fd, dir.fd, name));
    } else {
      // Replace atomically: link under a temporary name, rename over.
      const auto temp = temp_name();
      placed(link_tmpfile(out.fd, dir.fd, temp));
      if (::renameat(dir.fd, temp.c_str(), dir.fd, name.c_str()) != 0) {
        const int err = errno;
        ::unlinkat(dir.fd, temp.c_str(), 0);
        placed(err);
      }
    }
  } else {
    const unsigned flags = overwrite ? 0u : RENAME_NOREPLACE;
    placed(::renameat2(temp_dir.fd, scratch.temp.c_str(), dir.fd, name.c_str(), flags) == 0 ? 0 : errno);
  }
  scratch.done = true;
  ::fsync(dir.fd);

  std::string scope = project.name;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) scope += "/" + parts[i];
  // The file is complete: the live sync must not hold it back as one still
  // being written (its watcher saw it appear, not its writer close it).
  auto run = c.ctx.sync->index_written(scope, {project.name + "/" + rel});
  if (!run) throw to_api_error(run.error());
  settle(c);
  ReadTxn t(cat(c).env());
  auto id = cat(c).asset_id_by_path(t, project.id, rel);
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
