#include "index/search.h"

#include <algorithm>
#include <array>
#include <chrono>

#include "index/dense_eval.h"
#include "index/item_filter.h"
#include "index/key_codec.h"
#include "index/match_sets.h"

namespace lima::index {

std::vector<std::string_view> matched_field_names(FieldSet s) {
  static constexpr Field kOrder[] = {Field::name, Field::tag, Field::collection, Field::project, Field::path, Field::notes};
  std::vector<std::string_view> out;
  for (Field f : kOrder)
    if (s & field_bit(f)) out.push_back(to_string(f));
  return out;
}

namespace {

// Items after `b` in `a` (both sorted).
Matches without(const Matches& a, const Matches& b) {
  Matches out;
  out.reserve(a.size());
  std::size_t j = 0;
  for (const auto& m : a) {
    while (j < b.size() && b[j].item < m.item) ++j;
    if (j < b.size() && b[j].item == m.item) continue;
    out.push_back(m);
  }
  return out;
}

// Answers a query tree as a match set (selects(n) must hold).
class Evaluator {
 public:
  Evaluator(Catalog& c, const Txn& t) : reader_(c, t), filter_(c, t) {}

  Matches eval(const QueryNode& n) const {
    using Op = QueryNode::Op;
    switch (n.op) {
      case Op::words: return reader_.words(n);
      case Op::type: return reader_.kind(n.kind);
      case Op::ext: return reader_.extension(n.text);
      case Op::any_of: {
        Matches out;
        for (const auto& k : n.kids) out = out.empty() ? eval(k) : unite(out, eval(k));
        return out;
      }
      case Op::all_of: return all_of(n);
      default: return {};
    }
  }

  const ItemFilter& filter() const { return filter_; }

 private:
  Matches all_of(const QueryNode& n) const {
    std::vector<const QueryNode*> checks;
    std::vector<const QueryNode*> excluded;
    std::optional<Matches> out;
    for (const auto& k : n.kids) {
      if (selects(k)) {
        auto m = eval(k);
        out = out ? intersect(*out, m) : std::move(m);
        if (out->empty()) return {};
      } else if (k.op == QueryNode::Op::none_of && !k.kids.empty() && selects(k.kids[0])) {
        excluded.push_back(&k.kids[0]);
      } else {
        checks.push_back(&k);
      }
    }
    if (!out) return {};
    // Exclusions that select a set of their own are subtracted; the rest
    // are checked item by item.
    for (const auto* x : excluded) {
      *out = without(*out, eval(*x));
      if (out->empty()) return {};
    }
    if (!checks.empty())
      std::erase_if(*out, [&](const Match& m) {
        const auto f = filter_.facts(m.item);
        return !std::all_of(checks.begin(), checks.end(), [&](const QueryNode* c) { return filter_.matches(*c, f); });
      });
    return std::move(*out);
  }

