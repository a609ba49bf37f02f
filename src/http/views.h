// JSON renderings of projects, assets, tags and collections as the API
// shows them (summaries in lists, more in single-item answers).
#pragma once

#include <nlohmann/json.hpp>

#include "index/metadata.h"
#include "thumbs/picture_store.h"

namespace lima::http {

nlohmann::json project_summary(const index::Txn& t, index::Metadata& meta, const index::Project& p);
/// With "cover": the asset GET /projects/{id}/cover shows (see
/// project_cover; models whose picture failed in `store` are passed over).
nlohmann::json project_detail(const index::Txn& t, index::Catalog& c, const std::filesystem::path& library,
                              const index::Project& p, const thumbs::PictureStore* store);
nlohmann::json asset_json(const index::Txn& t, index::Catalog& c, const index::Asset& a, bool detail);
nlohmann::json collection_json(const index::Txn& t, index::Catalog& c, const index::Collection& col, bool detail);

}  // namespace lima::http
