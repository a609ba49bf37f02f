// The results of a query of the search language as the API shows them: one
// page of matching projects (summaries) and assets, each marked with its
// "type". Serves every route that answers a query, so all of them agree.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "http/input.h"
#include "index/catalog.h"

namespace lima::http {

/// One page of what `query` finds in the snapshot `t`, best first:
/// {"items": [...], "next_cursor": ..., "total": N}, each item with "type"
/// and "matched" (the fields that matched), as GET /search shows them. Cursors are made for the list
/// named `list` (read_page() checks them). A query that does not parse
/// throws ApiError invalid_query (400) with its position.
nlohmann::json search_results_json(index::Catalog& c, const index::Txn& t, std::string_view query, const Page& page,
                                   std::string_view list);

/// Throws ApiError invalid_query (400) with the parser's message and its
/// 1-based column when `query` does not parse.
void need_valid_query(std::string_view query);

}  // namespace lima::http
