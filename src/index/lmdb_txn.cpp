#include "index/lmdb_txn.h"

#include <lmdb.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <mutex>

namespace lima::index {

LmdbError::LmdbError(const std::string& what, int rc)
    : std::runtime_error(what + ": " + mdb_strerror(rc)), rc_(rc) {}

LmdbError LmdbError::no_space(const std::filesystem::path& dir) {
  return LmdbError(Worded{}, "no space left on the state directory's filesystem (" + dir.string() + ")", ENOSPC);
}

namespace {

// Bytes as LMDB sees them.
MDB_val to_val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view to_view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

// Whether a failed write to the index in `dir` is the disk being full. LMDB
// reports a short write as EIO, which is what a full disk gives it.
bool out_of_space(const std::filesystem::path& dir, int rc) {
  if (rc == ENOSPC || rc == EDQUOT) return true;
  if (rc != EIO) return false;
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0) return false;
  const auto blocks = ::geteuid() == 0 ? fs.f_bfree : fs.f_bavail;
  return static_cast<std::uint64_t>(blocks) * fs.f_frsize < (std::uint64_t{16} << 20);
}

}  // namespace

Errc errc_of(const std::exception& e) {
  const auto* l = dynamic_cast<const LmdbError*>(&e);
  return l && l->no_space() ? Errc::no_space : Errc::io;
}

void check(int rc, const char* what) {
  if (rc != MDB_SUCCESS) throw LmdbError(what, rc);
}

// ---- Txn ------------------------------------------------------------------

Txn::Txn(Env& env, unsigned flags) : env_(&env) {
  for (;;) {
    resize_guard_ = std::shared_lock(env.resize_mutex_);
    int rc = mdb_txn_begin(env.env_, nullptr, flags, &txn_);
    if (rc == MDB_SUCCESS) return;
    resize_guard_.unlock();
    if (rc != MDB_MAP_RESIZED) throw LmdbError("mdb_txn_begin", rc);
    // Another process grew the map: adopt its size, then try again.
    std::unique_lock lock(env.resize_mutex_);
    env.forget_mapping();
    check(mdb_env_set_mapsize(env.env_, 0), "mdb_env_set_mapsize");
  }
}

Txn::~Txn() = default;

std::uint64_t Txn::id() const { return ::mdb_txn_id(txn_); }

void Txn::release() noexcept {
  txn_ = nullptr;
  if (resize_guard_.owns_lock()) resize_guard_.unlock();
}

