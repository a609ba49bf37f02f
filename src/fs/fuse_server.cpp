#define FUSE_USE_VERSION 312
#include "fs/fuse_server.h"

#include <fuse_lowlevel.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "fs/vpath.h"
#include "index/log.h"

namespace lima::fs {

using index::ReadTxn;

namespace {

FsContext& context(fuse_req_t req) { return *static_cast<FsContext*>(fuse_req_userdata(req)); }

// The one translation point of the adapter: whatever a handler throws
// becomes EIO and one log line; the daemon never dies of a request.
template <class F>
void guarded(fuse_req_t req, Op op, F&& fn) {
  FsContext& c = context(req);
  c.stats.count(op);
  try {
    fn(c);
  } catch (const std::exception& e) {
    c.stats.error();
    log::error(std::string(kOpNames[static_cast<std::size_t>(op)]) + " failed: " + e.what());
    fuse_reply_err(req, EIO);
  } catch (...) {
    c.stats.error();
    log::error(std::string(kOpNames[static_cast<std::size_t>(op)]) + " failed");
    fuse_reply_err(req, EIO);
  }
}

// Files whose contents change with every look (.limafs/status, stats,
// problems.txt).
bool is_volatile(const Entry& e) {
  const auto k = e.place.kind;
  return k == Place::Kind::status || k == Place::Kind::stats || k == Place::Kind::problems;
}

struct stat to_stat(const FsContext& c, const Entry& e, std::uint64_t ino, std::int64_t mtime_ns) {
  struct stat st {};
  st.st_ino = ino;
  switch (e.type) {
    case EntryType::dir: st.st_mode = S_IFDIR | 0555; break;
    case EntryType::link: st.st_mode = S_IFLNK | 0777; break;
    case EntryType::file: st.st_mode = S_IFREG | 0444; break;
  }
  st.st_nlink = 1;
  st.st_uid = c.uid;
  st.st_gid = c.gid;
  st.st_size = static_cast<off_t>(e.size);
  st.st_blksize = 4096;
  st.st_blocks = e.type == EntryType::file ? static_cast<blkcnt_t>((e.size + 511) / 512) : 0;
  std::int64_t sec = mtime_ns / 1'000'000'000, nsec = mtime_ns % 1'000'000'000;
  if (nsec < 0) {
    nsec += 1'000'000'000;
    --sec;
  }
  st.st_mtim = timespec{static_cast<time_t>(sec), static_cast<long>(nsec)};
  st.st_atim = st.st_mtim;
  st.st_ctim = st.st_mtim;
  return st;
}

// A file's entry with its size as of now (status files change).
Entry fresh_entry(const FsContext& c, Entry e) {
  if (is_volatile(e)) {
    ReadTxn t(c.tree.catalog().env());
    e.size = c.tree.size_of(t, e.place);
  }
  return e;
}

// Where a probe name can be refused unasked: everywhere the names come from
// the library or are fixed, not among the tags and collections users name.
bool probes_never_exist_in(const Place& dir, std::string_view name) {
  if (dir.kind == Place::Kind::root) return !root_entry(name);
  return dir.kind != Place::Kind::tags && dir.kind != Place::Kind::collections && dir.kind != Place::Kind::searches;
}

std::shared_ptr<const Listing> listing_of(FsContext& c, const NodeInfo& dir) {
  if (auto l = c.nodes.listing(dir.id)) return l;
  std::shared_ptr<const Listing> l;
  {
    ReadTxn t(c.tree.catalog().env());
    l = std::make_shared<const Listing>(c.tree.list(t, dir.entry.place));
  }
  c.nodes.keep_listing(dir.id, l, dir.generation);  // generation read before the index read
  return l;
}

fuse_entry_param entry_param(const FsContext& c, const Entry& e, const NodeRef& node, bool fresh) {
  fuse_entry_param p{};
  p.ino = node.id;
  p.attr = to_stat(c, e, node.ino, node.mtime_ns);
  p.entry_timeout = fresh ? c.cache_seconds : 0;
  p.attr_timeout = fresh && !is_volatile(e) ? c.cache_seconds : 0;
  return p;
}

void reply_entry(fuse_req_t req, FsContext& c, NodeId parent, const Entry& e, std::uint64_t epoch) {
  // Remembered and sent under the gate, so an invalidation round either
  // finds this node or finds the reply marked stale (see ReplyGate).
  auto hold = c.gate.hold();
  const bool fresh = c.gate.still(epoch);
  auto node = c.nodes.remember(parent, e, fresh);
  if (!node) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  const auto p = entry_param(c, e, *node, fresh);
  if (fuse_reply_entry(req, &p) != 0) c.nodes.forget(node->id, 1);  // interrupted: the kernel took nothing
}

void op_init(void*, fuse_conn_info* conn) {
  auto want = [&](unsigned cap) {
    if (conn->capable & cap) conn->want |= cap;
  };
  want(FUSE_CAP_CACHE_SYMLINKS);
  want(FUSE_CAP_READDIRPLUS);
  want(FUSE_CAP_READDIRPLUS_AUTO);
  want(FUSE_CAP_PARALLEL_DIROPS);
  conn->want &= ~static_cast<unsigned>(FUSE_CAP_WRITEBACK_CACHE);
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  guarded(req, Op::lookup, [&](FsContext& c) {
    const std::string_view n(name);
    const auto dir = c.nodes.get(parent);
    if (!dir) return (void)fuse_reply_err(req, ENOENT);
    if (dir->entry.type != EntryType::dir) return (void)fuse_reply_err(req, ENOTDIR);
    if (is_probe_name(n) && probes_never_exist_in(dir->entry.place, n)) {
      // A cheap negative answer the kernel may keep: these never exist.
      fuse_entry_param p{};
      p.entry_timeout = c.cache_seconds;
      fuse_reply_entry(req, &p);
      return;
    }
    if (n.size() > 255) return (void)fuse_reply_err(req, ENAMETOOLONG);
    const auto epoch = c.gate.epoch();
    std::optional<Entry> found;
    {
      ReadTxn t(c.tree.catalog().env());
      found = c.tree.lookup(t, dir->entry.place, n);
    }
    if (!found && Tree::looks_up_by_listing(dir->entry.place)) {
      const auto listing = listing_of(c, *dir);  // held: the table may drop its copy meanwhile
      if (const Entry* e = listing->find(n)) found = *e;
    }
    if (!found) return (void)fuse_reply_err(req, ENOENT);
    reply_entry(req, c, parent, *found, epoch);
  });
}

void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  FsContext& c = context(req);
  c.stats.count(Op::forget);
  c.nodes.forget(ino, nlookup);
  fuse_reply_none(req);
}

void op_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  FsContext& c = context(req);
  c.stats.count(Op::forget);
  for (size_t i = 0; i < count; ++i) c.nodes.forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  guarded(req, Op::getattr, [&](FsContext& c) {
    const auto epoch = c.gate.epoch();
    const auto node = c.nodes.get(ino);
    if (!node) return (void)fuse_reply_err(req, ENOENT);
    const Entry e = fresh_entry(c, node->entry);
    const auto st = to_stat(c, e, node->ino, node->mtime_ns());
    auto hold = c.gate.hold();
    fuse_reply_attr(req, &st, c.gate.still(epoch) && !is_volatile(e) ? c.cache_seconds : 0);
  });
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
  guarded(req, Op::readlink, [&](FsContext& c) {
    const auto node = c.nodes.get(ino);
    if (!node) return (void)fuse_reply_err(req, ENOENT);
    if (node->entry.type != EntryType::link) return (void)fuse_reply_err(req, EINVAL);
    fuse_reply_readlink(req, node->entry.target.c_str());
  });
}

