#include "http/search_results.h"

#include <cstdlib>

#include "http/api_error.h"
#include "http/views.h"
#include "index/saved_searches.h"
#include "index/search.h"

namespace lima::http {

using nlohmann::json;

namespace {

// The matching items, projects (by name) first, then assets (by id): the one
// call into the search engine.
index::SearchHits find(index::Catalog& c, const index::Txn& t, std::string_view query) {
  return index::search(c, t, query);
}

}  // namespace

void need_valid_query(std::string_view query) {
  std::size_t column = 0;
  if (auto ok = index::validate_query(query, &column); !ok) throw_invalid_query(ok.error().message, column);
}

json search_results_json(index::Catalog& c, const index::Txn& t, std::string_view query, const Page& pg,
                         std::string_view list) {
  need_valid_query(query);
  index::Metadata meta(c);
  const auto hits = find(c, t, query);
  // Cursor keys: "p<name>" for a project, "a<id>" for an asset.
  json items = json::array();
  std::optional<std::string> next;
  std::string last;
  auto full = [&] {
    if (items.size() < pg.limit) return false;
    next = make_cursor(list, last);
    return true;
  };
  bool stop = false;
  const bool after_projects = pg.has_cursor && pg.after.starts_with("a");
  for (const auto& p : hits.projects) {
    if (after_projects || (pg.has_cursor && "p" + p.name <= pg.after)) continue;
    if ((stop = full())) break;
    auto j = project_summary(t, meta, p);
    j["type"] = "project";
    items.push_back(std::move(j));
    last = "p" + p.name;
  }
  const auto after_id = after_projects ? std::strtoull(pg.after.c_str() + 1, nullptr, 10) : 0;
  for (const auto& a : hits.assets) {
    if (stop) break;
    if (a.id <= after_id) continue;
    if ((stop = full())) break;
    auto j = asset_json(t, c, a, false);
    j["type"] = "asset";
    items.push_back(std::move(j));
    last = "a" + std::to_string(a.id);
  }
  return {{"items", std::move(items)}, {"next_cursor", next ? json(*next) : json(nullptr)}};
}

}  // namespace lima::http
