#include "index/deferred_keys.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <tuple>
#include <utility>

#include "index/catalog.h"
#include "index/derived_stats.h"
#include "index/key_codec.h"
#include "index/schema.h"

namespace lima::index {

namespace {

// Keys written per transaction: what one holds dirty stays a few MiB.
constexpr std::size_t kSliceKeys = 32768;

// A content hash as two numbers that order as its bytes do (memcmp).
std::pair<std::uint64_t, std::uint64_t> hash_words(const ContentHash& h) {
  std::uint64_t hi = 0, lo = 0;
  std::memcpy(&hi, h.bytes.data(), 8);
  std::memcpy(&lo, h.bytes.data() + 8, 8);
  if constexpr (std::endian::native == std::endian::little) {
    hi = __builtin_bswap64(hi);
    lo = __builtin_bswap64(lo);
  }
  return {hi, lo};
}

void put_hash_key(WriteTxn& t, const Tables& db, std::string& key, const ContentHash& h, AssetId id) {
  key.assign(h.view());
  put_u64(key, id);
  t.put_sorted(db.asset_hashes, key, {});
}

void put_inode_key(WriteTxn& t, const Tables& db, std::string& key, std::uint64_t dev, std::uint64_t ino,
                   AssetId id) {
  key.clear();
  put_u64(key, dev);
  put_u64(key, ino);
  put_u64(key, id);
  t.put_sorted(db.asset_inodes, key, {});
}

}  // namespace

bool DeferredKeys::add(const Asset& a) {
  if (a.id > UINT32_MAX) return false;
  auto dev = std::find(devs_.begin(), devs_.end(), a.dev);
  if (dev == devs_.end()) {
    if (devs_.size() > 64) return false;  // a few at most: nested mounts
    dev = devs_.insert(dev, a.dev);
  }
  const auto id = static_cast<std::uint32_t>(a.id);
  hashes_.push_back({a.hash, id});
  inodes_.push_back({a.ino, id, static_cast<std::uint32_t>(dev - devs_.begin())});
  return true;
}

void DeferredKeys::mark_pending(WriteTxn& t, const Tables& db) {
  if (!t.get(db.meta, schema::kMetaKeysPending)) t.put(db.meta, schema::kMetaKeysPending, {});
}

void DeferredKeys::write(Catalog& cat) {
  const Tables& db = cat.db();
  {
    // The content keys are sorted on a thread of their own while the inode
    // keys are sorted and written: the end of a first index has the cores
    // to itself.
    std::jthread sort_hashes([this] {
      std::sort(hashes_.begin(), hashes_.end(), [](const HashEntry& a, const HashEntry& b) {
        const auto wa = hash_words(a.hash), wb = hash_words(b.hash);
        return wa != wb ? wa < wb : a.id < b.id;
      });
    });
    std::sort(inodes_.begin(), inodes_.end(), [&](const InodeEntry& a, const InodeEntry& b) {
      return std::tie(devs_[a.dev], a.ino, a.id) < std::tie(devs_[b.dev], b.ino, b.id);
    });
    std::string key;
    for (std::size_t at = 0; at < inodes_.size(); at += kSliceKeys) {
      cat.write([&](WriteTxn& t) {
        for (std::size_t i = at; i < std::min(inodes_.size(), at + kSliceKeys); ++i)
          put_inode_key(t, db, key, devs_[inodes_[i].dev], inodes_[i].ino, inodes_[i].id);
      });
      cat.env().release_mapped_pages();
    }
    std::deque<InodeEntry>().swap(inodes_);
  }  // (joins the sort)
  std::string key;
  for (std::size_t at = 0; at < hashes_.size(); at += kSliceKeys) {
    cat.write([&](WriteTxn& t) {
      for (std::size_t i = at; i < std::min(hashes_.size(), at + kSliceKeys); ++i)
        put_hash_key(t, db, key, hashes_[i].hash, hashes_[i].id);
    });
    cat.env().release_mapped_pages();
  }
  // A content with two copies or more among the keys may be shared: the
  // records of its copies tell (asset_hashes holds them all now).
  std::vector<ContentHash> shared;
  {
    ReadTxn t(cat.env());
    std::size_t groups = 0;
    for (std::size_t i = 0; i < hashes_.size();) {
      std::size_t end = i + 1;
      while (end < hashes_.size() && hashes_[end].hash == hashes_[i].hash) ++end;
      if (end - i >= 2 && content_is_shared(t, db, hashes_[i].hash)) shared.push_back(hashes_[i].hash);
      i = end;
      if (++groups % 4096 == 0) t.release_mapped_pages();  // the records read
    }
  }
  std::deque<HashEntry>().swap(hashes_);
  devs_.clear();
  std::size_t at = 0;
  do {
    cat.write([&](WriteTxn& t) {
      for (std::size_t i = at; i < std::min(shared.size(), at + kSliceKeys); ++i)
        t.put_sorted(db.shared_content, shared[i].view(), {});
      if (at + kSliceKeys >= shared.size()) t.del(db.meta, schema::kMetaKeysPending);
    });
    at += kSliceKeys;
  } while (at < shared.size());
  cat.env().release_mapped_pages();
}

void rebuild_deferred_keys(WriteTxn& t, const Tables& db) {
  t.clear(db.asset_hashes);
  t.clear(db.asset_inodes);
  std::vector<std::pair<ContentHash, AssetId>> hashes;
  std::vector<std::tuple<std::uint64_t, std::uint64_t, AssetId>> inodes;
  t.scan_prefix(db.assets, {}, [&](std::string_view k, std::string_view v) {
    if (auto a = decode_asset(get_u64(k), v)) {
      hashes.emplace_back(a->hash, a->id);
      inodes.emplace_back(a->dev, a->ino, a->id);
    }
    return true;
  });
  std::sort(hashes.begin(), hashes.end(), [](const auto& a, const auto& b) {
    return std::pair(hash_words(a.first), a.second) < std::pair(hash_words(b.first), b.second);
  });
  std::sort(inodes.begin(), inodes.end());
  std::string key;
  for (const auto& [h, id] : hashes) put_hash_key(t, db, key, h, id);
  for (const auto& [dev, ino, id] : inodes) put_inode_key(t, db, key, dev, ino, id);
  derived_stats_rebuild(t, db);
  t.del(db.meta, schema::kMetaKeysPending);
}

}  // namespace lima::index
