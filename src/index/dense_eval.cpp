#include "index/dense_eval.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <optional>
#include <span>
#include <string>

#include "index/item_filter.h"
#include "index/key_codec.h"
#include "index/metadata.h"

namespace lima::index {

namespace {

// read_posting(), the item only, as one load.
ItemKey posting_item(const char* p) {
  std::uint64_t item;
  std::memcpy(&item, p, 8);
  if constexpr (std::endian::native == std::endian::little) item = __builtin_bswap64(item);
  return item;
}

std::uint16_t posting_length(const char* p) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(p[8]) << 8 | static_cast<unsigned char>(p[9]));
}

}  // namespace

DenseShape dense_shape(Catalog& c, const Txn& t) {
  DenseShape s;
  Cursor projects(t, c.db().projects);
  if (projects.last() && projects.key().size() == 8) s.projects = get_u64(projects.key()) + 1;
  Cursor assets(t, c.db().assets);
  if (assets.last() && assets.key().size() == 8) s.assets = get_u64(assets.key()) + 1;
  return s;
}

std::size_t rough_size(Catalog& c, const Txn& t, const QueryNode& n, std::size_t enough) {
  using Op = QueryNode::Op;
  if (n.op == Op::type || n.op == Op::ext) return enough;
  std::size_t sum = 0;
  if (n.op == Op::words) {
    static constexpr Field kAny[] = {Field::name, Field::path, Field::notes};
    const std::span<const Field> fields =
        n.field == Field::any ? std::span<const Field>(kAny) : std::span<const Field>(&n.field, 1);
    for (Field f : fields) {
      if (f != Field::name && f != Field::path && f != Field::notes) continue;
      for (std::size_t w = 0; w < n.words.size(); ++w) {
        const bool prefix = n.last_prefix && w + 1 == n.words.size();
        std::string key(1, static_cast<char>(f));
        key += n.words[w];
        Cursor cur(t, c.db().words);
        for (bool ok = cur.seek(key); ok && sum < enough; ok = cur.next_key()) {
          if (prefix ? !cur.key().starts_with(key) : cur.key() != key) break;
          sum += cur.value_count();
          if (!prefix) break;
        }
        if (sum >= enough) return enough;
      }
    }
  }
  for (const auto& k : n.kids) {
    sum += rough_size(c, t, k, enough - sum);
    if (sum >= enough) return enough;
  }
  return sum;
}

std::uint32_t highest_score(const QueryNode& n) {
  std::uint32_t sum = static_cast<std::uint32_t>(n.words.size()) * (5 + kPrefixPenalty);
  for (const auto& k : n.kids) sum += highest_score(k);
  return sum;
}

std::optional<std::string_view> ItemRecords::get(ItemKey item) {
  const auto key = key_u64(id_of(item));
  Cursor& c = is_asset(item) ? assets_ : projects_;
  if (!c.seek(key) || c.key() != key) return std::nullopt;
  return c.value();
}

std::optional<std::string_view> ItemRecords::live_name(ItemKey item) {
  const auto v = get(item);
  if (!v) return std::nullopt;
  return is_asset(item) ? live_asset_name(*v) : live_project_name(*v);
}

DenseEvaluator::DenseEvaluator(Catalog& c, const Txn& t, const DenseShape& s)
    : c_(c), t_(t), shape_(s), reader_(c, t), words_(c.db()), lengths_(s.size()), records_(c, t) {}

void DenseEvaluator::eval(const QueryNode& n, DenseSet& out) {
  using Op = QueryNode::Op;
  switch (n.op) {
    case Op::words: words(n, out); return;
    case Op::type:
    case Op::ext: {
      const auto prefix = n.op == Op::type ? Catalog::kind_prefix(n.kind) : Catalog::ext_prefix(n.text);
      Cursor cur(t_, n.op == Op::type ? c_.db().kind_assets : c_.db().ext_assets);
      for (bool ok = cur.seek(prefix); ok && cur.key().starts_with(prefix); ok = cur.next()) {
        if (cur.key().size() != prefix.size() + 8) continue;
        const auto i = shape_.index(asset_key(get_u64(cur.key(), prefix.size())));
        if (i < out.size()) out.add(i, 0, 0);
      }
      return;
    }
    case Op::any_of: {
      std::optional<DenseSet> kid;
      for (const auto& k : n.kids) {
        if (!kid) kid.emplace(shape_);
        else kid->clear();
        eval(k, *kid);
        out.unite(*kid);
      }
      return;
    }
    case Op::all_of: all_of(n, out); return;
    default: return;
  }
}

void DenseEvaluator::all_of(const QueryNode& n, DenseSet& out) {
  std::vector<const QueryNode*> checks;
  std::vector<const QueryNode*> excluded;
  std::optional<DenseSet> kid;
  bool first = true;
  for (const auto& k : n.kids) {
    if (selects(k)) {
      if (first) {
        eval(k, out);
        first = false;
      } else {
        if (!kid) kid.emplace(shape_);
        else kid->clear();
        eval(k, *kid);
        out.intersect(*kid);
      }
    } else if (k.op == QueryNode::Op::none_of && !k.kids.empty() && selects(k.kids[0])) {
      excluded.push_back(&k.kids[0]);
    } else {
      checks.push_back(&k);
    }
  }
  if (first) return;
  // Exclusions that select a set of their own are subtracted; the rest are
  // checked item by item.
  for (const auto* x : excluded) {
    if (x->op == QueryNode::Op::words && x->words.size() == 1) {
      // One word: its items leave as their postings are read.
      exclude_word(*x, out);
      continue;
    }
    if (!kid) kid.emplace(shape_);
    else kid->clear();
    eval(*x, *kid);
    out.subtract(*kid);
  }
  if (checks.empty()) return;
  ItemFilter filter(c_, t_);
  out.for_each_block([&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      if (!present(out[i])) continue;
      const auto f = filter.facts(shape_.item(i));
      if (!std::all_of(checks.begin(), checks.end(), [&](const QueryNode* c) { return filter.matches(*c, f); }))
        out.remove(i);
    }
  });
}

