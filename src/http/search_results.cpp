#include "http/search_results.h"

#include <chrono>

#include "http/api_error.h"
#include "http/views.h"
#include "index/search.h"

namespace lima::http {

using nlohmann::json;

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

index::Query need_query(std::string_view query, std::string_view field) {
  auto q = index::parse_query(query, now_ns());
  if (!q)
    throw_invalid_query(field.empty() ? q.error().message : std::string(field) + ": " + q.error().message,
                        q.error().column);
  return std::move(*q);
}

void need_valid_query(std::string_view query) { need_query(query); }

json search_results_json(index::Catalog& c, const index::Txn& t, index::Query query, index::SearchRequest r,
                         const Page& pg, std::string_view list) {
  r.limit = pg.limit;
  r.after = pg.after;
  const auto found = index::Search(c, std::move(query)).run(t, r);
  if (!found) throw_invalid("parameter 'cursor' is not a cursor of this list (pass back the next_cursor of a page)");
  index::Metadata meta(c);
  json items = json::array();
  for (const auto& hit : found->hits) {
    json j;
    if (index::is_asset(hit.item)) {
      auto a = c.asset(t, index::id_of(hit.item));
      if (!a) continue;
      j = asset_json(t, c, *a, false);
      j["type"] = "asset";
    } else {
      auto p = c.project(t, index::id_of(hit.item));
      if (!p) continue;
      j = project_summary(t, meta, *p);
      j["type"] = "project";
    }
    j["matched"] = index::matched_field_names(hit.fields);
    items.push_back(std::move(j));
  }
  std::optional<std::string> next;
  if (found->next) next = make_cursor(list, *found->next);
  return {{"items", std::move(items)}, {"next_cursor", next ? json(*next) : json(nullptr)}, {"total", found->total}};
}

}  // namespace lima::http