void op_opendir(fuse_req_t req, fuse_ino_t, fuse_file_info*) {
  // ENOSYS tells the kernel to stop sending opendir/releasedir and to keep
  // directory listings in its cache (FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR):
  // a warm `ls` then costs the daemon nothing. Listings are kept per
  // directory in the node table instead of per open handle.
  guarded(req, Op::opendir, [&](FsContext&) { fuse_reply_err(req, ENOSYS); });
}

void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus) {
  guarded(req, plus ? Op::readdirplus : Op::readdir, [&](FsContext& c) {
    const auto epoch = c.gate.epoch();
    const auto dir = c.nodes.get(ino);
    if (!dir) return (void)fuse_reply_err(req, ENOENT);
    if (dir->entry.type != EntryType::dir) return (void)fuse_reply_err(req, ENOTDIR);
    const auto listing = listing_of(c, *dir);
    const auto& entries = listing->entries();
    const auto parent = dir->parent ? c.nodes.get(dir->parent) : std::nullopt;
    std::vector<char> buf(size);
    std::size_t used = 0;
    auto hold = c.gate.hold();
    const bool fresh = c.gate.still(epoch);
    // References put in this reply: taken back unless it is sent (an
    // interrupted request, an exception while building it).
    std::vector<NodeId> taken;
    bool sent = false;
    struct Giveback {
      NodeTable& nodes;
      const std::vector<NodeId>& ids;
      const bool& sent;
      ~Giveback() {
        if (!sent)
          for (NodeId id : ids) nodes.forget(id, 1);
      }
    } giveback{c.nodes, taken, sent};
    // Offsets: 1 after ".", 2 after "..", i + 3 after entries[i]. Stable for
    // as long as the directory does not change.
    for (off_t i = std::max<off_t>(off, 0);; ++i) {
      std::string_view name;
      Entry self;
      const Entry* e = nullptr;
      std::uint64_t child_ino = 0;
      if (i == 0 || i == 1) {
        name = i == 0 ? "." : "..";
        self = i == 0 || !parent ? dir->entry : parent->entry;
        child_ino = i == 0 || !parent ? dir->ino : parent->ino;
        e = &self;
      } else {
        const auto idx = static_cast<std::size_t>(i - 2);
        if (idx >= entries.size()) break;
        e = &entries[idx];
        name = e->name;
      }
      const std::string cname(name);
      std::size_t need = 0;
      if (plus) {
        fuse_entry_param p{};
        std::optional<NodeRef> node;
        if (i >= 2) {
          node = c.nodes.remember(ino, *e, fresh);
          if (!node) break;
          p = entry_param(c, *e, *node, fresh);
        } else {
          p.attr = to_stat(c, *e, child_ino, e->mtime_ns);  // no node reference for "." and ".."
        }
        need = fuse_add_direntry_plus(req, buf.data() + used, size - used, cname.c_str(), &p, i + 1);
        if (need > size - used) {
          if (node) c.nodes.forget(node->id, 1);  // did not fit
          break;
        }
        if (node) taken.push_back(node->id);
      } else {
        if (i >= 2) child_ino = c.nodes.ino_of(ino, name);
        const auto st = to_stat(c, *e, child_ino, e->mtime_ns);
        need = fuse_add_direntry(req, buf.data() + used, size - used, cname.c_str(), &st, i + 1);
        if (need > size - used) break;
      }
      used += need;
    }
    sent = fuse_reply_buf(req, buf.data(), used) == 0;
  });
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  do_readdir(req, ino, size, off, false);
}

