// Asset queries, as GET /assets and GET /projects/{id}/assets list them.
// Library-wide asset lists: the live assets matching every filter given
// (kind, extension, tags, project, content hash), in id order. Each filter
// is read from its index (kind_assets, ext_assets, tag_assets, asset_paths,
// asset_hashes; see schema.h) and the filters are intersected (id_streams.h),
// so a page costs about what the rarest filter holds, never a scan of the
// library; with no filter at all, a page reads the assets in id order.
// A project's asset lists: its live assets in path order, filtered as they
// are read.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "index/catalog.h"

namespace lima::index {

struct AssetFilter {
  std::optional<Kind> kind;
  /// As kinds.h's extension_of() gives it: lower case, no dot.
  std::optional<std::string> ext;
  /// Every one of them.
  std::vector<TagId> tags;
  std::optional<ProjectId> project;
  std::optional<ContentHash> hash;
};

/// Calls fn for each live asset matching `filter` whose id is above
/// `after`, in id order, until fn returns false.
void query_assets(const Catalog& c, const Txn& t, const AssetFilter& filter, AssetId after,
                  const std::function<bool(const Asset&)>& fn);

/// One page of the library's assets.
struct AssetPage {
  std::vector<Asset> items;
  /// The `after` of the next page (the last id of this one); nullopt when
  /// this page is the last.
  std::optional<AssetId> next;
};

/// At most `limit` (at least 1) of query_assets(filter, after).
AssetPage query_asset_page(const Catalog& c, const Txn& t, const AssetFilter& filter, AssetId after, std::size_t limit);

/// What a project's asset list filters by. Every filter given must hold.
struct ProjectAssetFilter {
  /// Exactly this path in the project.
  std::optional<std::string> path;
  std::optional<Kind> kind;
  /// As kinds.h's extension_of() gives it: lower case, no dot.
  std::optional<std::string> ext;
  /// Every one of them.
  std::vector<TagId> tags;
};

/// One page of a project's assets.
struct ProjectAssetPage {
  std::vector<Asset> items;
  /// The `after` of the next page (the last path of this one); nullopt
  /// when this page is the last.
  std::optional<std::string> next;
};

/// The live assets of project p matching `filter`, in path order, whose
/// path sorts after `after` ("" = from the first), at most `limit` (at
/// least 1) of them.
ProjectAssetPage query_project_assets(const Catalog& c, const Txn& t, ProjectId p, const ProjectAssetFilter& filter,
                                      std::string_view after, std::size_t limit);

/// True when asset a carries every tag in `tags` (one lookup per tag).
bool asset_has_all_tags(const Catalog& c, const Txn& t, AssetId a, std::span<const TagId> tags);

}  // namespace lima::index
