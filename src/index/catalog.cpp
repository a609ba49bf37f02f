#include "index/catalog.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <future>
#include <system_error>
#include <tuple>

#include "index/deferred_keys.h"
#include "index/derived_stats.h"
#include "index/key_codec.h"
#include "index/kinds.h"
#include "index/schema.h"
#include "index/word_index.h"

namespace lima::index {

namespace stdfs = std::filesystem;
using namespace schema;

std::string_view to_string(Errc c) {
  switch (c) {
    case Errc::not_found: return "not_found";
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::conflict: return "conflict";
    case Errc::busy: return "busy";
    case Errc::library_offline: return "library_offline";
    case Errc::newer_schema: return "newer_schema";
    case Errc::io: return "io";
    case Errc::no_space: return "no_space";
  }
  return "io";
}

std::string library_path(const std::string& project_name, const std::string& asset_path) {
  return project_name.empty() ? asset_path : project_name + "/" + asset_path;
}

namespace {

std::string hash_key(const ContentHash& h, AssetId id) {
  std::string k(h.view());
  put_u64(k, id);
  return k;
}

std::string inode_key(std::uint64_t dev, std::uint64_t ino, AssetId id) {
  std::string k;
  put_u64(k, dev);
  put_u64(k, ino);
  put_u64(k, id);
  return k;
}

std::string tombstone_key(const Asset& a) {
  std::string k;
  put_u64(k, a.project);
  put_u64(k, a.id);
  return k;
}

std::string ext_key(const Asset& a) {
  std::string k = Catalog::ext_prefix(extension_of(a.path));
  put_u64(k, a.id);
  return k;
}

std::string kind_key(const Asset& a) {
  std::string k = Catalog::kind_prefix(a.kind);
  put_u64(k, a.id);
  return k;
}

// 1 → 2: the extension and kind indexes of every live asset.
void add_ext_and_kind_indexes(WriteTxn& t, const Tables& db) {
  t.scan_prefix(db.assets, {}, [&](std::string_view k, std::string_view v) {
    if (auto a = decode_asset(get_u64(k), v); a && a->state == ItemState::live) {
      t.put(db.ext_assets, ext_key(*a), {});
      t.put(db.kind_assets, kind_key(*a), {});
    }
    return true;
  });
}

// 2 → 3: picture_failures, which open() creates; asset records keep their
// format 1 (facts not read) until a sync reads their headers.
void add_picture_failures(WriteTxn&, const Tables&) {}

// 3 → 4: the word index, filled from the catalog; saved_searches, which
// open() creates.
void fill_word_index(WriteTxn& t, const Tables& db) { WordIndex(db).rebuild(t); }

// 4 → 5: every asset's inode, the tombstones by project, and the problem
// report's derived tables, filled from the catalog.
void to_v5(WriteTxn& t, const Tables& db) {
  t.scan_prefix(db.assets, {}, [&](std::string_view k, std::string_view v) {
    if (auto a = decode_asset(get_u64(k), v)) {
      t.put(db.asset_inodes, inode_key(a->dev, a->ino, a->id), {});
      if (a->state == ItemState::tombstone) t.put(db.project_tombstones, tombstone_key(*a), {});
    }
    return true;
  });
  derived_stats_rebuild(t, db);
}

// 5 → 6: projects_lacking, filled from project_stats.
void to_v6(WriteTxn& t, const Tables& db) { projects_lacking_rebuild(t, db); }

// Migrations: kMigrations[v - 1] upgrades a version-v index to v + 1, inside
// the single write transaction that open() runs. Each one is tested on an
// index written by the previous version (catalog_test.cpp).
using Migration = void (*)(WriteTxn&, const Tables&);

constexpr std::array<Migration, kSchemaVersion - 1> kMigrations{add_ext_and_kind_indexes, add_picture_failures,
                                                                   fill_word_index, to_v5, to_v6};

// Removes key only when it still points at id (another item may own it now).
void del_if_owned(WriteTxn& t, const Dbi& db, std::string_view key, std::uint64_t id) {
  auto v = t.get(db, key);
  if (v && v->size() == 8 && get_u64(*v) == id) t.del(db, key);
}

// Opening, step by step: the writer's lock, the schema version, the tables.

/// Takes the exclusive lock on STATE_DIR/lock (writing our pid into it, for
/// the message a second writer gets); returns its descriptor.
Result<int> take_writer_lock(const stdfs::path& state_dir) {
  const auto lock_path = state_dir / "lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return fail(Errc::io, "cannot open " + lock_path.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    std::string who = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : std::string("?");
    while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
    return fail(Errc::busy, "the index in " + state_dir.string() + " is in use by another limafs process (pid " +
                                who + ")");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The pid is only informational; the lock is what matters.
  }
  return fd;
}

/// The schema version the index was written with (0: a new index), read
/// without creating anything; refused when this limafs cannot open it.
Result<std::uint32_t> schema_version_of(Env& env, const stdfs::path& state_dir, bool rw) {
  std::uint32_t found = 0;
  {
    ReadTxn t(env);
    std::optional<Dbi> meta;
    try {
      meta = env.find_db(t, kMeta);
    } catch (const LmdbError& e) {
      return fail(Errc::io, std::string("cannot read the index: ") + e.what());
    }
    if (meta)
      if (auto v = t.get(*meta, kMetaSchemaVersion); v && v->size() == 4) found = get_u32(*v);
  }
  if (found > kSchemaVersion)
    return fail(Errc::newer_schema, "the index in " + state_dir.string() + " was written by a newer limafs (schema " +
                                        std::to_string(found) + "; this limafs reads up to " +
                                        std::to_string(kSchemaVersion) + "); upgrade limafs");
  if (!rw && found == 0)
    return fail(Errc::not_found, "no index in " + state_dir.string() + " (run `limafs scan LIBRARY` first)");
  if (!rw && found < kSchemaVersion)
    return fail(Errc::conflict, "the index in " + state_dir.string() + " has schema " + std::to_string(found) +
                                    " and must be upgraded: run `limafs scan` once");
  return found;
}

/// Opens every sub-database of schema.h into db, through open(t, name, kind).
template <class T, class Open>
void open_tables(T& t, Tables& db, Open open) {
  struct Table {
    Dbi* dbi;
    const char* name;
    DbKind kind = DbKind::plain;
  };
  const Table all[] = {
      {&db.meta, kMeta},
      {&db.projects, kProjects},
      {&db.project_names, kProjectNames},
      {&db.assets, kAssets},
      {&db.asset_paths, kAssetPaths},
      {&db.asset_hashes, kAssetHashes},
      {&db.asset_inodes, kAssetInodes},
      {&db.project_tombstones, kProjectTombstones},
      {&db.ext_assets, kExtAssets},
      {&db.kind_assets, kKindAssets},
      {&db.tags, kTags},
      {&db.tag_names, kTagNames},
      {&db.project_tags, kProjectTags},
      {&db.tag_projects, kTagProjects},
      {&db.asset_tags, kAssetTags},
      {&db.tag_assets, kTagAssets},
      {&db.collections, kCollections},
      {&db.collection_names, kCollectionNames},
      {&db.project_collections, kProjectCollections},
      {&db.notes, kNotes},
      {&db.main_images, kMainImages},
      {&db.runs, kRuns},
      {&db.problems, kProblems},
      {&db.picture_failures, kPictureFailures},
      {&db.words, kWords, DbKind::dup_fixed},
      {&db.saved_searches, kSavedSearches},
      {&db.project_stats, kProjectStats},
      {&db.shared_content, kSharedContent},
      {&db.projects_lacking, kProjectsLacking},
  };
  for (const Table& table : all) *table.dbi = open(t, table.name, table.kind);
}

}  // namespace

