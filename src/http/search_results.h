// The results of a query of the search language as the API shows them: one
// page of matching projects (summaries) and assets, each marked with its
// "type". Serves every route that answers a query, so all of them agree.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "http/input.h"
#include "index/catalog.h"
#include "index/search.h"

namespace lima::http {

/// One page of what `query` finds in the snapshot `t`, best first:
/// {"items": [...], "next_cursor": ..., "total": N}, each item with "type"
/// and "matched" (the fields that matched), as GET /search shows them. Cursors are made for the list
/// named `list` (read_page() checks them). A query that does not parse
/// throws ApiError invalid_query (400) with its position.
/// `r` narrows the search (scope, other filters); its limit and cursor
/// come from `page`.
nlohmann::json search_results_json(index::Catalog& c, const index::Txn& t, index::Query query, index::SearchRequest r,
                                   const Page& page, std::string_view list);

/// `query` parsed; throws ApiError invalid_query (400) with the parser's
/// message and its 1-based column when it does not parse. `field` names
/// where the query came from in the message ("parameter 'q'").
index::Query need_query(std::string_view query, std::string_view field = {});

/// Throws as need_query() does when `query` does not parse.
void need_valid_query(std::string_view query);

}  // namespace lima::http