void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  do_readdir(req, ino, size, off, true);
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  guarded(req, Op::open, [&](FsContext& c) {
    const auto node = c.nodes.get(ino);
    if (!node) return (void)fuse_reply_err(req, ENOENT);
    if (node->entry.type == EntryType::dir) return (void)fuse_reply_err(req, EISDIR);
    if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) return (void)fuse_reply_err(req, EROFS);
    auto text = std::make_unique<std::string>();
    {
      ReadTxn t(c.tree.catalog().env());
      *text = c.tree.read(t, node->entry.place);
    }
    const auto* kept = c.open_files.adopt(std::move(text));
    fi->fh = reinterpret_cast<std::uint64_t>(kept);
    fi->direct_io = is_volatile(node->entry);
    fi->keep_cache = !fi->direct_io;
    if (fuse_reply_open(req, fi) != 0) c.open_files.drop(kept);
  });
}

void op_read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  guarded(req, Op::read, [&](FsContext&) {
    const auto* text = reinterpret_cast<const std::string*>(fi->fh);
    if (!text) return (void)fuse_reply_err(req, EBADF);
    const auto from = std::min<std::size_t>(static_cast<std::size_t>(std::max<off_t>(off, 0)), text->size());
    // Copied out first: the kernel may let go of the file (a release on
    // another thread frees the text) as soon as it has taken this reply.
    const std::string part = text->substr(from, std::min(size, text->size() - from));
    fuse_reply_buf(req, part.data(), part.size());
  });
}

