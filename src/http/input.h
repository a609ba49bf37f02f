// Reading what a client sent: JSON bodies with strict fields and types,
// numeric ids, page limits and opaque cursors. Every check throws ApiError
// (400 invalid_argument) with a message naming the offending part.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace httplib {
struct Request;
}

namespace lima::http {

/// The body as a JSON object whose keys are all in `allowed`. An empty body
/// counts as {} when `empty_ok`.
nlohmann::json json_object(const std::string& body, std::initializer_list<std::string_view> allowed,
                           bool empty_ok = false);
/// Rejects keys of a JSON object not in `allowed`; `where` prefixes the message.
void only_fields(const nlohmann::json& obj, std::initializer_list<std::string_view> allowed, std::string_view where = {});
/// Field accessors: absent → nullopt; present with the wrong type → 400.
std::optional<std::string> opt_string(const nlohmann::json& obj, std::string_view key);
std::string need_string(const nlohmann::json& obj, std::string_view key);
std::optional<std::uint64_t> opt_u64(const nlohmann::json& obj, std::string_view key);

/// A path parameter that must be a positive integer id.
std::uint64_t parse_id(std::string_view text, std::string_view what);
/// An optional query parameter that must be a non-negative integer.
std::optional<std::uint64_t> query_u64(const httplib::Request& req, const char* name);
/// A boolean query parameter: absent → def; "true"/"1"/"false"/"0".
bool query_bool(const httplib::Request& req, const char* name, bool def);

/// Pages: `limit` (1..kMaxLimit, default kDefaultLimit) and `cursor`.
inline constexpr std::size_t kDefaultLimit = 100;
inline constexpr std::size_t kMaxLimit = 1000;
struct Page {
  std::size_t limit = kDefaultLimit;
  std::string after;  ///< decoded cursor key; empty = from the start
  bool has_cursor = false;
};
/// Reads limit and cursor; a cursor must have been made for `list`.
Page read_page(const httplib::Request& req, std::string_view list);
/// An opaque cursor for `list` that resumes after `key`.
std::string make_cursor(std::string_view list, std::string_view key);

}  // namespace lima::http
