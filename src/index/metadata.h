// User-authored metadata: tags on projects and assets, collections (named,
// ordered sets of projects), notes, and each project's main image. It lives
// only in the index and is attached to ids, so it follows items through
// renames and moves and survives as long as their tombstones do.
//
// Every call runs inside the caller's transaction; writes are idempotent
// where the operation allows (tagging twice, untagging an untagged item).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "index/catalog.h"

namespace lima::index {

/// An image shorter than this on its short edge (a tracking pixel, a
/// spacer, an icon) is a project's main image only when nothing larger is.
inline constexpr std::uint32_t kTinyImageEdge = 32;

struct TagInfo {
  TagId id = 0;
  std::string name;
  std::uint64_t projects = 0, assets = 0;
};

/// What a note is attached to.
struct NoteTarget {
  enum class Type : char { project = 'p', asset = 'a' } type;
  std::uint64_t id;
};

class Metadata {
 public:
  explicit Metadata(Catalog& c) : c_(c), db_(c.db()) {}

  // -- tags --
  std::optional<TagId> tag_id(const Txn& t, std::string_view name) const;
  std::optional<std::string> tag_name(const Txn& t, TagId id) const;
  /// All tags by name, with how many projects and assets carry each.
  std::vector<TagInfo> tags(const Txn& t) const;
  /// Creates a tag with no links; nothing when it exists already.
  Result<TagId> create_tag(WriteTxn& t, std::string_view name) { return ensure_tag(t, name); }
  /// Tags a project/asset (creating the tag). Unknown item: not_found.
  Result<TagId> tag_project(WriteTxn& t, ProjectId p, std::string_view tag);
  Result<TagId> tag_asset(WriteTxn& t, AssetId a, std::string_view tag);
  /// Removes a tag link; succeeds when it was not there. A tag left with no
  /// project and no asset is kept (deleting tags is explicit).
  Result<void> untag_project(WriteTxn& t, ProjectId p, std::string_view tag);
  Result<void> untag_asset(WriteTxn& t, AssetId a, std::string_view tag);
  std::vector<std::string> project_tags(const Txn& t, ProjectId p) const;
  std::vector<std::string> asset_tags(const Txn& t, AssetId a) const;
  /// Tag ids of a project/asset, in id order.
  std::vector<TagId> project_tag_ids(const Txn& t, ProjectId p) const;
  std::vector<TagId> asset_tag_ids(const Txn& t, AssetId a) const;
  bool project_has_tag(const Txn& t, ProjectId p, TagId tag) const;
  bool asset_has_tag(const Txn& t, AssetId a, TagId tag) const;
  /// Every tag as (id, name), in id order; cheaper than tags() (no counts).
  std::vector<std::pair<TagId, std::string>> tag_names(const Txn& t) const;
  std::vector<ProjectId> projects_tagged(const Txn& t, TagId tag) const;
  std::vector<AssetId> assets_tagged(const Txn& t, TagId tag) const;
  /// Renames a tag; the new name must be free (use merge_tags otherwise).
  Result<void> rename_tag(WriteTxn& t, std::string_view from, std::string_view to);
  /// Moves every link of `from` onto `into` (created if needed), then deletes `from`.
  Result<void> merge_tags(WriteTxn& t, std::string_view from, std::string_view into);
  /// Deletes a tag and all its links.
  Result<void> delete_tag(WriteTxn& t, std::string_view name);

  // -- collections --
  Result<CollectionId> create_collection(WriteTxn& t, std::string_view name);
  std::optional<Collection> collection(const Txn& t, CollectionId id) const;
  std::optional<Collection> collection_by_name(const Txn& t, std::string_view name) const;
  /// All collections by name.
  std::vector<Collection> collections(const Txn& t) const;
  std::vector<CollectionId> collections_of(const Txn& t, ProjectId p) const;
  Result<void> rename_collection(WriteTxn& t, CollectionId id, std::string_view to);
  Result<void> delete_collection(WriteTxn& t, CollectionId id);
  /// Adds a project at `position` (end when absent or past the end). Adding a
  /// member again moves it to `position` when one is given, else does nothing.
  Result<void> add_to_collection(WriteTxn& t, CollectionId id, ProjectId p,
                                 std::optional<std::size_t> position = std::nullopt);
  Result<void> remove_from_collection(WriteTxn& t, CollectionId id, ProjectId p);
  /// Sets the order; `order` must be a permutation of the members.
  Result<void> reorder_collection(WriteTxn& t, CollectionId id, const std::vector<ProjectId>& order);

  // -- notes --
  /// Sets a note; an empty text removes it.
  Result<void> set_note(WriteTxn& t, NoteTarget target, std::string_view text);
  std::string note(const Txn& t, NoteTarget target) const;

  // -- main image --
  /// Sets (or with nullopt clears) the user's choice; the asset must be an
  /// image of that project.
  Result<void> set_main_image(WriteTxn& t, ProjectId p, std::optional<AssetId> image);
  /// The user's choice while it is a live image of the project; otherwise
  /// the auto-pick among its images, leaving out files whose header says
  /// they are no image: one at least kTinyImageEdge pixels on its short
  /// edge (or of unknown size) when there is one, then one named like
  /// cover/main/preview, then the shallowest, then the most pixels, then
  /// the first in path order. nullopt when the project has no image.
  std::optional<AssetId> main_image(const Txn& t, ProjectId p) const;
  /// True when the main image was chosen by the user.
  bool main_image_is_chosen(const Txn& t, ProjectId p) const;

 private:
  Result<void> need_project(const Txn& t, ProjectId p) const;
  Result<void> need_asset(const Txn& t, AssetId a) const;
  Result<TagId> ensure_tag(WriteTxn& t, std::string_view name);
  Result<TagId> existing_tag(const Txn& t, std::string_view name) const;
  void put_collection(WriteTxn& t, const Collection& c);

  Catalog& c_;
  const Tables& db_;
};

}  // namespace lima::index