  MatchReader reader_;
  ItemFilter filter_;
};

// The cursor: the last hit's rank (score, name length, name, item).
struct Rank {
  std::uint32_t score = 0;
  std::uint16_t len = 0;
  std::string_view name;
  ItemKey item = 0;
  auto key3() const { return std::tuple(score, len); }
  bool operator<(const Rank& o) const { return std::tie(score, len, name, item) < std::tie(o.score, o.len, o.name, o.item); }
};

std::string encode_cursor(const SearchHit& h) {
  std::string out;
  put_u32(out, h.score);
  put_u32(out, static_cast<std::uint32_t>(h.name.size()));
  put_u64(out, h.item);
  out += h.name;
  return out;
}

std::optional<Rank> decode_cursor(std::string_view s) {
  if (s.size() < 16) return std::nullopt;
  Rank r;
  r.score = get_u32(s, 0);
  const auto len = get_u32(s, 4);
  r.item = get_u64(s, 8);
  r.name = s.substr(16);
  if (len != r.name.size() || len > 0xffff) return std::nullopt;
  r.len = static_cast<std::uint16_t>(len);
  return r;
}

bool in_scope(ItemKey item, const SearchRequest& r) {
  if (r.scope == Scope::projects && is_asset(item)) return false;
  if (r.scope == Scope::assets && !is_asset(item)) return false;
  if (r.project != 0 && !is_asset(item)) return false;
  return !r.keep || r.keep(item);
}

}  // namespace

namespace {

// The most cells a dense set may have (two bytes each): beyond, ids are too
// spread out and the search merges lists instead.
constexpr std::size_t kDenseMaxCells = std::size_t{8} << 20;
// Below about this many postings, merging sorted lists costs less than
// sweeps over every block of a dense set.
constexpr std::size_t kDenseMinPostings = 32768;

// Reads a live item's name length, checking that an asset is in the
// request's project; false when the item does not count.
bool read_length(ItemRecords& records, const SearchRequest& r, ItemKey item, std::uint16_t& len) {
  std::optional<std::string_view> name;
  if (is_asset(item)) {
    auto v = records.get(item);
    if (!v) return false;
    if (r.project != 0 && (v->size() < 9 || get_u64(*v, 1) != r.project)) return false;
    name = live_asset_name(*v);
  } else if (auto v = records.get(item)) {
    name = live_project_name(*v);
  }
  if (!name) return false;
  len = rank_length(*name);
  return true;
}

// The page from `all`: the candidates, sorted by (score, length, item),
// holding every item ranked before the last of them (whole groups of equal
// score and length). `unread`: other items rank after them. Names are read
// for the candidates only, to order each group.
template <class NameOf>
void fill_page(NameOf&& name_of, const SearchRequest& r, const std::optional<Rank>& after, const Matches& all,
               bool unread, SearchPage& page) {
  const std::size_t want = r.limit == 0 ? all.size() : r.limit;
  std::size_t i = 0;
  bool more = false;
  std::vector<std::pair<std::string_view, const Match*>> group;
  while (i < all.size() && !more) {
    std::size_t j = i;
    while (j < all.size() && all[j].score == all[i].score && all[j].rank_len == all[i].rank_len) ++j;
    group.clear();
    for (std::size_t k = i; k < j; ++k) {
      const std::string_view name = name_of(all[k].item);
      if (after && !(*after < Rank{all[k].score, all[k].rank_len, name, all[k].item})) continue;
      group.emplace_back(name, &all[k]);
    }
    // Only the group's first hits the page has room for are put in order
    // (and one more, which says that more follow).
    const auto by_name = [](const auto& a, const auto& b) {
      return std::tie(a.first, a.second->item) < std::tie(b.first, b.second->item);
    };
    const std::size_t room = want - page.hits.size();
    if (group.size() > room + 1) {
      std::partial_sort(group.begin(), group.begin() + static_cast<std::ptrdiff_t>(room + 1), group.end(), by_name);
      group.resize(room + 1);
    } else {
      std::sort(group.begin(), group.end(), by_name);
    }
    for (const auto& [name, m] : group) {
      if (page.hits.size() == want) {
        more = true;  // a hit ranks after the page's last
        break;
      }
      page.hits.push_back(SearchHit{m->item, m->score, m->fields, std::string(name)});
    }
    i = j;
    if (page.hits.size() == want && i < all.size()) more = true;
  }
  more = more || (unread && page.hits.size() == want);
  if (more && r.limit != 0 && !page.hits.empty()) page.next = encode_cursor(page.hits.back());
}

}  // namespace

Result<SearchPage> Search::run(const Txn& t, const SearchRequest& r) const {
  if (!selects(q_.root) || rough_size(c_, t, q_.root, kDenseMinPostings) < kDenseMinPostings)
    return run_merged(t, r);
  return run_dense(t, r);
}

Result<SearchPage> Search::run_dense(const Txn& t, const SearchRequest& r) const {
  if (!selects(q_.root) || highest_score(q_.root) > kDenseMaxScore) return run_merged(t, r);
  const DenseShape shape = dense_shape(c_, t);
  if (shape.size() > kDenseMaxCells) return run_merged(t, r);
  std::optional<Rank> after;
  if (!r.after.empty()) {
    after = decode_cursor(r.after);
    if (!after) return fail(Errc::invalid_argument, "not a cursor of a search");
  }
  DenseEvaluator ev(c_, t, shape);
  DenseSet all(shape);
  ev.eval(q_.root, all);
  auto& lens = ev.lengths();
  ItemRecords records(c_, t);

  // One sweep: what counts (in scope, live: postings hold live items only,
  // the other tables' items are read), and how many items after the cursor
  // have each (score, length): lengths past 254 share a bucket, and scores
  // past 62 all share the last one (the buckets keep the rank order).
  SearchPage page;
  constexpr std::size_t kScores = 64, kLengths = 256;
  auto bucket = [](unsigned score, std::uint16_t len) -> std::size_t {
    const std::size_t b = std::size_t{score} * kLengths + std::min<std::size_t>(len, kLengths - 1);
    return score >= kScores - 1 ? kScores * kLengths - 1 : b;
  };
  // One more bucket, for the cells not in the set: the common case below
  // counts without a branch per cell.
  constexpr std::size_t kNone = kScores * kLengths;
  std::vector<std::uint32_t> by_key(kNone + 1);
  std::size_t rankable = 0, cursor_group = 0;
  // What only some items pass: a scope, a project, the caller's filter;
  // and a cursor, before which items count but do not rank.
  const bool checked = r.scope != Scope::all || r.project != 0 || r.keep || after;
  all.for_each_block([&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const Cell cell = all[i];
      const unsigned score = score_of(cell);
      std::uint16_t len = lens[i];
      const bool here = score != kAbsent;
      if (!(here & (checked | (len == kUnknownLength)))) {
        // Live (postings hold live items only), its length known.
        ++by_key[here ? bucket(score, len) : kNone];
        continue;
      }
      const ItemKey item = shape.item(i);
      if ((checked && !in_scope(item, r)) ||
          ((len == kUnknownLength || r.project != 0) && !read_length(records, r, item, len))) {
        all.remove(i);
        continue;
      }
      lens.set(i, len);
      if (after) {
        const auto k = std::tuple(std::uint32_t{score}, len);
        if (k < after->key3()) {
          ++page.total;
          all.remove(i);  // ranked before the cursor
          continue;
        }
        if (k == after->key3()) ++cursor_group;
      }
      ++by_key[bucket(score, len)];
    }
  });
  for (std::size_t b = 0; b < kNone; ++b) rankable += by_key[b];
  page.total += rankable;