void op_release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  FsContext& c = context(req);
  c.stats.count(Op::release);
  c.open_files.drop(reinterpret_cast<const std::string*>(fi->fh));
  fuse_reply_err(req, 0);
}

void op_statfs(fuse_req_t req, fuse_ino_t) {
  guarded(req, Op::statfs, [&](FsContext& c) {
    struct statvfs st {};
    if (::statvfs(c.tree.library_root().c_str(), &st) != 0) {
      // Library offline: an empty filesystem rather than an error, so df
      // and file managers keep working.
      st = {};
      st.f_bsize = st.f_frsize = 4096;
    }
    st.f_namemax = 255;
    st.f_flag |= ST_RDONLY;
    fuse_reply_statfs(req, &st);
  });
}

void op_getxattr(fuse_req_t req, fuse_ino_t, const char*, size_t) {
  // ENOSYS: the kernel stops asking, and answers EOPNOTSUPP itself.
  guarded(req, Op::getxattr, [&](FsContext&) { fuse_reply_err(req, ENOSYS); });
}

void op_listxattr(fuse_req_t req, fuse_ino_t, size_t) {
  guarded(req, Op::listxattr, [&](FsContext&) { fuse_reply_err(req, ENOSYS); });
}

void op_access(fuse_req_t req, fuse_ino_t ino, int mask) {
  guarded(req, Op::access, [&](FsContext& c) {
    if (mask & W_OK) return (void)fuse_reply_err(req, EROFS);
    fuse_reply_err(req, c.nodes.get(ino) ? 0 : ENOENT);
  });
}

void refuse(fuse_req_t req) {
  guarded(req, Op::refused, [&](FsContext&) { fuse_reply_err(req, EROFS); });
}

fuse_lowlevel_ops make_ops() {
  fuse_lowlevel_ops ops{};
  ops.init = op_init;
  ops.lookup = op_lookup;
  ops.forget = op_forget;
  ops.forget_multi = op_forget_multi;
  ops.getattr = op_getattr;
  ops.readlink = op_readlink;
  ops.opendir = op_opendir;
  ops.readdir = op_readdir;
  ops.readdirplus = op_readdirplus;
  ops.open = op_open;
  ops.read = op_read;
  ops.release = op_release;
  ops.statfs = op_statfs;
  ops.getxattr = op_getxattr;
  ops.listxattr = op_listxattr;
  ops.access = op_access;
  // Everything that would change something: EROFS (the kernel refuses most
  // of these itself on a read-only mount; these are the second line).
  ops.setattr = [](fuse_req_t req, fuse_ino_t, struct stat*, int, fuse_file_info*) { refuse(req); };
  ops.mknod = [](fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) { refuse(req); };
  ops.mkdir = [](fuse_req_t req, fuse_ino_t, const char*, mode_t) { refuse(req); };
  ops.unlink = [](fuse_req_t req, fuse_ino_t, const char*) { refuse(req); };
  ops.rmdir = [](fuse_req_t req, fuse_ino_t, const char*) { refuse(req); };
  ops.symlink = [](fuse_req_t req, const char*, fuse_ino_t, const char*) { refuse(req); };
  ops.rename = [](fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*, unsigned) { refuse(req); };
  ops.link = [](fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) { refuse(req); };
  ops.create = [](fuse_req_t req, fuse_ino_t, const char*, mode_t, fuse_file_info*) { refuse(req); };
  ops.write = [](fuse_req_t req, fuse_ino_t, const char*, size_t, off_t, fuse_file_info*) { refuse(req); };
  ops.setxattr = [](fuse_req_t req, fuse_ino_t, const char*, const char*, size_t, int) { refuse(req); };
  ops.removexattr = [](fuse_req_t req, fuse_ino_t, const char*) { refuse(req); };
  ops.fallocate = [](fuse_req_t req, fuse_ino_t, int, off_t, off_t, fuse_file_info*) { refuse(req); };
  return ops;
}

const fuse_lowlevel_ops kOps = make_ops();