void DenseEvaluator::postings(Field f, std::string_view word, bool prefix, DenseSet& out) {
  const auto bit = field_bit(f);
  const auto rank = static_cast<std::uint8_t>(field_rank(f));
  const std::size_t n = out.size();
  words_.lookup_pages(t_, f, word, prefix, [&](std::string_view found, std::string_view bytes) {
    const auto score = static_cast<std::uint8_t>(found == word ? rank : rank + kPrefixPenalty);
    for (std::size_t at = 0; at < bytes.size(); at += kPostingBytes) {
      const char* p = bytes.data() + at;
      const auto i = shape_.index(posting_item(p));
      if (i >= n) continue;
      out.add(i, score, bit);
      lengths_.set(i, posting_length(p));
    }
    return true;
  });
}

void DenseEvaluator::exclude_word(const QueryNode& n, DenseSet& out) {
  static constexpr Field kAny[] = {Field::name, Field::tag, Field::path, Field::notes};
  const std::span<const Field> fields =
      n.field == Field::any ? std::span<const Field>(kAny) : std::span<const Field>(&n.field, 1);
  for (Field f : fields) {
    if (f == Field::tag || f == Field::collection || f == Field::project) {
      Matches m = f == Field::tag ? reader_.tagged(n) : f == Field::collection ? reader_.in_collections(n)
                                                                              : reader_.in_projects(n);
      for (const auto& x : m)
        if (const auto i = shape_.index(x.item); i < out.size()) out.remove(i);
      continue;
    }
    words_.lookup_pages(t_, f, n.words[0], n.last_prefix, [&](std::string_view, std::string_view bytes) {
      for (std::size_t at = 0; at < bytes.size(); at += kPostingBytes)
        if (const auto i = shape_.index(posting_item(bytes.data() + at)); i < out.size()) out.remove(i);
      return true;
    });
  }
}

void DenseEvaluator::words(const QueryNode& n, DenseSet& out) {
  if (n.field != Field::any) return words_in(n.field, n, out);
  for (Field f : {Field::name, Field::tag, Field::path, Field::notes}) words_in(f, n, out);
}

// Adds to `out` the items whose field `f` holds the node's words.
void DenseEvaluator::words_in(Field f, const QueryNode& n, DenseSet& out) {
  if (n.words.empty()) return;
  if (f == Field::tag || f == Field::collection || f == Field::project) {
    // Small sets: read as match sets, then marked.
    Matches m = f == Field::tag ? reader_.tagged(n) : f == Field::collection ? reader_.in_collections(n)
                                                                            : reader_.in_projects(n);
    for (const auto& x : m) {
      const auto i = shape_.index(x.item);
      if (i < out.size()) out.add(i, static_cast<std::uint8_t>(x.score), x.fields);
    }
    return;
  }
  if (n.words.size() == 1) return postings(f, n.words[0], n.last_prefix, out);
  // A phrase: every word in the field, then checked against its text.
  DenseSet all(shape_), one(shape_);
  for (std::size_t w = 0; w < n.words.size(); ++w) {
    const bool prefix = n.last_prefix && w + 1 == n.words.size();
    if (w == 0) {
      postings(f, n.words[w], prefix, all);
      continue;
    }
    one.clear();
    postings(f, n.words[w], prefix, one);
    all.intersect(one);
  }
  all.for_each_block([&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i)
      if (present(all[i]) && !phrase_in(f, shape_.item(i), n)) all.remove(i);
  });
  out.unite(all);
}

std::optional<std::string_view> DenseEvaluator::name_read(ItemKey item) {
  if (!names_sorted_) {
    std::sort(names_.begin(), names_.end());
    names_sorted_ = true;
  }
  const auto it = std::lower_bound(names_.begin(), names_.end(), item,
                                   [](const auto& e, ItemKey k) { return e.first < k; });
  if (it == names_.end() || it->first != item) return std::nullopt;
  return it->second;
}

bool DenseEvaluator::phrase_in(Field f, ItemKey item, const QueryNode& n) {
  const bool asset = is_asset(item);
  if (f == Field::name) {
    // The name, read in place from the record.
    const auto name = records_.live_name(item);
    if (!name || !holds_phrase(*name, n.words, n.last_prefix)) return false;
    // Kept: the page's hits are likely among them, and need their names.
    if (!names_.empty() && names_.back().first >= item) names_sorted_ = false;
    names_.emplace_back(item, *name);
    return true;
  }
  if (f == Field::notes) {
    Metadata meta(c_);
    const auto note =
        meta.note(t_, NoteTarget{asset ? NoteTarget::Type::asset : NoteTarget::Type::project, id_of(item)});
    return holds_phrase(note, n.words, n.last_prefix);
  }
  if (!asset) return false;  // a project has no folders
  const auto a = c_.asset(t_, id_of(item));
  return a && holds_phrase(folder_of(a->path), n.words, n.last_prefix);
}

}  // namespace lima::index
