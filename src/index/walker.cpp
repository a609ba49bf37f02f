#include "index/walker.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

namespace lima::index {

DirFd::~DirFd() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

struct Entry {
  std::string name;
  unsigned char type;
  ino_t ino;
};

class Walker {
 public:
  Walker(const WalkOptions& opts, WalkSink& sink) : opts_(opts), sink_(sink) {}

  struct PendingProject {
    std::uint32_t number;
    std::string name;
  };

  /// Lists `dir` (at library-relative `lpath`, inside project number
  /// `project` whose folder-relative prefix is `ppath`). In the root,
  /// project folders are reported and queued in `pending`, not entered.
  void walk_dir(const std::shared_ptr<DirFd>& dir, const std::string& lpath, std::uint32_t project,
                const std::string& ppath, int depth, std::vector<PendingProject>* pending = nullptr) {
    std::vector<Entry> entries;
    if (!list(dir->get(), lpath, entries)) return;
    std::vector<FoundFile> found;
    std::vector<const Entry*> subdirs;
    const std::uint32_t owner = lpath.empty() ? kLooseFiles : project;
    for (auto& e : entries) {
      if (sink_.cancelled()) return;
      // The library-relative path, built only where it is needed (most files
      // never need it).
      auto child_lpath_of = [&] { return lpath.empty() ? e.name : lpath + "/" + e.name; };
      if (opts_.ignore && opts_.ignore->ignored(e.name, opts_.ignore->needs_path() ? child_lpath_of() : e.name))
        continue;
      struct stat st{};
      unsigned char type = e.type;
      if (type == DT_REG && !lpath.empty() && !sink_.wants_stat(owner, e.ino)) {
        // The sink will read this file anyway and learn its stat then.
        found.push_back({e.name, ppath.empty() ? e.name : ppath + "/" + e.name, false, {}});
        continue;
      }
      if (type == DT_UNKNOWN || type == DT_REG || lpath.empty()) {
        if (::fstatat(dir->get(), e.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
          const int err = errno;
          const std::string child_lpath = child_lpath_of();
          report_errno(child_lpath, err);
          // Unknown is not gone: keep whatever the index knows there.
          if (err != ENOENT) sink_.unlisted(child_lpath);
          continue;
        }
        type = static_cast<unsigned char>(IFTODT(st.st_mode));
      }
      switch (type) {
        case DT_REG:
          if (lpath.empty()) sink_.problem(e.name, ProblemKind::loose_file, "file directly in the library root");
          found.push_back({e.name, ppath.empty() ? e.name : ppath + "/" + e.name, true, st});
          break;
        case DT_DIR: {
          if (lpath.empty()) {
            // A project folder.
            std::uint32_t number = sink_.project(e.name, st);
            if (pending) pending->push_back({number, e.name});
            else enter(dir, e.name, e.name, number, "", 0);
          } else {
            subdirs.push_back(&e);
          }
          break;
        }
        case DT_LNK:
          sink_.problem(child_lpath_of(), ProblemKind::symlink, "symbolic link (not followed)");
          break;
        default:
          sink_.problem(child_lpath_of(), ProblemKind::special_file, special_name(type));
          break;
      }
    }
    if (!found.empty()) sink_.files(dir, owner, found);
    for (const Entry* e : subdirs)
      enter(dir, e->name, lpath + "/" + e->name, project, ppath.empty() ? e->name : ppath + "/" + e->name, depth + 1);
  }

  void enter(const std::shared_ptr<DirFd>& parent, const std::string& name, const std::string& lpath,
             std::uint32_t project, const std::string& ppath, int depth) {
    if (depth > opts_.max_depth) {
      sink_.problem(lpath, ProblemKind::too_deep,
                    "nested deeper than " + std::to_string(opts_.max_depth) + " directories; not entered");
      sink_.unlisted(lpath);
      return;
    }
    int fd = ::openat(parent->get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      report_errno(lpath, errno);
      sink_.unlisted(lpath);
      return;
    }
    walk_dir(std::make_shared<DirFd>(fd), lpath, project, ppath, depth);
  }

  void report_errno(const std::string& lpath, int err) {
    if (err == ENOENT)
      sink_.problem(lpath, ProblemKind::vanished, "disappeared during the sync");
    else
      sink_.problem(lpath, ProblemKind::unreadable, std::strerror(err));
  }

 private:
  bool list(int fd, const std::string& lpath, std::vector<Entry>& out) {
    int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    DIR* d = dup >= 0 ? ::fdopendir(dup) : nullptr;
    if (!d) {
      if (dup >= 0) ::close(dup);
      report_errno(lpath, errno);
      sink_.unlisted(lpath);
      return false;
    }
    errno = 0;
    while (dirent* de = ::readdir(d)) {
      if (de->d_name[0] == '.' && (de->d_name[1] == 0 || (de->d_name[1] == '.' && de->d_name[2] == 0))) continue;
      out.push_back({de->d_name, de->d_type, de->d_ino});
    }
    int err = errno;
    ::closedir(d);
    if (err) {
      report_errno(lpath, err);
      sink_.unlisted(lpath);
      return false;
    }
    return true;
  }

  static std::string special_name(unsigned char type) {
    switch (type) {
      case DT_FIFO: return "named pipe (FIFO), not a regular file";
      case DT_SOCK: return "socket, not a regular file";
      case DT_CHR: return "character device, not a regular file";
      case DT_BLK: return "block device, not a regular file";
      default: return "not a regular file";
    }
  }

  const WalkOptions& opts_;
  WalkSink& sink_;
};

}  // namespace

WalkRoot walk_library(int root_fd, const WalkOptions& opts, WalkSink& sink) {
  Walker w(opts, sink);
  int fd = ::fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    w.report_errno("", errno);
    sink.unlisted("");
    return WalkRoot::ok;
  }
  auto root = std::make_shared<DirFd>(fd);
  if (opts.scope.empty()) {
    // List the root, then walk the projects on several threads.
    std::vector<Walker::PendingProject> pending;
    w.walk_dir(root, "", kLooseFiles, "", 0, &pending);
    std::atomic<std::size_t> next{0};
    std::mutex failure_mu;
    std::exception_ptr failure;
    auto work = [&] {
      try {
        Walker mine(opts, sink);
        for (std::size_t i; (i = next.fetch_add(1)) < pending.size() && !sink.cancelled();) {
          sink.begin_project(pending[i].number);
          mine.enter(root, pending[i].name, pending[i].name, pending[i].number, "", 0);
          sink.end_project(pending[i].number);
        }
      } catch (...) {
        std::lock_guard lock(failure_mu);
        if (!failure) failure = std::current_exception();
        next = pending.size();  // the others stop too
      }
    };
    std::vector<std::thread> helpers;
    for (unsigned t = 1; t < std::max(1u, opts.threads) && t < pending.size(); ++t) {
      try {
        helpers.emplace_back(work);
      } catch (const std::system_error&) {
        break;  // no more threads to be had: walk with fewer
      }
    }
    work();
    for (auto& t : helpers) t.join();
    if (failure) std::rethrow_exception(failure);  // the sync turns it into a failed run
    return WalkRoot::ok;
  }

