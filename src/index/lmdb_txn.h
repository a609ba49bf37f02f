// RAII wrappers over LMDB: an environment whose map grows when full, read and
// write transactions, cursors and sub-database handles.
//
// Rules the types enforce:
//  - WriteTxn::commit() gives up ownership *before* mdb_txn_commit, which frees
//    the handle even when it fails, so a failed commit never double-frees.
//  - Cursors opened in a write transaction are closed before it commits
//    (the transaction tracks them).
//  - The map is resized only while no transaction of this process is open:
//    every transaction holds a shared lock on the environment's resize mutex.
//    Hence never start a write while the same thread holds a read txn.
//
// <lmdb.h> stays inside lmdb_txn.cpp and the index's own .cpp files: the
// types here hold LMDB's handles as opaque pointers, so no other module
// sees LMDB.
#pragma once

#include <cerrno>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "index/error.h"

// LMDB's handle types (opaque in <lmdb.h> too).
struct MDB_env;
struct MDB_txn;
struct MDB_cursor;

namespace lima::index {

/// An LMDB failure that no caller can recover from locally (I/O error,
/// corrupt file, …). Expected outcomes such as "not found" are never errors.
class LmdbError : public std::runtime_error {
 public:
  LmdbError(const std::string& what, int rc);
  /// A write that failed because `dir`'s filesystem is full: code() is
  /// ENOSPC, and what() says so in words and names `dir`.
  static LmdbError no_space(const std::filesystem::path& dir);
  int code() const noexcept { return rc_; }
  bool no_space() const noexcept { return rc_ == ENOSPC; }

 private:
  struct Worded {};
  LmdbError(Worded, const std::string& message, int rc) : std::runtime_error(message), rc_(rc) {}
  int rc_;
};

/// The domain error for a failure to read or write the index: no_space
/// when its filesystem is full, else io.
Errc errc_of(const std::exception& e);

/// Throws LmdbError when rc is not MDB_SUCCESS (0).
void check(int rc, const char* what);

class Env;

/// What a sub-database holds under a key.
enum class DbKind {
  plain,      ///< one value per key
  dup_fixed,  ///< a sorted set of fixed-size values per key (DUPSORT | DUPFIXED)
};

/// A sub-database handle. Valid for the lifetime of its Env.
struct Dbi {
  unsigned int handle = 0;  ///< LMDB's MDB_dbi
  const char* name = "";
};

class Txn {
 public:
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  virtual ~Txn();

  /// The snapshot's transaction id: it moves on with every commit.
  std::uint64_t id() const;

  /// The value stored under key, or nullopt. The view stays valid until the
  /// transaction ends (or, in a write txn, until the next write).
  std::optional<std::string_view> get(const Dbi& db, std::string_view key) const;

  /// Calls fn(key, value) for every entry whose key starts with prefix, in key
  /// order, until fn returns false.
  void scan_prefix(const Dbi& db, std::string_view prefix,
                   const std::function<bool(std::string_view, std::string_view)>& fn) const;

  /// Number of entries in a sub-database.
  std::size_t count(const Dbi& db) const;

  /// Env::release_mapped_pages() from inside the transaction: the pages it
  /// read are mapped again when read again (a write transaction's own
  /// changes are not in the map).
  void release_mapped_pages() const;

 protected:
  Txn(Env& env, unsigned flags);
  void release() noexcept;
  friend class Cursor;
  friend class Env;

  Env* env_;
  MDB_txn* txn_ = nullptr;
  std::shared_lock<std::shared_mutex> resize_guard_;
};

/// A read-only snapshot. One per request; never held across FUSE calls.
class ReadTxn : public Txn {
 public:
  explicit ReadTxn(Env& env);
  ~ReadTxn() override;
  /// Ends the transaction keeping the sub-database handles it opened
  /// (aborting would close them).
  void commit();
};

class Cursor;

/// A write transaction. Aborted on destruction unless committed.
class WriteTxn : public Txn {
 public:
  explicit WriteTxn(Env& env);
  ~WriteTxn() override;

  void put(const Dbi& db, std::string_view key, std::string_view value);
  /// Appends when key sorts after every key of db (fast: no tree search);
  /// otherwise does a normal put.
  void put_sorted(const Dbi& db, std::string_view key, std::string_view value);
  /// Deletes key; returns whether it existed.
  bool del(const Dbi& db, std::string_view key);
  /// Deletes every entry whose key starts with prefix; returns how many.
  std::size_t del_prefix(const Dbi& db, std::string_view prefix);
  /// Deletes every entry of db (the sub-database stays).
  void clear(const Dbi& db);

  // dup_fixed sub-databases: a key holds a sorted set of values, all of one size.
  /// Adds value to key's set; adding a value it holds already does nothing.
  void put_dup(const Dbi& db, std::string_view key, std::string_view value);
  /// put_dup, fast when value sorts after each of key's values (no search
  /// of the key's values); otherwise a normal put_dup. (put_sorted adds a
  /// key's first value fast when the key sorts after every key of db.)
  void put_dup_sorted(const Dbi& db, std::string_view key, std::string_view value);
  /// Adds `count` values of `size` bytes each, packed in `values` in
  /// ascending order, to key's set. Values after each of key's values are
  /// appended in one call (no search of the key per value); the others are
  /// added as put_dup() adds them. Values the set holds already stay once.
  void put_dups_sorted(const Dbi& db, std::string_view key, const char* values, std::size_t size, std::size_t count);
  /// Removes value from key's set; returns whether it was there.
  bool del_dup(const Dbi& db, std::string_view key, std::string_view value);
  /// Commits. The transaction is finished afterwards, whatever the outcome.
  void commit();

