// Library-wide asset lists: the live assets matching every filter given
// (kind, extension, tags, project, content hash), in id order. Each filter
// is read from its index (kind_assets, ext_assets, tag_assets, asset_paths,
// asset_hashes; see schema.h) and the filters are intersected (id_streams.h),
// so a page costs about what the rarest filter holds, never a scan of the
// library; with no filter at all, a page reads the assets in id order.
#pragma once

#include <functional>
#include <optional>
#include <string>
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

}  // namespace lima::index