void Catalog::write(const std::function<void(WriteTxn&)>& fn) {
  Changes done;
  env_->write([&](WriteTxn& t) {
    pending_ = Changes{};
    fn(t);
    done = std::move(pending_);
    pending_ = Changes{};
  });
  if (done.empty()) return;
  done.normalize();

  std::lock_guard lock(listeners_mu_);
  for (auto& [handle, listener] : listeners_) listener(done);
}

int Catalog::subscribe(ChangeListener fn) {
  std::lock_guard lock(listeners_mu_);
  listeners_.emplace(next_listener_, std::move(fn));
  return next_listener_++;
}

void Catalog::unsubscribe(int handle) {
  std::lock_guard lock(listeners_mu_);
  listeners_.erase(handle);
}

Catalog::~Catalog() {
  env_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Result<std::unique_ptr<Catalog>> Catalog::open(const stdfs::path& state_dir, OpenMode mode) {
  std::unique_ptr<Catalog> c(new Catalog());
  c->state_dir_ = state_dir;
  auto r = c->init(mode);
  if (!r) return tl::unexpected(r.error());
  return c;
}

Result<void> Catalog::init(OpenMode mode) {
  const bool rw = mode == OpenMode::read_write;
  const stdfs::path dir = state_dir_ / "index";
  const char* skip = std::getenv("LIMA_BENCH_SKIP_WORD_INDEX");
  skip_words_ = skip && std::string_view(skip) == "1";
  words_ = std::make_unique<const WordIndex>(db_);
  std::error_code ec;
  if (rw) {
    stdfs::create_directories(dir, ec);
    if (ec) return fail(Errc::io, "cannot create state directory " + dir.string() + ": " + ec.message());
    auto lock = take_writer_lock(state_dir_);
    if (!lock) return tl::unexpected(lock.error());
    lock_fd_ = *lock;
  } else if (!stdfs::exists(dir / "data.mdb", ec)) {
    return fail(Errc::not_found, "no index in " + state_dir_.string() + " (run `limafs scan LIBRARY` first)");
  }

  try {
    env_ = std::make_unique<Env>(dir, EnvOptions{.read_only = !rw, .named_dir = state_dir_});
  } catch (const LmdbError& e) {
    return fail(Errc::io, "cannot open the index in " + dir.string() + ": " + e.what());
  }
  const auto found = schema_version_of(*env_, state_dir_, rw);
  if (!found) return tl::unexpected(found.error());

  // Opened in one transaction, with the migrations up to this version.
  try {
    if (rw) {
      env_->write([&](WriteTxn& t) {
        open_tables(t, db_, [&](WriteTxn& tx, const char* name, DbKind kind) {
          return env_->open_db(tx, name, DbOpen::create, kind);
        });
        for (std::uint32_t v = *found == 0 ? kSchemaVersion : *found; v < kSchemaVersion; ++v)
          if (kMigrations[v - 1]) kMigrations[v - 1](t, db_);
        // Keys a first sync kept aside and never wrote (it stopped) are
        // rebuilt from the records.
        if (t.get(db_.meta, kMetaKeysPending)) rebuild_deferred_keys(t, db_);
        // A word index left stale by writes that skipped it is made whole.
        if (!skip_words_ && t.get(db_.meta, kMetaWordsStale)) {
          words_->rebuild(t);
          t.del(db_.meta, kMetaWordsStale);
        }
        std::string ver;
        put_u32(ver, kSchemaVersion);
        t.put(db_.meta, kMetaSchemaVersion, ver);
      });
    } else {
      ReadTxn t(*env_);
      open_tables(t, db_, [&](ReadTxn& tx, const char* name, DbKind kind) { return env_->open_db(tx, name, kind); });
      t.commit();
    }
  } catch (const LmdbError& e) {
    return fail(Errc::io, std::string("cannot open the index: ") + e.what());
  }
  schema_version_ = kSchemaVersion;
  return {};
}

// ---- library identity -----------------------------------------------------

std::optional<std::string> Catalog::library_root(const Txn& t) const {
  if (auto v = t.get(db_.meta, kMetaLibraryRoot)) return std::string(*v);
  return std::nullopt;
}

std::optional<std::uint64_t> Catalog::library_dev(const Txn& t) const {
  if (auto v = t.get(db_.meta, kMetaLibraryDev); v && v->size() == 8) return get_u64(*v);
  return std::nullopt;
}

void Catalog::set_library_root(WriteTxn& t, const std::string& root) { t.put(db_.meta, kMetaLibraryRoot, root); }

void Catalog::set_library_dev(WriteTxn& t, std::uint64_t dev) { t.put(db_.meta, kMetaLibraryDev, key_u64(dev)); }

std::uint64_t Catalog::next_id(WriteTxn& t, const char* table) {
  const std::string key = std::string(kMetaNextId) + table;
  std::uint64_t id = 1;
  if (auto v = t.get(db_.meta, key); v && v->size() == 8) id = get_u64(*v);
  t.put(db_.meta, key, key_u64(id + 1));
  return id;
}

// ---- projects -------------------------------------------------------------

std::optional<Project> Catalog::project(const Txn& t, ProjectId id) const {
  auto v = t.get(db_.projects, key_u64(id));
  if (!v) return std::nullopt;
  return decode_project(id, *v);
}

std::optional<ProjectId> Catalog::project_id_by_name(const Txn& t, std::string_view name) const {
  auto v = t.get(db_.project_names, bounded(name));
  if (!v || v->size() != 8) return std::nullopt;
  return get_u64(*v);
}

std::vector<Project> Catalog::projects(const Txn& t, bool with_tombstones) const {
  std::vector<Project> out;
  if (!with_tombstones) {
    t.scan_prefix(db_.project_names, {}, [&](std::string_view, std::string_view v) {
      if (v.size() == 8)
        if (auto p = project(t, get_u64(v))) out.push_back(std::move(*p));
      return true;
    });
    return out;
  }
  t.scan_prefix(db_.projects, {}, [&](std::string_view k, std::string_view v) {
    if (auto p = decode_project(get_u64(k), v)) out.push_back(std::move(*p));
    return true;
  });
  return out;
}

void Catalog::project_ids_by_name(const Txn& t, std::string_view after,
                                  const std::function<bool(ProjectId)>& fn) const {
  Cursor c(t, db_.project_names);
  const std::string from = after.empty() ? std::string() : bounded(after);
  bool ok = from.empty() ? c.first() : c.seek(from);
  if (ok && !from.empty() && c.key() == from) ok = c.next();
  for (; ok; ok = c.next())
    if (c.value().size() == 8 && !fn(get_u64(c.value()))) return;
}

void Catalog::put_project(WriteTxn& t, const Project& now, const Project* before) {
  if (auto* w = word_upkeep(t)) w->update_project(t, before, &now);
  if (before && before->state == ItemState::live) {
    if (before->name != now.name || now.state != ItemState::live)
      del_if_owned(t, db_.project_names, bounded(before->name), now.id);
  }
  t.put(db_.projects, key_u64(now.id), encode(now));
  pending_.projects.push_back(now.id);
  if (now.state == ItemState::live) {
    t.put(db_.project_names, bounded(now.name), key_u64(now.id));
  }
}

// ---- assets ---------------------------------------------------------------

std::optional<Asset> Catalog::asset(const Txn& t, AssetId id) const {
  auto v = t.get(db_.assets, key_u64(id));
  if (!v) return std::nullopt;
  return decode_asset(id, *v);
}

std::optional<AssetId> Catalog::asset_id_by_path(const Txn& t, ProjectId p, std::string_view path) const {
  auto v = t.get(db_.asset_paths, key_u64_bounded(p, path));
  if (!v || v->size() != 8) return std::nullopt;
  return get_u64(*v);
}

std::vector<Asset> Catalog::assets_of(const Txn& t, ProjectId p) const {
  std::vector<Asset> out;
  t.scan_prefix(db_.asset_paths, key_u64(p), [&](std::string_view, std::string_view v) {
    if (v.size() == 8)
      if (auto a = asset(t, get_u64(v))) out.push_back(std::move(*a));
    return true;
  });
  return out;
}

void Catalog::assets_under(const Txn& t, ProjectId p, std::string_view dir,
                           const std::function<void(const Asset&)>& fn) const {
  std::string prefix(dir);
  if (!prefix.empty()) prefix.push_back('/');
  // Keys hold the path itself up to the bounded() limit, so a byte prefix
  // finds every candidate; the decoded path decides.
  const std::string key = key_u64_str(p, std::string_view(prefix).substr(0, kInlineKeyBytes));
  t.scan_prefix(db_.asset_paths, key, [&](std::string_view, std::string_view v) {
    if (v.size() != 8) return true;
    if (auto a = asset(t, get_u64(v)); a && a->path.starts_with(prefix)) fn(*a);
    return true;
  });
}

void Catalog::for_each_asset(const Txn& t, const std::function<void(const Asset&)>& fn) const {
  t.scan_prefix(db_.assets, {}, [&](std::string_view k, std::string_view v) {
    if (auto a = decode_asset(get_u64(k), v)) fn(*a);
    return true;
  });
}

void Catalog::put_asset(WriteTxn& t, const Asset& now, const Asset* before) {
  const AssetChange change{before, now};
  put_assets(t, std::span(&change, 1));
}

void Catalog::put_assets(WriteTxn& t, std::span<const AssetChange> changes, DeferredKeys* later) {
  if (auto* w = word_upkeep(t)) w->update_assets(t, changes);
  if (changes.size() >= 4096) t.release_mapped_pages();  // what the word index read
  // Remove stale index entries first, then write each table in key order.
  std::vector<const Asset*> live, rehashed, reinoded, all;
  std::vector<std::string> ext_keys, kind_keys, tomb_keys;  // new entries
  std::vector<bool> deferred;
  if (later) deferred.resize(changes.size());
  all.reserve(changes.size());
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const auto& [before, now] = changes[i];
    if (later && !before && now.state == ItemState::live && later->add(now)) {
      // Its content and inode keys wait for the end of the run. (A
      // transaction run again after the map grew adds them twice: written
      // once all the same.)
      if (i == 0 || !deferred[i - 1]) DeferredKeys::mark_pending(t, db_);
      deferred[i] = true;
    }
    const bool is_live = now.state == ItemState::live;
    pending_.assets.push_back(now.id);
    pending_.project_files.push_back(now.project);
    if (before && before->project != now.project) pending_.project_files.push_back(before->project);
    const bool was_live = before && before->state == ItemState::live;
    const bool ext_same = was_live && is_live && extension_of(before->path) == extension_of(now.path);
    const bool kind_same = was_live && is_live && before->kind == now.kind;
    if (before) {
      if (was_live) {
        if (!is_live || before->project != now.project || before->path != now.path)
          del_if_owned(t, db_.asset_paths, key_u64_bounded(before->project, before->path), now.id);
        if (!ext_same) t.del(db_.ext_assets, ext_key(*before));
        if (!kind_same) t.del(db_.kind_assets, kind_key(*before));
      }
      if (before->hash != now.hash) t.del(db_.asset_hashes, hash_key(before->hash, now.id));
      if (before->dev != now.dev || before->ino != now.ino)
        t.del(db_.asset_inodes, inode_key(before->dev, before->ino, now.id));
      if (before->state == ItemState::tombstone && (is_live || before->project != now.project))
        t.del(db_.project_tombstones, tombstone_key(*before));
    }
    if ((!before || before->dev != now.dev || before->ino != now.ino) && !(later && deferred[i]))
      reinoded.push_back(&now);
    if (!is_live && (!before || before->state != ItemState::tombstone || before->project != now.project))
      tomb_keys.push_back(tombstone_key(now));
    all.push_back(&now);
    if (is_live) live.push_back(&now);
    if (is_live && !ext_same) ext_keys.push_back(ext_key(now));
    if (is_live && !kind_same) kind_keys.push_back(kind_key(now));
    if ((!before || before->hash != now.hash) && !(later && deferred[i])) rehashed.push_back(&now);
  }
  auto by = [](auto key) { return [key](const Asset* a, const Asset* b) { return key(*a) < key(*b); }; };
  auto sort_indexes = [&] {
    std::sort(live.begin(), live.end(), by([](const Asset& a) { return std::tie(a.project, a.path); }));
    std::sort(ext_keys.begin(), ext_keys.end());
    std::sort(kind_keys.begin(), kind_keys.end());
    std::sort(tomb_keys.begin(), tomb_keys.end());
    std::sort(reinoded.begin(), reinoded.end(), by([](const Asset& a) { return std::tie(a.dev, a.ino, a.id); }));
    std::sort(rehashed.begin(), rehashed.end(), [](const Asset* a, const Asset* b) {
      int c = std::memcmp(a->hash.bytes.data(), b->hash.bytes.data(), a->hash.bytes.size());
      return c != 0 ? c < 0 : a->id < b->id;
    });
  };
  // Large batches: the index tables are sorted on a second thread while the
  // records are written.
  std::future<void> sorted;
  if (changes.size() >= 4096) sorted = std::async(std::launch::async, sort_indexes);
  else sort_indexes();
  std::string key;  // reused: no allocation per entry
  if (!std::is_sorted(all.begin(), all.end(), by([](const Asset& a) { return a.id; })))
    std::sort(all.begin(), all.end(), by([](const Asset& a) { return a.id; }));
  for (const Asset* a : all) t.put_sorted(db_.assets, key_u64(a->id), encode(*a));
  if (sorted.valid()) sorted.get();
  for (const Asset* a : live) {
    key.clear();
    put_u64(key, a->project);
    if (a->path.size() <= kInlineKeyBytes) key += a->path;
    else key += bounded(a->path);
    t.put_sorted(db_.asset_paths, key, key_u64(a->id));
  }
  for (const Asset* a : rehashed) {
    key.assign(a->hash.view());
    put_u64(key, a->id);
    t.put_sorted(db_.asset_hashes, key, {});
  }
  for (const Asset* a : reinoded) t.put_sorted(db_.asset_inodes, inode_key(a->dev, a->ino, a->id), {});
  for (const auto& k : tomb_keys) t.put_sorted(db_.project_tombstones, k, {});
  for (const auto& k : ext_keys) t.put_sorted(db_.ext_assets, k, {});
  for (const auto& k : kind_keys) t.put_sorted(db_.kind_assets, k, {});
  derived_stats_update(t, db_, changes, later ? &deferred : nullptr);
}

