#include "index/asset_query.h"

#include <algorithm>
#include <limits>

#include "index/id_streams.h"
#include "index/key_codec.h"
#include "index/kinds.h"

namespace lima::index {

void query_assets(const Catalog& c, const Txn& t, const AssetFilter& filter, AssetId after,
                  const std::function<bool(const Asset&)>& fn) {
  if (after == std::numeric_limits<AssetId>::max()) return;
  const Tables& db = c.db();
  std::vector<std::unique_ptr<IdStream>> streams;
  if (filter.hash) streams.push_back(std::make_unique<PrefixIdStream>(t, db.asset_hashes, std::string(filter.hash->view())));
  for (TagId tag : filter.tags) streams.push_back(std::make_unique<PrefixIdStream>(t, db.tag_assets, key_u64(tag)));
  if (filter.ext) streams.push_back(std::make_unique<PrefixIdStream>(t, db.ext_assets, Catalog::ext_prefix(*filter.ext)));
  if (filter.kind) streams.push_back(std::make_unique<PrefixIdStream>(t, db.kind_assets, Catalog::kind_prefix(*filter.kind)));
  if (filter.project) {
    // A project's files are indexed by path: their ids, sorted, cost what
    // the project holds.
    std::vector<std::uint64_t> ids;
    t.scan_prefix(db.asset_paths, key_u64(*filter.project), [&](std::string_view, std::string_view v) {
      if (v.size() == 8) ids.push_back(get_u64(v));
      return true;
    });
    std::sort(ids.begin(), ids.end());
    streams.push_back(std::make_unique<VectorIdStream>(std::move(ids)));
  }

  if (streams.empty()) {
    // No filter: every asset record from `after` on (tombstones skipped).
    Cursor cur(t, db.assets);
    for (bool ok = cur.seek(key_u64(after + 1)); ok; ok = cur.next()) {
      if (cur.key().size() != 8) continue;
      auto a = decode_asset(get_u64(cur.key()), cur.value());
      if (a && a->state == ItemState::live && !fn(*a)) return;
    }
    return;
  }
  // Tags and hashes are kept for tombstones too: the record decides.
  Intersection matches(std::move(streams), after + 1);
  while (auto id = matches.next()) {
    auto a = c.asset(t, *id);
    if (a && a->state == ItemState::live && !fn(*a)) return;
  }
}

AssetPage query_asset_page(const Catalog& c, const Txn& t, const AssetFilter& filter, AssetId after, std::size_t limit) {
  AssetPage page;
  query_assets(c, t, filter, after, [&](const Asset& a) {
    if (page.items.size() == limit) {
      page.next = page.items.back().id;
      return false;
    }
    page.items.push_back(a);
    return true;
  });
  return page;
}

bool asset_has_all_tags(const Catalog& c, const Txn& t, AssetId a, std::span<const TagId> tags) {
  return std::all_of(tags.begin(), tags.end(),
                     [&](TagId tag) { return t.get(c.db().asset_tags, key_u64_u64(a, tag)).has_value(); });
}

ProjectAssetPage query_project_assets(const Catalog& c, const Txn& t, ProjectId p, const ProjectAssetFilter& filter,
                                      std::string_view after, std::size_t limit) {
  ProjectAssetPage page;
  for (auto& a : c.assets_of(t, p)) {
    if (!after.empty() && a.path <= after) continue;
    if (filter.path && a.path != *filter.path) continue;
    if (filter.kind && a.kind != *filter.kind) continue;
    if (filter.ext && extension_of(a.path) != *filter.ext) continue;
    if (!asset_has_all_tags(c, t, a.id, filter.tags)) continue;
    if (page.items.size() == limit) {
      page.next = page.items.back().path;
      break;
    }
    page.items.push_back(std::move(a));
  }
  return page;
}

}  // namespace lima::index
