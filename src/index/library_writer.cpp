#include "index/library_writer.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <utility>

#include "index/ignore.h"
#include "index/names.h"
#include "index/unique_fd.h"

namespace lima::index {

namespace {

using Fd = UniqueFd;

std::string error_text(int err) { return std::strerror(err); }

Result<Fd> open_library(const std::filesystem::path& root) {
  Fd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.fd < 0)
    return fail(Errc::library_offline,
                "the library " + printable(root.string()) + " cannot be opened: " + error_text(errno));
  return fd;
}

// Opens directory `name` under `dir` without following a symlink.
int open_subdir(int dir, const std::string& name) {
  return ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

tl::unexpected<Error> refuse_component(const std::string& name, int err) {
  if (err == ELOOP || err == ENOTDIR)
    return fail(Errc::invalid_argument,
                "'" + printable(name) + "' is a symlink or not a folder; uploads never follow symlinks");
  return fail(Errc::io, "cannot open '" + printable(name) + "': " + error_text(err));
}

std::string temp_name() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof buf, ".limafs-upload-%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

// Gives the unnamed file `fd` the name `name` in `dir`; EEXIST when taken.
int link_tmpfile(int fd, int dir, const std::string& name) {
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  if (::linkat(AT_FDCWD, proc.c_str(), dir, name.c_str(), AT_SYMLINK_FOLLOW) == 0) return 0;
  if (errno != ENOENT) return errno;
  return ::linkat(fd, "", dir, name.c_str(), AT_EMPTY_PATH) == 0 ? 0 : errno;  // no /proc
}

}  // namespace

// -- ProjectPath --

Result<ProjectPath> ProjectPath::parse(std::string_view path, std::string_view what) {
  const std::string w(what);
  if (path.empty()) return fail(Errc::invalid_argument, w + " is empty");
  if (path.front() == '/') return fail(Errc::invalid_argument, w + " must be relative to the project, not absolute");
  if (path.size() > 4000) return fail(Errc::invalid_argument, w + " is too long");
  ProjectPath out;
  out.text_ = std::string(path);
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const auto part = path.substr(start, end - start);
    if (part.empty()) return fail(Errc::invalid_argument, w + " has an empty component ('//' or a trailing '/')");
    if (part == "." || part == "..") return fail(Errc::invalid_argument, w + " cannot contain '.' or '..'");
    if (part.find('\0') != std::string_view::npos) return fail(Errc::invalid_argument, w + " cannot contain NUL");
    if (part.size() > 255) return fail(Errc::invalid_argument, w + " has a component over 255 bytes");
    if (IgnoreRules::ignored_by_default(part))
      return fail(Errc::invalid_argument, w + ": '" + printable(part) +
                                              "' is a name the index ignores (dot-files, partial downloads, …)");
    out.parts_.emplace_back(part);
    start = end + 1;
  }
  return out;
}

std::string ProjectPath::folder() const {
  std::string out;
  for (std::size_t i = 0; i + 1 < parts_.size(); ++i) {
    if (i) out += '/';
    out += parts_[i];
  }
  return out;
}

// -- project folders --

Result<void> LibraryWriter::create_project_folder(std::string_view name) const {
  if (auto ok = validate_folder_name(name); !ok) return ok;
  auto root = open_library(root_);
  if (!root) return tl::unexpected(root.error());
  const std::string n(name);
  if (::mkdirat(root->fd, n.c_str(), 0777) != 0) {
    if (errno == EEXIST) return fail(Errc::conflict, "the library has a '" + printable(n) + "' already");
    return fail(Errc::io, "cannot create the folder: " + error_text(errno));
  }
  ::fsync(root->fd);
  return {};
}

// -- uploads --

struct LibraryWriter::Upload::State {
  ProjectPath path;
  bool overwrite = false;
  Fd dir;                 ///< the deepest folder of the path that exists
  std::size_t existing = 0;  ///< how many of the path's folders exist
  Fd out;                 ///< the file being received
  std::string temp;       ///< its name in `dir` where O_TMPFILE is not supported
  std::vector<std::pair<Fd, std::string>> created;  ///< (parent, name) of folders made, in order
  bool done = false;

  // What a failed upload leaves behind is removed: the named temporary
  // file and the folders it created.
  ~State() {
    if (done) return;
    if (!temp.empty()) ::unlinkat(dir.fd, temp.c_str(), 0);
    for (auto it = created.rbegin(); it != created.rend(); ++it)
      ::unlinkat(it->first.fd, it->second.c_str(), AT_REMOVEDIR);
  }
};

LibraryWriter::Upload::Upload(std::unique_ptr<State> s) : s_(std::move(s)) {}
LibraryWriter::Upload::Upload(Upload&&) noexcept = default;
LibraryWriter::Upload& LibraryWriter::Upload::operator=(Upload&&) noexcept = default;
LibraryWriter::Upload::~Upload() = default;