std::vector<AssetId> Catalog::assets_with_hash(const Txn& t, const ContentHash& h) const {
  std::vector<AssetId> out;
  t.scan_prefix(db_.asset_hashes, h.view(), [&](std::string_view k, std::string_view) {
    if (k.size() == 24) out.push_back(get_u64(k, 16));
    return true;
  });
  return out;
}

std::vector<AssetId> Catalog::assets_with_inode(const Txn& t, std::uint64_t dev, std::uint64_t ino) const {
  std::string prefix;
  put_u64(prefix, dev);
  put_u64(prefix, ino);
  std::vector<AssetId> out;
  t.scan_prefix(db_.asset_inodes, prefix, [&](std::string_view k, std::string_view) {
    if (k.size() == 24) out.push_back(get_u64(k, 16));
    return true;
  });
  return out;
}

std::vector<Asset> Catalog::tombstones_of(const Txn& t, ProjectId p) const {
  std::vector<Asset> out;
  t.scan_prefix(db_.project_tombstones, key_u64(p), [&](std::string_view k, std::string_view) {
    if (k.size() == 16)
      if (auto a = asset(t, get_u64(k, 8)); a && a->state == ItemState::tombstone) out.push_back(std::move(*a));
    return true;
  });
  return out;
}

std::string Catalog::ext_prefix(std::string_view ext) {
  std::string k(ext);
  k.push_back('\0');
  return k;
}

std::string Catalog::kind_prefix(Kind kind) { return std::string(1, static_cast<char>(kind)); }

const WordIndex* Catalog::word_upkeep(WriteTxn& t) {
  if (!skip_words_) return words_.get();
  if (!t.get(db_.meta, kMetaWordsStale)) t.put(db_.meta, kMetaWordsStale, {});
  return nullptr;
}

IndexCounts Catalog::counts(const Txn& t) const {
  IndexCounts c;
  c.projects = t.count(db_.project_names);
  c.assets = t.count(db_.asset_paths);
  c.tombstoned_projects = t.count(db_.projects) - c.projects;
  c.tombstoned_assets = t.count(db_.assets) - c.assets;
  c.tags = t.count(db_.tags);
  c.collections = t.count(db_.collections);
  c.runs = t.count(db_.runs);
  c.problems = t.count(db_.problems);
  return c;
}

}  // namespace lima::index
