#include "index/saved_searches.h"

#include <chrono>

#include "index/key_codec.h"
#include "index/names.h"
#include "index/query.h"
#include "index/schema.h"

namespace lima::index {

namespace {

std::int64_t wall_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string in_quotes(std::string_view name) { return "'" + printable(name) + "'"; }

}  // namespace

std::string encode(const SavedSearch& s) {
  ValueWriter w;
  w.u8(schema::kSavedSearchFormat).str(s.query).i64(s.created_ns);
  return w.take();
}

std::optional<SavedSearch> decode_saved_search(std::string_view name, std::string_view v) {
  ValueReader r(v);
  if (r.u8() != schema::kSavedSearchFormat) return std::nullopt;
  SavedSearch s;
  s.name = std::string(name);
  s.query = r.str();
  s.created_ns = r.i64();
  if (!r.ok()) return std::nullopt;
  return s;
}

Result<void> validate_query(std::string_view text, std::size_t* column) {
  auto q = parse_query(text, wall_now_ns());
  if (q) return {};
  if (column) *column = q.error().column;
  return fail(Errc::invalid_argument, q.error().message);
}

std::vector<SavedSearch> SavedSearches::list(const Txn& t, std::string_view after, std::size_t limit) const {
  std::vector<SavedSearch> out;
  Cursor cur(t, db_.saved_searches);
  for (bool ok = after.empty() ? cur.first() : cur.seek(after); ok; ok = cur.next()) {
    if (!after.empty() && cur.key() == after) continue;
    if (auto s = decode_saved_search(cur.key(), cur.value())) out.push_back(std::move(*s));
    if (limit && out.size() >= limit) break;
  }
  return out;
}

std::optional<SavedSearch> SavedSearches::get(const Txn& t, std::string_view name) const {
  if (name.empty()) return std::nullopt;
  auto v = t.get(db_.saved_searches, name);
  if (!v) return std::nullopt;
  return decode_saved_search(name, *v);
}

Result<SavedSearch> SavedSearches::need(const Txn& t, std::string_view name) const {
  if (auto v = validate_lookup_name(name, "saved search"); !v) return tl::unexpected(v.error());
  auto s = get(t, name);
  if (!s) return fail(Errc::not_found, "no saved search named " + in_quotes(name));
  return *s;
}

void SavedSearches::put(WriteTxn& t, const SavedSearch& s) {
  t.put(db_.saved_searches, s.name, encode(s));
  c_.changes().saved_searches = true;
}

Result<SavedSearch> SavedSearches::create(WriteTxn& t, std::string_view name, std::string_view query) {
  return put_new(t, SavedSearch{std::string(name), std::string(query), wall_now_ns()});
}

Result<SavedSearch> SavedSearches::put_new(WriteTxn& t, const SavedSearch& s) {
  if (auto v = validate_name(s.name, "saved search"); !v) return tl::unexpected(v.error());
  if (auto v = validate_query(s.query); !v) return tl::unexpected(v.error());
  if (t.get(db_.saved_searches, s.name))
    return fail(Errc::conflict, "a saved search named " + in_quotes(s.name) + " exists already");
  put(t, s);
  return s;
}

Result<SavedSearch> SavedSearches::rename(WriteTxn& t, std::string_view from, std::string_view to) {
  auto s = need(t, from);
  if (!s) return s;
  if (from == to) return s;
  if (auto v = validate_name(to, "saved search"); !v) return tl::unexpected(v.error());
  if (t.get(db_.saved_searches, to))
    return fail(Errc::conflict, "a saved search named " + in_quotes(to) + " exists already");
  t.del(db_.saved_searches, from);
  s->name = std::string(to);
  put(t, *s);
  return s;
}

Result<SavedSearch> SavedSearches::set_query(WriteTxn& t, std::string_view name, std::string_view query) {
  auto s = need(t, name);
  if (!s) return s;
  if (auto v = validate_query(query); !v) return tl::unexpected(v.error());
  s->query = std::string(query);
  put(t, *s);
  return s;
}

Result<void> SavedSearches::remove(WriteTxn& t, std::string_view name) {
  auto s = need(t, name);
  if (!s) return tl::unexpected(s.error());
  t.del(db_.saved_searches, name);
  c_.changes().saved_searches = true;
  return {};
}

}  // namespace lima::index
