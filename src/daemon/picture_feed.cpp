#include "daemon/picture_feed.h"

#include <algorithm>

#include "http/pictures.h"
#include "index/asset_query.h"
#include "index/picture_failures.h"

namespace lima::daemon {

PictureFeed::PictureFeed(index::Catalog& catalog, std::filesystem::path library)
    : catalog_(catalog), library_(std::move(library)) {}

void PictureFeed::consider(const index::Txn& t, const index::Asset& a, const thumbs::PictureStore& store,
                           std::vector<thumbs::PictureJob>& out) {
  auto job = http::picture_job(catalog_, t, a, library_, thumbs::kDefaultSize);
  if (!job || store.find(job->hash, job->size) || store.failure(job->hash)) return;
  out.push_back(std::move(*job));
}

std::vector<thumbs::PictureJob> PictureFeed::more(thumbs::PictureStore& store, std::size_t max) {
  std::vector<thumbs::PictureJob> out;
  // What was remembered first; the lock is not held while files are looked
  // at, so a commit's listener never waits for the walk.
  std::vector<index::AssetId> ids;
  bool walking = false;
  index::AssetId cursor = 0;
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    const auto n = std::min(remembered_.size(), max);
    ids.assign(remembered_.end() - static_cast<std::ptrdiff_t>(n), remembered_.end());
    remembered_.resize(remembered_.size() - n);
    walking = walking_;
    cursor = cursor_;
    generation = generation_;
  }
  std::vector<index::ContentHash> gone;  // contents no live file has any more
  if (!ids.empty()) {
    index::ReadTxn t(catalog_.env());
    for (auto id : ids) {
      auto a = catalog_.asset(t, id);
      if (!a) continue;
      if (a->state == index::ItemState::live)
        consider(t, *a, store, out);
      else if (!a->hash.is_zero() && !needed(t, a->hash))
        gone.push_back(a->hash);
    }
  }
  for (const auto& h : gone) {
    store.forget(h.hex());
    catalog_.write([&](index::WriteTxn& t) { index::forget_picture_failure(catalog_, t, h); });
  }
  // Then the walk, a chunk of assets per read transaction (a long one would
  // keep LMDB from reusing pages while a sync writes).
  bool finished = false;
  while (walking && out.size() < max && !finished) {
    index::ReadTxn t(catalog_.env());
    std::size_t seen = 0;
    finished = true;
    index::query_assets(catalog_, t, {}, cursor, [&](const index::Asset& a) {
      cursor = a.id;
      consider(t, a, store, out);
      if (out.size() >= max || ++seen >= kWalkChunk) return finished = false;
      return true;
    });
  }
  if (walking) {
    std::lock_guard lock(mu_);
    if (generation_ == generation) {  // not started over meanwhile
      cursor_ = cursor;
      if (finished) walking_ = false;
    }
  }
  return out;
}

bool PictureFeed::changed(const index::Changes& changes) {
  if (changes.assets.empty()) return false;
  std::lock_guard lock(mu_);
  if (remembered_.size() + changes.assets.size() > kMaxRemembered) {
    // More than is worth remembering (a first index, a large sync): the walk
    // finds them all again.
    remembered_.clear();
    remembered_.shrink_to_fit();
    walking_ = true;
    cursor_ = 0;
    ++generation_;
    return true;
  }
  remembered_.insert(remembered_.end(), changes.assets.begin(), changes.assets.end());
  return true;
}

bool PictureFeed::done() const {
  std::lock_guard lock(mu_);
  return !walking_ && remembered_.empty();
}

bool PictureFeed::needed(std::string_view hash) const {
  auto h = index::ContentHash::parse(hash);
  if (!h) return false;
  index::ReadTxn t(catalog_.env());
  return needed(t, *h);
}

bool PictureFeed::needed(const index::Txn& t, const index::ContentHash& hash) const {
  for (auto id : catalog_.assets_with_hash(t, hash))
    if (auto a = catalog_.asset(t, id); a && a->state == index::ItemState::live) return true;
  return false;
}

}  // namespace lima::daemon
