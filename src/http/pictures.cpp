#include "http/pictures.h"

#include "thumbs/make_picture.h"

namespace lima::http {

std::optional<thumbs::PictureJob> picture_job(const index::Catalog& c, const index::Txn& t, const index::Asset& a,
                                              const std::filesystem::path& library, int size) {
  if (a.state != index::ItemState::live || a.hash.is_zero()) return std::nullopt;
  if (a.kind != index::Kind::image && a.kind != index::Kind::model) return std::nullopt;
  if (!thumbs::may_have_picture(a.path)) return std::nullopt;
  std::string project_name;
  if (a.project != index::kRootProject) {
    auto p = c.project(t, a.project);
    if (!p) return std::nullopt;
    project_name = p->name;
  }
  return thumbs::PictureJob{a.hash.hex(), library / index::library_path(project_name, a.path), size};
}

std::optional<index::Asset> project_cover(const index::Catalog& c, index::Metadata& meta, const index::Txn& t,
                                          index::ProjectId p, const thumbs::PictureStore* store) {
  if (auto image = meta.main_image(t, p))
    if (auto a = c.asset(t, *image)) return a;
  for (auto& a : c.assets_of(t, p)) {
    if (a.kind != index::Kind::model || a.hash.is_zero() || !thumbs::may_have_picture(a.path)) continue;
    if (store && store->failure(a.hash.hex())) continue;
    return std::move(a);
  }
  return std::nullopt;
}

}  // namespace lima::http