// Runs a program and waits for it; true when it exited 0.
bool run_program(const std::vector<std::string>& argv) {
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// libfuse's own messages (refused options, a lost connection) go to the
// daemon's log with their level, like every other line.
void log_from_libfuse(enum fuse_log_level level, const char* fmt, va_list ap) {
  char buf[1024];
  const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  if (n < 0) return;
  std::string_view line(buf, std::min(static_cast<std::size_t>(n), sizeof buf - 1));
  while (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  const log::Level ours = level <= FUSE_LOG_ERR       ? log::Level::error
                          : level == FUSE_LOG_WARNING ? log::Level::warning
                          : level == FUSE_LOG_NOTICE  ? log::Level::notice
                          : level == FUSE_LOG_INFO    ? log::Level::info
                                                      : log::Level::debug;
  log::write(ours, line);
}

}  // namespace

index::Result<std::unique_ptr<FuseServer>> FuseServer::mount(FsContext& ctx, const MountOptions& options) {
  std::string opts = "ro,default_permissions,fsname=limafs,subtype=limafs";
  for (const auto& o : options.fuse_options) opts += "," + o;
  std::vector<std::string> argv_s{"limafs", "-o", opts};
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  std::unique_ptr<FuseServer> s(new FuseServer());
  fuse_set_log_func(log_from_libfuse);
  s->se_ = fuse_session_new(&args, &kOps, sizeof(kOps), &ctx);
  fuse_opt_free_args(&args);  // libfuse may have copied them
  if (!s->se_) return index::fail(index::Errc::invalid_argument, "the mount options were refused: " + opts);
  if (fuse_session_mount(s->se_, options.mountpoint.c_str()) != 0)
    return index::fail(index::Errc::io, "could not mount on " + options.mountpoint.string());
  s->mounted_ = true;
  return s;
}

FuseServer::~FuseServer() {
  if (!se_) return;
  if (mounted_) fuse_session_unmount(se_);
  fuse_session_destroy(se_);
}

bool FuseServer::serve(unsigned threads) {
  fuse_loop_config* cfg = fuse_loop_cfg_create();
  fuse_loop_cfg_set_max_threads(cfg, threads);
  fuse_loop_cfg_set_idle_threads(cfg, std::min(threads, 4u));
  const int rc = fuse_session_loop_mt(se_, cfg);
  fuse_loop_cfg_destroy(cfg);
  return rc == 0 || fuse_session_exited(se_);
}

void FuseServer::exit() {
  fuse_session_exit(se_);
  if (mounted_) {
    fuse_session_unmount(se_);
    mounted_ = false;
  }
}

void FuseServer::inval_inode(NodeId id) {
  // -ENOENT: the kernel had already let go of it. Nothing else can fail here.
  fuse_lowlevel_notify_inval_inode(se_, id, 0, 0);
}

void FuseServer::inval_entry(NodeId parent, std::string_view name) {
  fuse_lowlevel_notify_inval_entry(se_, parent, name.data(), name.size());
}

void FuseServer::delete_entry(NodeId parent, NodeId child, std::string_view name) {
  // Fails (ENOENT, ENOTEMPTY) when the kernel no longer holds the name as
  // that node, or a directory still has names in use below it: the name is
  // then dropped the plain way.
  if (fuse_lowlevel_notify_delete(se_, parent, child, name.data(), name.size()) != 0)
    fuse_lowlevel_notify_inval_entry(se_, parent, name.data(), name.size());
}

index::Result<bool> clear_stale_mount(const std::filesystem::path& mountpoint) {
  // stat() alone can succeed on a dead mount (the kernel answers from its
  // caches); statfs() always asks the daemon.
  struct stat st {};
  struct statvfs vfs {};
  const auto dead = [] { return errno == ENOTCONN || errno == ECONNABORTED; };
  const bool stale = (::stat(mountpoint.c_str(), &st) != 0 && dead()) || (::statvfs(mountpoint.c_str(), &vfs) != 0 && dead());
  if (!stale) return false;
  bool done = ::geteuid() == 0 ? ::umount2(mountpoint.c_str(), MNT_DETACH) == 0
                               : run_program({"fusermount3", "-u", "-z", mountpoint.string()});
  if (!done && ::geteuid() != 0) done = run_program({"fusermount", "-u", "-z", mountpoint.string()});
  if (!done || ::stat(mountpoint.c_str(), &st) != 0)
    return index::fail(index::Errc::io, "a dead mount is left on " + mountpoint.string() +
                                            " and could not be cleared: run fusermount3 -u " + mountpoint.string());
  return true;
}

}  // namespace lima::fs