 private:
  friend class Cursor;
  std::vector<Cursor*> cursors_;
  void close_cursors() noexcept;
};

/// A cursor; closed on destruction, or by its write txn before commit.
class Cursor {
 public:
  Cursor(const Txn& txn, const Dbi& db);
  ~Cursor();
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  /// Positions at the first key >= key (on its first value). False at end.
  bool seek(std::string_view key);
  bool first();
  bool last();
  /// The next entry: in a dup_fixed sub-database, the key's next value, then
  /// the next key's first one.
  bool next();
  bool prev();
  /// dup_fixed: the first value of the next key. False at end.
  bool next_key();
  std::string_view key() const { return key_; }
  std::string_view value() const { return val_; }
  /// Deletes the current entry (write txns only).
  void del();

  /// dup_fixed: the current key's values in pages of packed values, read
  /// straight from the map (no copy): first_values() gives the first page,
  /// next_values() each next one, an empty view after the last. Each view
  /// is a whole number of values, valid until the transaction ends or
  /// writes. The cursor stays on the key: next_key() goes on from there.
  std::string_view first_values();
  std::string_view next_values();
  /// dup_fixed: how many values the current key holds.
  std::size_t value_count() const;

 private:
  friend class WriteTxn;
  enum class Move { seek, first, last, next, prev, next_key, first_dup, get_multiple, next_multiple };
  void close() noexcept;
  bool step(Move move, std::string_view key = {});

  MDB_cursor* cur_ = nullptr;
  WriteTxn* owner_ = nullptr;
  std::string_view key_, val_;
};

struct EnvOptions {
  std::size_t initial_map_size = std::size_t{64} << 20;
  unsigned max_dbs = 32;
  bool read_only = false;
  /// The directory named when its filesystem is full (default: the
  /// environment's own directory).
  std::filesystem::path named_dir;
};

/// How Env::open_db opens a sub-database in a write transaction.
enum class DbOpen {
  create,    ///< created when missing
  existing,  ///< must exist already
};

/// An LMDB environment in a directory.
class Env {
 public:
  Env(const std::filesystem::path& dir, const EnvOptions& opts);
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  bool read_only() const noexcept { return read_only_; }

  /// Opens (creating in a write txn when asked) a named sub-database of
  /// the given kind (which must be the kind it was created with).
  Dbi open_db(WriteTxn& txn, const char* name, DbOpen how = DbOpen::create, DbKind kind = DbKind::plain);
  Dbi open_db(ReadTxn& txn, const char* name, DbKind kind = DbKind::plain);
  /// The named sub-database, or nullopt when there is none (nothing is
  /// created).
  std::optional<Dbi> find_db(ReadTxn& txn, const char* name);

  /// Runs fn in a write transaction and commits it. When the map is full the
  /// transaction is aborted, the map doubled, and fn run again: fn must only
  /// act through the transaction (and be safe to repeat).
  void write(const std::function<void(WriteTxn&)>& fn);

  std::size_t map_size() const;

  /// Durability of the commits that follow. By default each commit is on
  /// disk when it returns: LMDB flushes the data pages, writes the meta
  /// page, and the commit flushes it (flush_unless_lazy). With `lazy_meta`,
  /// the calling thread's commits leave the meta page unflushed: one flush
  /// per commit instead of two. The index stays whole whatever happens; a
  /// system crash (not a process crash) may undo the commits since the last
  /// flushed one. Only that thread's commits are lazy: any other thread's
  /// (an API edit during a sync) is flushed whole, and with it everything
  /// before. Called by the writing thread only, between transactions.
  void set_lazy_meta(bool lazy_meta);
  /// After a commit, under the resize lock: flushes it whole unless this is
  /// the thread set_lazy_meta named. A failed flush throws, though the
  /// commit is made (and seen by readers): the disk failed, not the write.
  void flush_unless_lazy();
  /// How many commits flush_unless_lazy flushed whole.
  std::uint64_t whole_flushes() const { return whole_flushes_.load(); }

  /// Lets go of the index pages this process has mapped: they stay in the
  /// page cache, and come back (a minor fault each) when read again. Keeps
  /// the resident size of a process that reads a large index once (a
  /// sync) bounded by what it reads between two calls.
  void release_mapped_pages();

 private:
  friend class Txn;
  void release_mapped_pages_locked();
  void forget_mapping();  // under the resize lock, before the map moves
  friend class Txn;
  void grow(std::size_t seen_size);

  std::filesystem::path dir_;
  MDB_env* env_ = nullptr;
  bool read_only_ = false;
  std::atomic<std::thread::id> lazy_writer_{};  // set_lazy_meta's thread: its commits stay lazy
  std::atomic<std::uint64_t> whole_flushes_{0};
  mutable std::shared_mutex resize_mutex_;
  // Where the map is (from /proc/self/maps), looked up once per map size:
  // release_mapped_pages() is called often in a large sync.
  std::mutex mapped_mu_;
  bool mapped_known_ = false;  // false: look it up again (the map moved)
  std::vector<std::pair<std::uintptr_t, std::uintptr_t>> mapped_;
};

}  // namespace lima::index
