// Picture failures: the contents no picture could be made of (DESIGN §7),
// one row per content hash in picture_failures:hash (schema.h), written by
// the picture maker and read by the problem report (problems.h), which
// shows one problem per live file with such content. A row names the
// picture maker's version that failed, so a newer one may try again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "index/catalog.h"

namespace lima::index {

/// Why a content has no picture. The values are the picture maker's own
/// (thumbs::FailureKind). DO NOT CHANGE values (persisted).
enum class PictureFailureKind : std::uint8_t {
  undecodable_image = 1,  ///< an image (or an embedded one) that does not decode
  unparsable_model = 2,   ///< a 3D model whose mesh does not parse (or is empty)
  over_cap = 3,           ///< over a cap: file size, pixels, triangles or time
  no_picture = 4,         ///< nothing to show (kept, never reported as a problem)
};

/// The problem a failure of this kind is reported as (undecodable_image,
/// unparsable_model, picture_over_cap); nullopt for no_picture.
std::optional<ProblemKind> problem_kind_of(PictureFailureKind k);

struct PictureFailure {
  ContentHash hash;
  std::uint32_t picture_version = 0;  ///< of the picture maker that failed
  PictureFailureKind kind = PictureFailureKind::undecodable_image;
  std::string reason;  ///< one line a user can act on
};

std::string encode(const PictureFailure& f);
/// nullopt for a corrupt or unknown-format value.
std::optional<PictureFailure> decode_picture_failure(const ContentHash& hash, std::string_view v);

/// Records (or replaces) the failure of `f.hash`.
void record_picture_failure(Catalog& c, WriteTxn& t, const PictureFailure& f);
/// Forgets the failure of `hash` (a picture was made after all); returns
/// whether there was one.
bool forget_picture_failure(Catalog& c, WriteTxn& t, const ContentHash& hash);
/// The failure recorded for `hash`, if any.
std::optional<PictureFailure> picture_failure(const Catalog& c, const Txn& t, const ContentHash& hash);

/// How far a cleanup got: call again with `next` until it is nullopt.
struct FailureCleanup {
  std::size_t visited = 0, removed = 0;
  std::optional<ContentHash> next;  ///< where the next batch starts; nullopt when done
};
/// Drops the failures of contents no live asset has (their files are gone
/// or changed), visiting at most `batch` rows from `from` on (nullopt: the
/// first), each checked through asset_hashes, so one call costs
/// O(batch · log assets) whatever the library's size.
FailureCleanup drop_orphan_picture_failures(Catalog& c, WriteTxn& t, std::optional<ContentHash> from,
                                            std::size_t batch);

}  // namespace lima::index
