#include "index/word_index.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <iterator>
#include <optional>
#include <tuple>
#include <unordered_map>

#include "index/catalog.h"
#include "index/key_codec.h"
#include "index/schema.h"
#include "index/words.h"

namespace lima::index {

namespace {

using PostingBytes = std::array<char, kPostingBytes>;

PostingBytes encode_posting(ItemKey item, std::uint16_t rank_len) {
  PostingBytes out;
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>(item >> (56 - 8 * i));
  out[8] = static_cast<char>(rank_len >> 8);
  out[9] = static_cast<char>(rank_len);
  return out;
}

Posting decode_posting(const char* p) {
  std::uint64_t item;
  std::uint16_t rank;
  std::memcpy(&item, p, 8);
  std::memcpy(&rank, p + 8, 2);
  if constexpr (std::endian::native == std::endian::little) {
    item = __builtin_bswap64(item);
    rank = __builtin_bswap16(rank);
  }
  return {item, rank};
}

std::string_view view(const PostingBytes& b) { return {b.data(), b.size()}; }

void word_key(std::string& key, Field field, std::string_view word) {
  key.assign(1, static_cast<char>(field));
  key += word;
}

std::string note_key(ItemKey item) {
  std::string k(1, is_asset(item) ? schema::kNoteAsset : schema::kNoteProject);
  put_u64(k, id_of(item));
  return k;
}

// An item's indexed text, when it is live.
struct ItemText {
  ItemKey key = 0;
  std::uint16_t rank_len = 0;
  std::string_view name, path;
};

std::optional<ItemText> text_of(const Project* p) {
  if (!p || p->state != ItemState::live) return std::nullopt;
  return ItemText{item_key(*p), rank_length(p->name), p->name, {}};
}

std::optional<ItemText> text_of(const Asset* a) {
  if (!a || a->state != ItemState::live) return std::nullopt;
  const auto name = file_name_of(a->path);
  return ItemText{item_key(*a), rank_length(name), name, folder_of(a->path)};
}

// Words in `a` that are not in `b` (both sorted).
std::vector<std::string> minus(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace

std::uint16_t rank_length(std::string_view name) {
  return static_cast<std::uint16_t>(std::min<std::size_t>(name.size(), 0xffff));
}

std::string_view folder_of(std::string_view asset_path) {
  const auto slash = asset_path.rfind('/');
  return slash == std::string_view::npos ? std::string_view{} : asset_path.substr(0, slash);
}

std::string_view file_name_of(std::string_view asset_path) {
  const auto slash = asset_path.rfind('/');
  return slash == std::string_view::npos ? asset_path : asset_path.substr(slash + 1);
}

WordIndex::WordIndex(const Tables& db) : db_(db) {}

// ---- keeping it ------------------------------------------------------------

namespace {

// The word writes of one update: removals first, then additions (in the
// order made: a sync's new files come in id order, so each is appended
// after its words' other files without a search).
class WordWrites {
 public:
  void add(bool put, Field field, const std::vector<std::string>& words, ItemKey item, std::uint16_t rank_len) {
    const auto v = encode_posting(item, rank_len);
    for (const auto& w : words) {
      word_key(key_, field, w);
      if (put) {
        // Gathered by word: a batch's files share most of their words.
        puts_[key_].push_back(v);
      } else {
        dels_.push_back({key_, v});
      }
    }
  }

  // One text of one posting going from `before` to `now`, the posting
  // unchanged: only the words that differ are written.
  template <class Words>
  void change(Words& words_of, Field field, ItemKey item, std::uint16_t rank_len, std::string_view before,
              std::string_view now) {
    if (before == now) return;
    const auto old_words = words_of(before);
    const auto& new_words = words_of(now);
    add(false, field, minus(old_words, new_words), item, rank_len);
    add(true, field, minus(new_words, old_words), item, rank_len);
  }

  void apply(WriteTxn& t, const Dbi& db) {
    for (const Op& op : dels_) t.del_dup(db, op.key, view(op.value));
    // In word order, each word's new postings in one call: the table's
    // pages are visited once, in order.
    std::vector<std::pair<const std::string, std::vector<PostingBytes>>*> words;
    words.reserve(puts_.size());
    for (auto& entry : puts_) words.push_back(&entry);
    std::sort(words.begin(), words.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
    auto less = [](const PostingBytes& a, const PostingBytes& b) {
      return std::memcmp(a.data(), b.data(), kPostingBytes) < 0;  // as LMDB orders them
    };
    std::string packed;
    std::size_t done = 0;
    for (auto* entry : words) {
      auto& values = entry->second;
      if (!std::is_sorted(values.begin(), values.end(), less)) std::sort(values.begin(), values.end(), less);
      packed.clear();
      for (std::size_t j = 0; j < values.size(); ++j)
        if (j == 0 || values[j] != values[j - 1]) packed.append(values[j].data(), kPostingBytes);
      t.put_dups_sorted(db, entry->first, packed.data(), kPostingBytes, packed.size() / kPostingBytes);
      // A large batch reads pages all over the table: what it has read
      // (and copied to change) need not stay mapped till the commit.
      if (++done % 256 == 0) t.release_mapped_pages();
    }
    dels_.clear();
    puts_.clear();
  }

 private:
  struct Op {
    std::string key;
    PostingBytes value;
  };
  std::string key_;
  std::vector<Op> dels_;
  std::unordered_map<std::string, std::vector<PostingBytes>> puts_;
};

// index_words() of the last text asked for, kept: a batch's files come in
// path order, so neighbours share their folders.
class WordCache {
 public:
  const std::vector<std::string>& operator()(std::string_view text) {
    if (!cut_ || text != text_) {
      text_.assign(text);
      words_ = index_words(text);
      cut_ = true;
    }
    return words_;
  }

 private:
  bool cut_ = false;
  std::string text_;
  std::vector<std::string> words_;
};

// An item's texts from `before` (nullopt: not indexed) to `now`.
// Words of the texts of items, cut once for neighbours with the same text.
struct ItemWords {
  WordCache name, path;
};

void update_item(const Txn& t, const Tables& db, ItemWords& words_of, WordWrites& out,
                 const std::optional<ItemText>& before, const std::optional<ItemText>& now) {
  if (!before && !now) return;
  const bool same_posting = before && now && before->key == now->key && before->rank_len == now->rank_len;
  if (same_posting) {
    out.change(words_of.name, Field::name, now->key, now->rank_len, before->name, now->name);
    out.change(words_of.path, Field::path, now->key, now->rank_len, before->path, now->path);
    return;
  }
  // The posting changes (the item comes, goes, or its name length moves):
  // every word of the item is rewritten, its note's too.
  for (const auto* side : {&before, &now}) {
    if (!*side) continue;
    const ItemText& it = **side;
    const bool put = side == &now;
    out.add(put, Field::name, words_of.name(it.name), it.key, it.rank_len);
    out.add(put, Field::path, words_of.path(it.path), it.key, it.rank_len);
    if (auto note = t.get(db.notes, note_key(it.key)))
      out.add(put, Field::notes, index_words(*note), it.key, it.rank_len);
  }
}

}  // namespace

void WordIndex::update_project(WriteTxn& t, const Project* before, const Project* now) const {
  ItemWords words_of;
  WordWrites out;
  update_item(t, db_, words_of, out, text_of(before), text_of(now));
  out.apply(t, db_.words);
}

void WordIndex::update_asset(WriteTxn& t, const Asset* before, const Asset* now) const {
  ItemWords words_of;
  WordWrites out;
  update_item(t, db_, words_of, out, text_of(before), text_of(now));
  out.apply(t, db_.words);
}

void WordIndex::update_assets(WriteTxn& t, std::span<const AssetChange> changes) const {
  ItemWords words_of;
  WordWrites out;
  for (const auto& [before, now] : changes) update_item(t, db_, words_of, out, text_of(before), text_of(&now));
  out.apply(t, db_.words);
}

namespace {
void update_text(WriteTxn& t, const Dbi& db, Field field, ItemKey item, std::uint16_t rank_len,
                 std::string_view before, std::string_view now) {
  if (before == now) return;
  WordCache words_of;
  WordWrites out;
  out.change(words_of, field, item, rank_len, before, now);
  out.apply(t, db);
}
}  // namespace

void WordIndex::update_note(WriteTxn& t, ItemKey item, std::uint16_t rank_len, std::string_view before,
                            std::string_view now) const {
  update_text(t, db_.words, Field::notes, item, rank_len, before, now);
}

void WordIndex::update_tag_name(WriteTxn& t, TagId tag, std::string_view before, std::string_view now) const {
  update_text(t, db_.words, Field::tag, tag, 0, before, now);
}

void WordIndex::update_collection_name(WriteTxn& t, CollectionId id, std::string_view before,
                                       std::string_view now) const {
  update_text(t, db_.words, Field::collection, id, 0, before, now);
}

// ---- rebuilding ------------------------------------------------------------

namespace {

// Every posting of the catalog, gathered in memory, then written in key
// order. Words are kept once each (most repeat across many items).
class PostingCollector {
 public:
  void add(Field field, std::string_view text, ItemKey item, std::uint16_t rank_len) {
    for (auto& w : index_words(text)) {
      std::string key;
      word_key(key, field, w);
      auto [it, fresh] = ids_.try_emplace(std::move(key), static_cast<std::uint32_t>(keys_.size()));
      if (fresh) keys_.push_back(&it->first);
      entries_.push_back({it->second, item, rank_len});
    }
  }

  void write(WriteTxn& t, const Dbi& db) {
    // Keys by byte order, then entries by key, then by item.
    std::vector<std::uint32_t> order(keys_.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return *keys_[a] < *keys_[b]; });
    std::vector<std::uint32_t> rank_of(order.size());
    for (std::uint32_t r = 0; r < order.size(); ++r) rank_of[order[r]] = r;
    std::sort(entries_.begin(), entries_.end(), [&](const Entry& a, const Entry& b) {
      if (a.word != b.word) return rank_of[a.word] < rank_of[b.word];
      return a.item != b.item ? a.item < b.item : a.rank_len < b.rank_len;
    });
    // A key's first value is appended after the last key (pages are filled
    // whole), its next ones after its last value.
    const std::string* last = nullptr;
    for (const Entry& e : entries_) {
      const auto v = encode_posting(e.item, e.rank_len);
      if (keys_[e.word] != last) t.put_sorted(db, *keys_[e.word], view(v));
      else t.put_dup_sorted(db, *keys_[e.word], view(v));
      last = keys_[e.word];
    }
  }

 private:
  struct Entry {
    std::uint32_t word;
    ItemKey item;
    std::uint16_t rank_len;
  };
  std::unordered_map<std::string, std::uint32_t> ids_;
  std::vector<const std::string*> keys_;  // by id (node addresses are stable)
  std::vector<Entry> entries_;
};

}  // namespace

void WordIndex::rebuild(WriteTxn& t) const {
  t.clear(db_.words);
  PostingCollector all;
  std::unordered_map<ItemKey, std::uint16_t> live;  // rank length of each live item, for its note
  t.scan_prefix(db_.projects, {}, [&](std::string_view k, std::string_view v) {
    if (auto p = decode_project(get_u64(k), v))
      if (auto it = text_of(&*p)) {
        all.add(Field::name, it->name, it->key, it->rank_len);
        live.emplace(it->key, it->rank_len);
      }
    return true;
  });
  t.scan_prefix(db_.assets, {}, [&](std::string_view k, std::string_view v) {
    if (auto a = decode_asset(get_u64(k), v))
      if (auto it = text_of(&*a)) {
        all.add(Field::name, it->name, it->key, it->rank_len);
        all.add(Field::path, it->path, it->key, it->rank_len);
        live.emplace(it->key, it->rank_len);
      }
    return true;
  });
  t.scan_prefix(db_.notes, {}, [&](std::string_view k, std::string_view v) {
    if (k.size() != 9 || (k[0] != schema::kNoteProject && k[0] != schema::kNoteAsset)) return true;
    const ItemKey item = k[0] == schema::kNoteAsset ? asset_key(get_u64(k, 1)) : project_key(get_u64(k, 1));
    if (auto it = live.find(item); it != live.end()) all.add(Field::notes, v, item, it->second);
    return true;
  });
  t.scan_prefix(db_.tags, {}, [&](std::string_view k, std::string_view v) {
    if (k.size() == 8) all.add(Field::tag, v, get_u64(k), 0);
    return true;
  });
  t.scan_prefix(db_.collections, {}, [&](std::string_view k, std::string_view v) {
    if (k.size() == 8)
      if (auto c = decode_collection(get_u64(k), v)) all.add(Field::collection, c->name, c->id, 0);
    return true;
  });
  all.write(t, db_.words);
}

// ---- reading it ------------------------------------------------------------

namespace {
// Calls fn(word, cursor) on every key of `words` the lookup matches (the
// word, or every word it begins when `prefix`), the cursor on that key,
// until fn returns false.
template <class Fn>
void each_matching_key(const Txn& t, const Dbi& words, Field field, std::string_view word, bool prefix, Fn&& fn) {
  std::string key;
  word_key(key, field, word);
  Cursor c(t, words);
  for (bool ok = c.seek(key); ok; ok = c.next_key()) {
    const std::string_view k = c.key();
    if (prefix ? !k.starts_with(key) : k != key) return;
    if (!fn(k.substr(1), c) || !prefix) return;
  }
}
}  // namespace

void WordIndex::lookup(const Txn& t, Field field, std::string_view word, bool prefix,
                       const std::function<bool(std::string_view, std::span<const Posting>)>& fn) const {
  // One buffer per thread, kept between calls (a large posting list costs
  // no allocation the second time); a lookup made from inside fn uses its own.
  thread_local std::vector<Posting> shared;
  thread_local bool shared_in_use = false;
  std::vector<Posting> own;
  const bool use_shared = !shared_in_use;
  std::vector<Posting>& buf = use_shared ? shared : own;
  struct Release {
    bool active;
    ~Release() {
      if (active) shared_in_use = false;
    }
  } release{use_shared};
  if (use_shared) shared_in_use = true;

  each_matching_key(t, db_.words, field, word, prefix, [&](std::string_view w, Cursor& c) {
    buf.clear();
    buf.reserve(c.value_count());
    for (auto page = c.first_values(); !page.empty(); page = c.next_values())
      for (std::size_t i = 0; i + kPostingBytes <= page.size(); i += kPostingBytes)
        buf.push_back(decode_posting(page.data() + i));
    return fn(w, std::span<const Posting>(buf));
  });
}

void WordIndex::lookup_pages(const Txn& t, Field field, std::string_view word, bool prefix,
                             const std::function<bool(std::string_view, std::string_view)>& fn) const {
  each_matching_key(t, db_.words, field, word, prefix, [&](std::string_view w, Cursor& c) {
    for (auto page = c.first_values(); !page.empty(); page = c.next_values())
      if (!fn(w, page.substr(0, page.size() - page.size() % kPostingBytes))) return false;
    return true;
  });
}

}  // namespace lima::index
