#include "index/watcher.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace lima::index {

namespace {

/// An unnamed file being written (open with O_TMPFILE, as uploads do) is
/// reported by the kernel under the name "#<inode>", though no such entry
/// exists. It is not a file of the library until it is linked in, which
/// the watcher sees as the creation of its real name.
bool unnamed_temporary(std::string_view name, const std::filesystem::path& abs) {
  if (name.size() < 2 || name.front() != '#') return false;
  if (name.substr(1).find_first_not_of("0123456789") != std::string_view::npos) return false;
  struct stat st {};
  return ::lstat(abs.c_str(), &st) != 0 && errno == ENOENT;
}

constexpr std::uint32_t kDirMask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_MODIFY |
                                   IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW |
                                   IN_EXCL_UNLINK;

std::string join(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

bool is_dir_entry(int dir_fd, const dirent* de) {
  if (de->d_type == DT_DIR) return true;
  if (de->d_type != DT_UNKNOWN) return false;
  struct stat st {};
  return ::fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::size_t system_watch_limit() {
  std::ifstream f("/proc/sys/fs/inotify/max_user_watches");
  std::size_t n = 0;
  return (f >> n) ? n : 0;
}

std::optional<std::string> unwatchable_filesystem(const std::filesystem::path& path) {
  struct statfs sf {};
  if (::statfs(path.c_str(), &sf) != 0) return std::nullopt;
  // Filesystems whose content other machines (or a user-space server) can
  // change without the local kernel telling inotify.
  static constexpr std::array<std::pair<unsigned long, const char*>, 14> kTypes{{
      {0x6969, "nfs"},
      {0xFF534D42, "cifs"},
      {0xFE534D42, "smb2"},
      {0x517B, "smb"},
      {0x65735546, "fuse"},
      {0x01021997, "9p"},
      {0x00C36400, "ceph"},
      {0x5346414F, "afs"},
      {0x6B414653, "afs"},
      {0x73757245, "coda"},
      {0x564C, "ncp"},
      {0x0BD00BD0, "lustre"},
      {0x47504653, "gpfs"},
      {0x013111A8, "ibrix"},
  }};
  const auto type = static_cast<unsigned long>(sf.f_type) & 0xFFFFFFFFul;
  for (const auto& [magic, name] : kTypes)
    if (type == magic) return std::string(name);
  return std::nullopt;
}

Result<std::unique_ptr<Watcher>> Watcher::start(const std::filesystem::path& library, const IgnoreRules& ignore,
                                                std::size_t max_watches) {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == EMFILE)
      return fail(Errc::io,
                  "no inotify instance left (fs.inotify.max_user_instances is reached): " + std::string(strerror(err)));
    return fail(Errc::io, "inotify is not available: " + std::string(std::strerror(err)));
  }
  std::unique_ptr<Watcher> w(new Watcher(library, ignore, max_watches, fd));
  if (!w->watch_tree("") && w->root_wd_ < 0 && !w->limit_reached_)
    return fail(Errc::library_offline, "cannot watch the library root " + library.string() + ": " +
                                           std::strerror(errno));
  return w;
}

Watcher::Watcher(std::filesystem::path library, const IgnoreRules& ignore, std::size_t max_watches, int fd)
    : library_(std::move(library)), ignore_(ignore), max_watches_(max_watches), fd_(fd) {}

Watcher::~Watcher() { ::close(fd_); }

bool Watcher::watch_one(const std::string& rel, bool& is_new) {
  is_new = false;
  if (max_watches_ && by_wd_.size() >= max_watches_) {
    limit_reached_ = true;
    return false;
  }
  const std::string abs = rel.empty() ? library_.string() : (library_ / rel).string();
  const int wd = ::inotify_add_watch(fd_, abs.c_str(), kDirMask);
  if (wd < 0) {
    if (errno == ENOSPC) limit_reached_ = true;
    return false;
  }
  auto [it, inserted] = by_wd_.try_emplace(wd, rel);
  if (!inserted && it->second != rel) {
    // The same directory under a new name (a move we learnt of late).
    by_path_.erase(it->second);
    it->second = rel;
  }
  by_path_[rel] = wd;
  if (rel.empty()) root_wd_ = wd;
  is_new = inserted;
  return true;
}

bool Watcher::watch_tree(const std::string& top) {
  // The directory is watched before it is listed, so that nothing created
  // meanwhile is missed: it is either listed or reported.
  std::vector<std::string> todo{top};
  while (!todo.empty()) {
    const std::string rel = std::move(todo.back());
    todo.pop_back();
    bool is_new = false;
    if (!watch_one(rel, is_new)) {
      if (limit_reached_) return false;
      continue;  // gone meanwhile, or unreadable: the sync reports it
    }
    const std::string abs = rel.empty() ? library_.string() : (library_ / rel).string();
    DIR* d = ::opendir(abs.c_str());
    if (!d) continue;
    while (const dirent* de = ::readdir(d)) {
      const std::string_view name(de->d_name);
      if (name == "." || name == "..") continue;
      const std::string child = join(rel, name);
      if (!is_dir_entry(::dirfd(d), de) || ignore_.ignored(name, child)) continue;
      todo.push_back(child);
    }
    ::closedir(d);
  }
  return true;
}

void Watcher::forget_tree(const std::string& rel) {
  // Keys under "a/b" lie between "a/b" and "a/b0" ('0' follows '/'), mixed
  // with siblings such as "a/b c".
  const std::string prefix = rel + "/";
  auto it = by_path_.lower_bound(rel);
  const auto end = by_path_.lower_bound(rel + "0");
  while (it != end) {
    if (it->first == rel || it->first.starts_with(prefix)) {
      ::inotify_rm_watch(fd_, it->second);
      by_wd_.erase(it->second);
      if (it->second == root_wd_) root_wd_ = -1;
      it = by_path_.erase(it);
    } else {
      ++it;
    }
  }
}

bool Watcher::rewatch() {
  limit_reached_ = false;
  return watch_tree("");
}

WatchEvents Watcher::read() {
  WatchEvents out;
  alignas(inotify_event) std::array<char, 64 * 1024> buf;
  for (;;) {
    const ssize_t n = ::read(fd_, buf.data(), buf.size());
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      break;  // EAGAIN: nothing more queued
    }
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf.data() + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      ++out.count;
      if (ev->mask & IN_Q_OVERFLOW) {
        out.overflow = true;
        continue;
      }
      const auto dir_it = by_wd_.find(ev->wd);
      if (dir_it == by_wd_.end()) continue;  // a watch dropped already
      const std::string dir = dir_it->second;
      if (ev->mask & IN_UNMOUNT) out.root_changed = true;
      if (ev->mask & IN_IGNORED) {
        // The watch is gone (directory deleted, filesystem unmounted).
        if (ev->wd == root_wd_) {
          out.root_changed = true;
          root_wd_ = -1;
        }
        by_path_.erase(dir);
        by_wd_.erase(dir_it);
        continue;
      }
      if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
        if (ev->wd == root_wd_) out.root_changed = true;
        continue;  // a sub-directory's parent reports it by name
      }
      if (ev->len == 0) continue;
      const std::string_view name(ev->name);  // NUL-padded
      const std::string path = join(dir, name);
      if (ignore_.ignored(name, path)) continue;
      if (unnamed_temporary(name, library_ / path)) continue;
      const bool is_dir = ev->mask & IN_ISDIR;
      // A folder directly in the root is a project; a file there is loose.
      const std::string scope = dir.empty() ? (is_dir ? std::string(name) : std::string()) : dir;
      if (is_dir) {
        if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
          if (!watch_tree(path)) out.limit_reached = out.limit_reached || limit_reached_;
        } else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
          forget_tree(path);
        }
        out.changes.push_back({WatchChange::changed, scope, {}});
        continue;
      }
      if (ev->mask & IN_CREATE) {
        // A file made by open(O_CREAT) is being written until it is closed;
        // a hard link, symlink, FIFO… is complete at once.
        struct stat st {};
        const std::string abs = (library_ / path).string();
        const bool written = ::lstat(abs.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1;
        out.changes.push_back({written ? WatchChange::writing : WatchChange::changed, scope, path});
      } else if (ev->mask & IN_MODIFY) {
        out.changes.push_back({WatchChange::writing, scope, path});
      } else if (ev->mask & (IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)) {
        out.changes.push_back({WatchChange::closed, scope, path});
      } else {
        out.changes.push_back({WatchChange::changed, scope, {}});
      }
    }
  }
  return out;
}

}  // namespace lima::index
