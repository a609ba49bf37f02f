// The word index: for each folded word (words.h), the items whose text
// holds it, kept in LMDB and changed in the same write transaction as the
// text it indexes. Layout (schema.h, table words:field,word):
//
//   key    u8 Field, folded word (≤ kMaxWordBytes)
//   value  sorted duplicates of 10 bytes: u64 item key, u16 rank length
//
// Item keys put projects before assets (item_key()). The rank length is
// the byte length of the item's name (project folder name, asset file
// name), so a ranking needs no record for items that matched by their own
// text. Fields kept per item: name, path (an asset's folders), notes. Tag
// and collection names are indexed by id (field tag → tag id, collection
// → collection id, rank length 0): a tag rename touches the tag's words,
// not its items. Only live items are indexed; a tombstone's words go, and
// come back when it is revived.
//
// LIMA_BENCH_SKIP_WORD_INDEX=1 in the environment of the process that opens
// the catalog (Catalog::open) makes its writes leave the word index alone
// and set meta key words_stale instead; the next open without it rebuilds
// the index in its opening transaction and removes the key. It exists only
// so that a benchmark can measure what keeping the index costs a sync.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "index/lmdb_txn.h"
#include "index/query.h"
#include "index/records.h"

namespace lima::index {

struct Tables;

/// A project or an asset as one number: projects first, in id order, then
/// assets in id order.
using ItemKey = std::uint64_t;
inline constexpr ItemKey kAssetBit = ItemKey{1} << 63;
inline ItemKey item_key(const Project& p) { return p.id; }
inline ItemKey item_key(const Asset& a) { return kAssetBit | a.id; }
inline ItemKey project_key(ProjectId id) { return id; }
inline ItemKey asset_key(AssetId id) { return kAssetBit | id; }
inline bool is_asset(ItemKey k) { return (k & kAssetBit) != 0; }
inline std::uint64_t id_of(ItemKey k) { return k & ~kAssetBit; }

/// One posting: an item (or tag / collection id) and its rank length.
struct Posting {
  ItemKey item = 0;
  std::uint16_t rank_len = 0;
};

class WordIndex {
 public:
  explicit WordIndex(const Tables& db);

  // --- keeping it (write transactions) ---

  /// Makes the index hold what `now` says (null: the item is gone), given
  /// what it held for `before` (null: nothing). Live items only: a
  /// tombstone counts as gone. Writes only the words that differ.
  void update_project(WriteTxn& t, const Project* before, const Project* now) const;
  void update_asset(WriteTxn& t, const Asset* before, const Asset* now) const;
  /// update_asset for each change of a batch (now = its `after`), in
  /// order, neighbours with the same folder cutting it into words once:
  /// what a sync's batch calls.
  void update_assets(WriteTxn& t, std::span<const AssetChange> changes) const;
  /// An item's note changed from `before` to `now` ("" = none). `rank_len`:
  /// the byte length of the item's name.
  void update_note(WriteTxn& t, ItemKey item, std::uint16_t rank_len, std::string_view before,
                   std::string_view now) const;
  /// A tag or collection name: "" for none (created / deleted).
  void update_tag_name(WriteTxn& t, TagId tag, std::string_view before, std::string_view now) const;
  void update_collection_name(WriteTxn& t, CollectionId id, std::string_view before, std::string_view now) const;
  /// Empties the index and fills it from the catalog (migration, repair).
  void rebuild(WriteTxn& t) const;

  // --- reading it ---

  /// Calls fn(word, postings) for each word of `field` that equals `word`
  /// (prefix = false) or starts with it (prefix = true), in word order,
  /// until fn returns false. The postings are sorted by item key and valid
  /// only during the call.
  void lookup(const Txn& t, Field field, std::string_view word, bool prefix,
              const std::function<bool(std::string_view word, std::span<const Posting>)>& fn) const;
  /// lookup() without decoding: calls fn(word, bytes) for each page of
  /// each matching word's postings, `bytes` a whole number of encoded
  /// postings (read_posting()), in item order, valid only during the call.
  /// Stops when fn returns false. Costs no allocation however many
  /// postings a word has.
  void lookup_pages(const Txn& t, Field field, std::string_view word, bool prefix,
                    const std::function<bool(std::string_view word, std::string_view bytes)>& fn) const;

 private:
  const Tables& db_;
};

/// The size of one encoded posting in lookup_pages()' bytes.
inline constexpr std::size_t kPostingBytes = 10;
/// The posting encoded at `p` (kPostingBytes bytes: big-endian u64 item,
/// u16 rank length).
inline Posting read_posting(const char* p) {
  ItemKey item = 0;
  for (int i = 0; i < 8; ++i) item = item << 8 | static_cast<unsigned char>(p[i]);
  return {item, static_cast<std::uint16_t>(static_cast<unsigned char>(p[8]) << 8 | static_cast<unsigned char>(p[9]))};
}

/// The rank length of an item named `name`: its byte length, capped to
/// what a posting holds.
std::uint16_t rank_length(std::string_view name);
/// The bytes of an asset's folders inside its project ("a/b/c.stl" → "a/b").
std::string_view folder_of(std::string_view asset_path);
/// An asset's file name ("a/b/c.stl" → "c.stl").
std::string_view file_name_of(std::string_view asset_path);

}  // namespace lima::index