  // The candidates: the cursor's group, then `limit` more items, in whole
  // buckets (whole groups of equal score and length).
  const std::size_t need = r.limit == 0 ? rankable : r.limit + cursor_group;
  std::size_t edge = kNone - 1;
  if (need < rankable) {
    std::size_t below = 0;
    edge = 0;
    while (below + by_key[edge] < need) below += by_key[edge++];
  }
  Matches candidates;
  all.for_each_block([&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const Cell cell = all[i];
      if ((bucket(score_of(cell), lens[i]) <= edge) & present(cell))
        candidates.push_back(Match{shape.item(i), score_of(cell), fields_of(cell), lens[i], true});
    }
  });
  std::sort(candidates.begin(), candidates.end(), [](const Match& a, const Match& b) {
    return std::tie(a.score, a.rank_len, a.item) < std::tie(b.score, b.rank_len, b.item);
  });
  auto name_of = [&](ItemKey item) {
    if (auto known = ev.name_read(item)) return *known;
    return records.live_name(item).value_or("");
  };
  fill_page(name_of, r, after, candidates, candidates.size() < rankable, page);
  return page;
}

Result<SearchPage> Search::run_merged(const Txn& t, const SearchRequest& r) const {
  std::optional<Rank> after;
  if (!r.after.empty()) {
    after = decode_cursor(r.after);
    if (!after) return fail(Errc::invalid_argument, "not a cursor of a search");
  }
  Evaluator ev(c_, t);
  const auto& filter = ev.filter();
  ItemRecords records(c_, t);
  Matches all;

  if (selects(q_.root)) {
    all = ev.eval(q_.root);
    std::erase_if(all, [&](Match& m) {
      if (!in_scope(m.item, r)) return true;
      if (m.len_known && r.project == 0) return false;
      // Sets read from tags, collections, kinds and extensions may hold
      // tombstones and do not know the name: read it in place.
      if (!read_length(records, r, m.item, m.rank_len)) return true;
      m.len_known = true;
      return false;
    });
  } else {
    // Only filters: every live item is a candidate (a walk of the index).
    auto consider = [&](ItemKey item) {
      if (!in_scope(item, r)) return;
      const auto f = filter.facts(item);
      if (!f.live || (r.project != 0 && f.asset && f.asset->project != r.project)) return;
      if (!filter.matches(q_.root, f)) return;
      all.push_back(Match{item, 0, 0, static_cast<std::uint16_t>(std::min<std::size_t>(f.name.size(), 0xffff)), true});
    };
    if (r.scope != Scope::assets && r.project == 0)
      for (const auto& p : c_.projects(t)) consider(item_key(p));
    if (r.scope != Scope::projects) c_.for_each_asset(t, [&](const Asset& a) {
      if (a.state == ItemState::live) consider(item_key(a));
    });
  }

  SearchPage page;
  page.total = all.size();
  // Rank by (score, name length), then by name within each group of equal
  // (score, length). Only the groups the page needs are sorted, and only
  // their names read: the cursor's own group, and the best of the rest
  // up to the page's size (with the whole group the last of them is in).
  auto key3 = [](const Match& m) { return std::tuple(m.score, m.rank_len); };
  auto by_key = [](const Match& a, const Match& b) {
    return std::tie(a.score, a.rank_len, a.item) < std::tie(b.score, b.rank_len, b.item);
  };
  if (after) std::erase_if(all, [&](const Match& m) { return key3(m) < after->key3(); });
  const std::size_t want = r.limit == 0 ? all.size() : r.limit;
  // The cursor's group first (some of it lies before the cursor).
  const auto rest = std::partition(all.begin(), all.end(), [&](const Match& m) { return after && key3(m) == after->key3(); });
  bool unread = false;  // candidates left out below: more pages follow
  if (static_cast<std::size_t>(all.end() - rest) > want && want > 0) {
    std::nth_element(rest, rest + static_cast<std::ptrdiff_t>(want - 1), all.end(), by_key);
    const auto edge = key3(*(rest + static_cast<std::ptrdiff_t>(want - 1)));
    const auto kept = std::partition(rest + static_cast<std::ptrdiff_t>(want), all.end(),
                                     [&](const Match& m) { return key3(m) == edge; });
    unread = kept != all.end();
    all.erase(kept, all.end());
  }
  std::sort(all.begin(), all.end(), by_key);
  fill_page([&](ItemKey item) { return records.live_name(item).value_or(""); }, r, after, all, unread, page);
  return page;
}


bool Search::matches(const Txn& t, ItemKey item) const {
  ItemFilter filter(c_, t);
  return filter.matches(q_.root, filter.facts(item));
}

Result<SearchPage> search(Catalog& c, const Txn& t, std::string_view text, const SearchRequest& r) {
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  auto q = parse_query(text, now);
  if (!q) return fail(Errc::invalid_argument, q.error().message);
  return Search(c, std::move(*q)).run(t, r);
}

}  // namespace lima::index