Result<LibraryWriter::Upload> LibraryWriter::prepare_upload(std::string_view project_folder, const ProjectPath& path,
                                                            bool overwrite) const {
  auto s = std::make_unique<Upload::State>();
  s->path = path;
  s->overwrite = overwrite;
  auto root = open_library(root_);
  if (!root) return tl::unexpected(root.error());
  const std::string project(project_folder);
  s->dir = Fd(open_subdir(root->fd, project));
  if (s->dir.fd < 0) {
    if (errno == ENOENT)
      return fail(Errc::conflict, "the folder of project '" + printable(project) + "' is gone (sync)");
    return refuse_component(project, errno);
  }
  const auto& parts = path.parts();
  // The folders that exist already.
  for (; s->existing + 1 < parts.size(); ++s->existing) {
    Fd next(open_subdir(s->dir.fd, parts[s->existing]));
    if (next.fd < 0 && errno == ENOENT) break;
    if (next.fd < 0) return refuse_component(parts[s->existing], errno);
    s->dir = std::move(next);
  }
  if (s->existing + 1 == parts.size()) {
    const auto rel = printable(path.text());
    struct stat st {};
    if (::fstatat(s->dir.fd, parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISLNK(st.st_mode)) return fail(Errc::invalid_argument, "'" + rel + "' is a symlink; uploads never replace symlinks");
      if (!S_ISREG(st.st_mode)) return fail(Errc::conflict, "'" + rel + "' exists and is not a file");
      if (!overwrite)
        return fail(Errc::conflict, "'" + rel + "' exists already (add overwrite=true to replace it)");
    }
  }
  return Upload(std::move(s));
}

Result<void> LibraryWriter::Upload::open() {
  State& s = *s_;
  s.out = Fd(::openat(s.dir.fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666));
  if (s.out.fd >= 0) return {};
  // A filesystem without O_TMPFILE: a named temporary file.
  s.temp = temp_name();
  s.out = Fd(::openat(s.dir.fd, s.temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (s.out.fd >= 0) return {};
  const int err = errno;
  s.temp.clear();
  return fail(Errc::io, "cannot create the upload's temporary file: " + error_text(err));
}

Result<void> LibraryWriter::Upload::write(const char* data, std::size_t n) {
  for (std::size_t done = 0; done < n;) {
    const auto w = ::write(s_->out.fd, data + done, n - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return fail(Errc::io, "cannot write the file: " + error_text(errno));
    }
    done += static_cast<std::size_t>(w);
  }
  return {};
}

Result<void> LibraryWriter::Upload::commit() {
  State& s = *s_;
  if (::fsync(s.out.fd) != 0) return fail(Errc::io, "cannot flush the file: " + error_text(errno));
  const auto& parts = s.path.parts();
  const std::string& name = parts.back();
  // Create the missing folders, then put the file in place.
  Fd dir(::dup(s.dir.fd));
  for (std::size_t i = s.existing; i + 1 < parts.size(); ++i) {
    if (::mkdirat(dir.fd, parts[i].c_str(), 0777) == 0) {
      s.created.emplace_back(Fd(::dup(dir.fd)), parts[i]);
    } else if (errno != EEXIST) {  // made meanwhile (another upload into it): used as it is
      return fail(Errc::io, "cannot create folder '" + printable(parts[i]) + "': " + error_text(errno));
    }
    Fd next(open_subdir(dir.fd, parts[i]));
    if (next.fd < 0) return refuse_component(parts[i], errno);
    dir = std::move(next);
  }
  const auto placed = [&](int err) -> Result<void> {
    if (err == EEXIST)
      return fail(Errc::conflict,
                  "'" + printable(s.path.text()) + "' appeared meanwhile (add overwrite=true to replace it)");
    if (err) return fail(Errc::io, "cannot move the file into place: " + error_text(err));
    return {};
  };
  Result<void> linked;
  if (!s.temp.empty()) {
    const unsigned flags = s.overwrite ? 0u : RENAME_NOREPLACE;
    linked = placed(::renameat2(s.dir.fd, s.temp.c_str(), dir.fd, name.c_str(), flags) == 0 ? 0 : errno);
    if (linked) s.temp.clear();
  } else if (!s.overwrite) {
    linked = placed(link_tmpfile(s.out.fd, dir.fd, name));
  } else {
    // Replace atomically: link under a temporary name, rename over.
    const auto temp = temp_name();
    linked = placed(link_tmpfile(s.out.fd, dir.fd, temp));
    if (linked && ::renameat(dir.fd, temp.c_str(), dir.fd, name.c_str()) != 0) {
      const int err = errno;
      ::unlinkat(dir.fd, temp.c_str(), 0);
      linked = placed(err);
    }
  }
  if (!linked) return linked;
  s.done = true;
  ::fsync(dir.fd);
  return {};
}

}  // namespace lima::index
