// Which picture an asset has and which asset pictures a project: what the
// API's picture routes answer from and what the daemon's picture feed asks
// the worker to make.
#pragma once

#include <filesystem>
#include <optional>

#include "index/catalog.h"
#include "index/metadata.h"
#include "thumbs/picture_store.h"
#include "thumbs/picture_worker.h"

namespace lima::http {

/// The job that makes asset a's picture at `size`: its content hash and its
/// file under `library`. nullopt for a tombstone, an asset whose bytes were
/// never read, or one of a kind without pictures (thumbs::may_have_picture).
std::optional<thumbs::PictureJob> picture_job(const index::Catalog& c, const index::Txn& t, const index::Asset& a,
                                              const std::filesystem::path& library, int size);

/// Project p's cover: its main image (chosen or picked), else its first
/// model in path order that can have a picture and (when `store` is given)
/// whose picture has not failed. Reads the project's assets once.
std::optional<index::Asset> project_cover(const index::Catalog& c, index::Metadata& meta, const index::Txn& t,
                                          index::ProjectId p, const thumbs::PictureStore* store);

}  // namespace lima::http