  // Descend to the scope one component at a time, never following symlinks.
  const std::string& scope = opts.scope;
  const std::string project = scope.substr(0, scope.find('/'));
  std::uint32_t number = kLooseFiles;
  std::shared_ptr<DirFd> dir = root;
  std::string lpath;
  int depth = -1;
  for (std::size_t start = 0; start <= scope.size();) {
    std::size_t end = scope.find('/', start);
    if (end == std::string::npos) end = scope.size();
    const std::string comp = scope.substr(start, end - start);
    start = end + 1;
    if (comp.empty()) continue;
    int sub = ::openat(dir->get(), comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return WalkRoot::scope_missing;
      lpath = lpath.empty() ? comp : lpath + "/" + comp;
      w.report_errno(lpath, errno);
      sink.unlisted(lpath);
      return WalkRoot::ok;
    }
    auto next = std::make_shared<DirFd>(sub);
    if (lpath.empty()) {
      struct stat st{};
      if (::fstat(sub, &st) != 0) return WalkRoot::scope_missing;
      number = sink.project(comp, st);
    }
    lpath = lpath.empty() ? comp : lpath + "/" + comp;
    dir = std::move(next);
    ++depth;
  }
  const std::string ppath = lpath.size() > project.size() ? lpath.substr(project.size() + 1) : "";
  sink.begin_project(number);
  w.walk_dir(dir, lpath, number, ppath, depth);
  sink.end_project(number);
  return WalkRoot::ok;
}

}  // namespace lima::index