std::optional<std::string_view> Txn::get(const Dbi& db, std::string_view key) const {
  if (key.empty()) return std::nullopt;  // LMDB rejects empty keys; none is stored
  MDB_val k = to_val(key), v{};
  int rc = mdb_get(txn_, db.handle, &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  check(rc, db.name);
  return to_view(v);
}

void Txn::scan_prefix(const Dbi& db, std::string_view prefix,
                      const std::function<bool(std::string_view, std::string_view)>& fn) const {
  Cursor c(*this, db);
  for (bool ok = prefix.empty() ? c.first() : c.seek(prefix); ok; ok = c.next()) {
    if (!c.key().starts_with(prefix)) break;
    if (!fn(c.key(), c.value())) break;
  }
}

std::size_t Txn::count(const Dbi& db) const {
  MDB_stat st{};
  check(mdb_stat(txn_, db.handle, &st), "mdb_stat");
  return st.ms_entries;
}

ReadTxn::ReadTxn(Env& env) : Txn(env, MDB_RDONLY) {}

ReadTxn::~ReadTxn() {
  if (txn_) mdb_txn_abort(txn_);
  release();
}

void ReadTxn::commit() {
  MDB_txn* t = txn_;
  release();
  check(mdb_txn_commit(t), "mdb_txn_commit");
}

// ---- WriteTxn -------------------------------------------------------------

WriteTxn::WriteTxn(Env& env) : Txn(env, 0) {}

WriteTxn::~WriteTxn() {
  close_cursors();
  if (txn_) mdb_txn_abort(txn_);
  release();
}

void WriteTxn::close_cursors() noexcept {
  for (Cursor* c : cursors_) c->close();
  cursors_.clear();
}

void WriteTxn::put(const Dbi& db, std::string_view key, std::string_view value) {
  MDB_val k = to_val(key), v = to_val(value);
  check(mdb_put(txn_, db.handle, &k, &v, 0), db.name);
}

void WriteTxn::put_sorted(const Dbi& db, std::string_view key, std::string_view value) {
  MDB_val k = to_val(key), v = to_val(value);
  int rc = mdb_put(txn_, db.handle, &k, &v, MDB_APPEND);
  if (rc == MDB_KEYEXIST) rc = mdb_put(txn_, db.handle, &k, &v, 0);
  check(rc, db.name);
}

bool WriteTxn::del(const Dbi& db, std::string_view key) {
  MDB_val k = to_val(key);
  int rc = mdb_del(txn_, db.handle, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  check(rc, db.name);
  return true;
}

std::size_t WriteTxn::del_prefix(const Dbi& db, std::string_view prefix) {
  std::size_t n = 0;
  Cursor c(*this, db);
  bool ok = prefix.empty() ? c.first() : c.seek(prefix);
  while (ok && c.key().starts_with(prefix)) {
    c.del();
    ++n;
    ok = prefix.empty() ? c.first() : c.seek(prefix);
  }
  return n;
}

void WriteTxn::clear(const Dbi& db) { check(mdb_drop(txn_, db.handle, 0), db.name); }

void WriteTxn::put_dup(const Dbi& db, std::string_view key, std::string_view value) {
  MDB_val k = to_val(key), v = to_val(value);
  const int rc = mdb_put(txn_, db.handle, &k, &v, MDB_NODUPDATA);
  if (rc != MDB_KEYEXIST) check(rc, db.name);
}

void WriteTxn::put_dup_sorted(const Dbi& db, std::string_view key, std::string_view value) {
  MDB_val k = to_val(key), v = to_val(value);
  // Added after the key's values without searching them (a new key is
  // simply added); out of order, a normal put.
  int rc = mdb_put(txn_, db.handle, &k, &v, MDB_APPENDDUP);
  if (rc == MDB_KEYEXIST) rc = mdb_put(txn_, db.handle, &k, &v, MDB_NODUPDATA);
  if (rc != MDB_KEYEXIST) check(rc, db.name);
}

void WriteTxn::put_dups_sorted(const Dbi& db, std::string_view key, const char* values, std::size_t size,
                               std::size_t count) {
  std::size_t done = 0;
  if (count > 1 && size > 0) {
    // MDB_MULTIPLE: LMDB finds the key once and adds the values one after
    // the other; it tells how many went in before one did not sort last.
    MDB_val k = to_val(key);
    MDB_val v[2] = {{size, const_cast<char*>(values)}, {count, nullptr}};
    MDB_cursor* c = nullptr;
    check(mdb_cursor_open(txn_, db.handle, &c), db.name);
    const int rc = mdb_cursor_put(c, &k, v, MDB_MULTIPLE | MDB_APPENDDUP);
    done = rc == MDB_SUCCESS ? count : v[1].mv_size;
    mdb_cursor_close(c);
    if (rc != MDB_SUCCESS && rc != MDB_KEYEXIST) check(rc, db.name);
  }
  for (; done < count; ++done) put_dup_sorted(db, key, std::string_view(values + done * size, size));
}

bool WriteTxn::del_dup(const Dbi& db, std::string_view key, std::string_view value) {
  MDB_val k = to_val(key), v = to_val(value);
  const int rc = mdb_del(txn_, db.handle, &k, &v);
  if (rc == MDB_NOTFOUND) return false;
  check(rc, db.name);
  return true;
}

void WriteTxn::commit() {
  close_cursors();
  MDB_txn* t = txn_;
  txn_ = nullptr;  // mdb_txn_commit frees t even when it fails
  // The flush reads the meta pages through the map: the map must not move
  // till it is done, so the resize lock is held through both (and released
  // by the destructor if the flush throws).
  const int rc = mdb_txn_commit(t);
  if (rc == MDB_SUCCESS) env_->flush_unless_lazy();
  release();
  check(rc, "mdb_txn_commit");
}

// ---- Cursor ---------------------------------------------------------------

Cursor::Cursor(const Txn& txn, const Dbi& db) {
  check(mdb_cursor_open(txn.txn_, db.handle, &cur_), "mdb_cursor_open");
  if (auto* w = dynamic_cast<const WriteTxn*>(&txn)) {
    owner_ = const_cast<WriteTxn*>(w);
    owner_->cursors_.push_back(this);
  }
}

Cursor::~Cursor() {
  if (owner_) {
    auto& v = owner_->cursors_;
    v.erase(std::remove(v.begin(), v.end(), this), v.end());
  }
  close();
}

void Cursor::close() noexcept {
  if (cur_) mdb_cursor_close(cur_);
  cur_ = nullptr;
  owner_ = nullptr;
}

bool Cursor::step(Move move, std::string_view key) {
  if (!cur_) throw LmdbError("cursor used after its transaction ended", EINVAL);
  MDB_cursor_op op = MDB_NEXT;
  switch (move) {
    case Move::seek: op = MDB_SET_RANGE; break;
    case Move::first: op = MDB_FIRST; break;
    case Move::last: op = MDB_LAST; break;
    case Move::next: op = MDB_NEXT; break;
    case Move::prev: op = MDB_PREV; break;
    case Move::next_key: op = MDB_NEXT_NODUP; break;
    case Move::first_dup: op = MDB_FIRST_DUP; break;
    case Move::get_multiple: op = MDB_GET_MULTIPLE; break;
    case Move::next_multiple: op = MDB_NEXT_MULTIPLE; break;
  }
  MDB_val k = to_val(move == Move::seek ? key : key_), v = to_val(val_);
  int rc = mdb_cursor_get(cur_, &k, &v, op);
  if (rc == MDB_NOTFOUND) return false;
  check(rc, "mdb_cursor_get");
  // The multiple-value reads leave the key alone (and may not set it).
  if (move != Move::get_multiple && move != Move::next_multiple) key_ = to_view(k);
  val_ = to_view(v);
  return true;
}

bool Cursor::next_key() { return step(Move::next_key); }

std::string_view Cursor::first_values() {
  // MDB_GET_MULTIPLE hands back the whole page the cursor is on, so the
  // cursor goes to the key's first value first. A key with one value has
  // no page of values: LMDB then leaves the value read by MDB_FIRST_DUP.
  if (!step(Move::first_dup) || !step(Move::get_multiple)) return {};
  return val_;
}

std::string_view Cursor::next_values() {
  if (!step(Move::next_multiple)) return {};
  return val_;
}

std::size_t Cursor::value_count() const {
  if (!cur_) throw LmdbError("cursor used after its transaction ended", EINVAL);
  std::size_t n = 0;
  check(mdb_cursor_count(cur_, &n), "mdb_cursor_count");
  return static_cast<std::size_t>(n);
}

bool Cursor::seek(std::string_view key) { return step(Move::seek, key); }
bool Cursor::first() { return step(Move::first); }
bool Cursor::next() { return step(Move::next); }
bool Cursor::last() { return step(Move::last); }
bool Cursor::prev() { return step(Move::prev); }

void Cursor::del() { check(mdb_cursor_del(cur_, 0), "mdb_cursor_del"); }

// ---- Env ------------------------------------------------------------------

Env::Env(const std::filesystem::path& dir, const EnvOptions& opts)
    : dir_(opts.named_dir.empty() ? dir : opts.named_dir), read_only_(opts.read_only) {
  check(mdb_env_create(&env_), "mdb_env_create");
  try {
    check(mdb_env_set_maxdbs(env_, opts.max_dbs), "mdb_env_set_maxdbs");
    check(mdb_env_set_maxreaders(env_, 256), "mdb_env_set_maxreaders");
    check(mdb_env_set_mapsize(env_, opts.initial_map_size), "mdb_env_set_mapsize");
    // The meta page is flushed by WriteTxn::commit (flush_unless_lazy), not
    // by LMDB: the one thread set_lazy_meta names may leave it unflushed.
    unsigned flags = MDB_NOTLS | MDB_NOMETASYNC | (opts.read_only ? MDB_RDONLY : 0u);
    check(mdb_env_open(env_, dir.c_str(), flags, 0644), "mdb_env_open");
  } catch (...) {
    mdb_env_close(env_);
    throw;
  }
}

Env::~Env() { mdb_env_close(env_); }

namespace {
unsigned kind_flags(DbKind kind) { return kind == DbKind::dup_fixed ? MDB_DUPSORT | MDB_DUPFIXED : 0u; }
}  // namespace

Dbi Env::open_db(WriteTxn& txn, const char* name, DbOpen how, DbKind kind) {
  Dbi d;
  d.name = name;
  const unsigned flags = (how == DbOpen::create ? MDB_CREATE : 0u) | kind_flags(kind);
  check(mdb_dbi_open(txn.txn_, name, flags, &d.handle), name);
  return d;
}

Dbi Env::open_db(ReadTxn& txn, const char* name, DbKind kind) {
  Dbi d;
  d.name = name;
  check(mdb_dbi_open(txn.txn_, name, kind_flags(kind), &d.handle), name);
  return d;
}

std::optional<Dbi> Env::find_db(ReadTxn& txn, const char* name) {
  Dbi d;
  d.name = name;
  const int rc = mdb_dbi_open(txn.txn_, name, 0, &d.handle);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  check(rc, name);
  return d;
}

std::size_t Env::map_size() const {
  MDB_envinfo info{};
  mdb_env_info(env_, &info);
  return info.me_mapsize;
}

void Env::set_lazy_meta(bool lazy_meta) {
  lazy_writer_.store(lazy_meta ? std::this_thread::get_id() : std::thread::id{});
}

void Env::flush_unless_lazy() {
  if (lazy_writer_.load() == std::this_thread::get_id()) return;
  check(mdb_env_sync(env_, 1), "mdb_env_sync");
  whole_flushes_.fetch_add(1);
}

void Env::release_mapped_pages() {
  // The map is shared, read-only and backed by the file (no MDB_WRITEMAP):
  // dropping its pages loses nothing. LMDB does not tell where it mapped
  // the file, /proc/self/maps does (the mapping of data.mdb's inode). Under
  // the resize lock's shared side, so that the map does not move meanwhile.
  std::shared_lock lock(resize_mutex_);
  release_mapped_pages_locked();
}

void Txn::release_mapped_pages() const {
  assert(resize_guard_.owns_lock());  // the map cannot move meanwhile
  env_->release_mapped_pages_locked();
}

void Env::release_mapped_pages_locked() {
  std::lock_guard lock(mapped_mu_);
  if (!mapped_known_) {
    mapped_.clear();
    mdb_filehandle_t fd = -1;
    struct stat st{};
    if (mdb_env_get_fd(env_, &fd) != 0 || ::fstat(fd, &st) != 0) return;
    std::FILE* maps = std::fopen("/proc/self/maps", "re");
    if (!maps) return;
    char line[4096];
    while (std::fgets(line, sizeof line, maps)) {
      unsigned long long begin = 0, end = 0, offset = 0, inode = 0;
      unsigned major = 0, minor = 0;
      char perms[8] = {};
      if (std::sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &begin, &end, perms, &offset, &major, &minor, &inode) !=
          7)
        continue;
      if (inode != st.st_ino || major != ::major(st.st_dev) || minor != ::minor(st.st_dev)) continue;
      mapped_.emplace_back(static_cast<std::uintptr_t>(begin), static_cast<std::uintptr_t>(end));
    }
    std::fclose(maps);
    // LMDB maps the file once. More than one mapping of it: another Env on
    // the same index in this process, whose map this one cannot tell from
    // its own, nor know when it moves: let go of nothing.
    if (mapped_.size() != 1) mapped_.clear();
    mapped_known_ = true;
  }
  for (const auto& [begin, end] : mapped_)
    ::madvise(reinterpret_cast<void*>(begin), static_cast<std::size_t>(end - begin), MADV_DONTNEED);
}

void Env::forget_mapping() {
  std::lock_guard lock(mapped_mu_);
  mapped_known_ = false;
}

void Env::grow(std::size_t seen_size) {
  std::unique_lock lock(resize_mutex_);
  std::size_t now = map_size();
  if (now > seen_size) return;  // somebody else grew it meanwhile
  forget_mapping();
  check(mdb_env_set_mapsize(env_, now * 2), "mdb_env_set_mapsize");
}

void Env::write(const std::function<void(WriteTxn&)>& fn) {
  for (;;) {
    std::size_t size = map_size();
    try {
      WriteTxn txn(*this);
      fn(txn);
      txn.commit();
      return;
    } catch (const LmdbError& e) {
      if (e.code() != MDB_MAP_FULL) {
        if (out_of_space(dir_, e.code())) throw LmdbError::no_space(dir_);
        throw;
      }
    }
    grow(size);
  }
}

}  // namespace lima::index
