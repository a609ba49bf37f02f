// JSON renderings of catalog records, shared by every front end (CLI
// --json, the HTTP API). Byte strings that are not UTF-8 (file names may be
// anything) are rendered with U+FFFD in place of the invalid bytes.
#pragma once

#include <nlohmann/json.hpp>

#include "index/catalog.h"
#include "index/records.h"

namespace lima::index {

nlohmann::json to_json(const Run& run);
nlohmann::json to_json(const Problem& p);
nlohmann::json to_json(const RunCounts& c);
nlohmann::json to_json(const IndexCounts& c);

/// RFC 3339 UTC time with milliseconds, e.g. "2026-11-22T03:14:15.926Z".
std::string format_time(std::int64_t unix_ns);

/// Serializes j, replacing invalid UTF-8 instead of throwing.
std::string dump_json(const nlohmann::json& j, int indent = 2);

}  // namespace lima::index
