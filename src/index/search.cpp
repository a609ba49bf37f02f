#include "index/search.h"

#include <algorithm>
#include <chrono>

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

Result<SearchPage> Search::run(const Txn& t, const SearchRequest& r) const {
  std::optional<Rank> after;
  if (!r.after.empty()) {
    after = decode_cursor(r.after);
    if (!after) return fail(Errc::invalid_argument, "not a cursor of a search");
  }
  Evaluator ev(c_, t);
  const auto& filter = ev.filter();
  Matches all;

  if (selects(q_.root)) {
    all = ev.eval(q_.root);
    std::erase_if(all, [&](Match& m) {
      if (!in_scope(m.item, r)) return true;
      if (m.len_known && r.project == 0) return false;
      // Sets read from tags, collections, kinds and extensions may hold
      // tombstones and do not know the name: read the item.
      const auto f = filter.facts(m.item);
      if (!f.live) return true;
      if (r.project != 0 && f.asset && f.asset->project != r.project) return true;
      m.rank_len = static_cast<std::uint16_t>(std::min<std::size_t>(f.name.size(), 0xffff));
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
  // (score, length), reading names only for the groups the page needs.
  std::sort(all.begin(), all.end(), [](const Match& a, const Match& b) {
    return std::tie(a.score, a.rank_len, a.item) < std::tie(b.score, b.rank_len, b.item);
  });
  std::size_t i = 0;
  if (after) {
    i = static_cast<std::size_t>(std::lower_bound(all.begin(), all.end(), after->key3(), [](const Match& m, auto k) {
                                   return std::tuple(m.score, m.rank_len) < k;
                                 }) - all.begin());
  }
  const std::size_t want = r.limit == 0 ? all.size() : r.limit;
  bool more = false;
  while (i < all.size() && !more) {
    std::size_t j = i;
    while (j < all.size() && all[j].score == all[i].score && all[j].rank_len == all[i].rank_len) ++j;
    std::vector<SearchHit> group;
    group.reserve(j - i);
    for (std::size_t k = i; k < j; ++k)
      group.push_back(SearchHit{all[k].item, all[k].score, all[k].fields, filter.facts(all[k].item).name});
    std::sort(group.begin(), group.end(), [](const SearchHit& a, const SearchHit& b) {
      return std::tie(a.name, a.item) < std::tie(b.name, b.item);
    });
    for (auto& h : group) {
      if (after && !(*after < Rank{h.score, static_cast<std::uint16_t>(h.name.size()), h.name, h.item})) continue;
      if (page.hits.size() == want) {
        more = true;  // a hit ranks after the page's last
        break;
      }
      page.hits.push_back(std::move(h));
    }
    i = j;
    if (page.hits.size() == want && i < all.size()) more = true;
  }
  if (more && r.limit != 0 && !page.hits.empty()) page.next = encode_cursor(page.hits.back());
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
