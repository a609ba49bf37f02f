#include "daemon/picture_feed.h"

#include <algorithm>

#include "http/pictures.h"
#include "index/asset_query.h"

namespace lima::daemon {

PictureFeed::PictureFeed(index::Catalog& catalog, std::filesystem::path library)
    : catalog_(catalog), library_(std::move(library)) {}

void PictureFeed::consider(const index::Txn& t, const index::Asset& a, const thumbs::PictureStore& store,
                           std::vector<thumbs::PictureJob>& out) {
  auto job = http::picture_job(catalog_, t, a, library_, thumbs::kDefaultSize);
  if (!job || store.find(job->hash, job->size) || store.failure(job->hash)) return;
  out.push_back(std::move(*job));
}

std::vector<thumbs::PictureJob> PictureFeed::more(const thumbs::PictureStore& store, std::size_t max) {
  std::vector<thumbs::PictureJob> out;
  std::lock_guard lock(mu_);
  index::ReadTxn t(catalog_.env());
  while (!remembered_.empty() && out.size() < max) {
    const auto id = remembered_.back();
    remembered_.pop_back();
    if (auto a = catalog_.asset(t, id)) consider(t, *a, store, out);
  }
  if (walking_ && out.size() < max) {
    bool more_left = false;
    index::query_assets(catalog_, t, {}, cursor_, [&](const index::Asset& a) {
      cursor_ = a.id;
      consider(t, a, store, out);
      if (out.size() >= max) return more_left = true, false;
      return true;
    });
    if (!more_left) walking_ = false;
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
  for (auto id : catalog_.assets_with_hash(t, *h))
    if (auto a = catalog_.asset(t, id); a && a->state == index::ItemState::live) return true;
  return false;
}

}  // namespace lima::daemon
