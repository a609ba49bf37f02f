// Saved searches through the API: list, create, read, rename or change the
// query, delete, and the results of one, answered afresh on every read.
#include <cctype>

#include "http/input.h"
#include "http/search_results.h"
#include "http/write.h"
#include "index/names.h"
#include "index/records_json.h"
#include "index/saved_searches.h"

namespace lima::http {

using nlohmann::json;

namespace {

index::Catalog& cat(Call& c) { return *c.ctx.catalog; }

// A name as one path segment: every byte but unreserved ones percent-encoded.
std::string path_segment(std::string_view name) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : name) {
    if (std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(hex[ch >> 4]);
      out.push_back(hex[ch & 15]);
    }
  }
  return out;
}

json saved_json(const index::SavedSearch& s) {
  return {{"name", s.name}, {"query", s.query}, {"created", index::format_time(s.created_ns)}};
}

// The name of an existing saved search, from the path.
std::string lookup_name(std::string_view raw) {
  if (auto ok = index::validate_lookup_name(raw, "saved search"); !ok) throw to_api_error(ok.error());
  return std::string(raw);
}

// A name being created or renamed to: the whole naming rule.
std::string new_name(std::string_view raw) {
  if (auto ok = index::validate_name(raw, "saved search"); !ok) throw to_api_error(ok.error());
  return std::string(raw);
}

index::SavedSearch need_saved(Call& c, const index::Txn& t, const std::string& name) {
  auto s = index::SavedSearches(cat(c)).get(t, name);
  if (!s) throw_not_found("no saved search named '" + index::printable(name) + "'");
  return *s;
}

// Runs fn(txn, saved searches) -> Result<SavedSearch> in one write.
template <class Fn>
index::SavedSearch commit_saved(Call& c, Fn&& fn) {
  return commit(c, [&](index::WriteTxn& t, index::Metadata&) {
    index::SavedSearches saved(cat(c));
    return fn(t, saved);
  });
}

void list_searches(Call& c) {
  const auto pg = read_page(c.req, "searches");
  index::ReadTxn t(cat(c).env());
  auto found = index::SavedSearches(cat(c)).list(t, pg.has_cursor ? pg.after : std::string(), pg.limit + 1);
  json items = json::array();
  std::optional<std::string> next;
  for (std::size_t i = 0; i < found.size() && i < pg.limit; ++i) items.push_back(saved_json(found[i]));
  if (found.size() > pg.limit) next = make_cursor("searches", found[pg.limit - 1].name);
  reply(c.res, 200, {{"items", std::move(items)}, {"next_cursor", next ? json(*next) : json(nullptr)}});
}

void create_search(Call& c) {
  const auto body = json_object(c.body, {"name", "query"});
  const auto name = new_name(need_string(body, "name"));
  const auto query = need_string(body, "query");
  need_valid_query(query);
  const auto made = commit_saved(c, [&](index::WriteTxn& t, index::SavedSearches& s) { return s.create(t, name, query); });
  c.res.set_header("Location", "/api/v1/searches/" + path_segment(made.name));
  reply(c.res, 201, saved_json(made));
}

void get_search(Call& c) {
  const auto name = lookup_name(c.params[0]);
  index::ReadTxn t(cat(c).env());
  reply(c.res, 200, saved_json(need_saved(c, t, name)));
}

void patch_search(Call& c) {
  const auto from = lookup_name(c.params[0]);
  const auto body = json_object(c.body, {"name", "query"});
  const auto to = opt_string(body, "name");
  const auto query = opt_string(body, "query");
  if (!to && !query) throw_invalid("give 'name' (to rename), 'query' (to change the query) or both");
  if (to) new_name(*to);
  if (query) need_valid_query(*query);
  const auto now = commit_saved(c, [&](index::WriteTxn& t, index::SavedSearches& s) -> index::Result<index::SavedSearch> {
    index::Result<index::SavedSearch> r = query ? s.set_query(t, from, *query) : s.rename(t, from, from);
    if (r && to) r = s.rename(t, from, *to);
    return r;
  });
  reply(c.res, 200, saved_json(now));
}

void delete_search(Call& c) {
  const auto name = lookup_name(c.params[0]);
  commit(c, [&](index::WriteTxn& t, index::Metadata&) { return index::SavedSearches(cat(c)).remove(t, name); });
  c.res.status = 204;
}

void search_results(Call& c) {
  const auto name = lookup_name(c.params[0]);
  const auto pg = read_page(c.req, "saved-search");
  index::ReadTxn t(cat(c).env());
  const auto saved = need_saved(c, t, name);
  json out = search_results_json(cat(c), t, need_query(saved.query), {}, pg, "saved-search");
  out["name"] = saved.name;
  out["query"] = saved.query;
  reply(c.res, 200, out);
}

}  // namespace

void add_saved_search_routes(std::vector<Route>& out) {
  out.insert(out.end(), {
      {"GET", "/api/v1/searches", Body::none, list_searches},
      {"POST", "/api/v1/searches", Body::json, create_search},
      {"GET", "/api/v1/searches/{name}/results", Body::none, search_results},
      {"GET", "/api/v1/searches/{name}", Body::none, get_search},
      {"PATCH", "/api/v1/searches/{name}", Body::json, patch_search},
      {"DELETE", "/api/v1/searches/{name}", Body::none, delete_search},
  });
}

}  // namespace lima::http
