// Errors of the control API: one envelope, {"error": {"code", "message"}},
// and one mapping from the index's domain errors to HTTP status + code.
// Handlers throw ApiError; the server turns it into the response.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "index/error.h"

namespace lima::http {

/// The machine-readable codes (documented in the OpenAPI document).
namespace code {
inline constexpr std::string_view not_found = "not_found";
inline constexpr std::string_view invalid_argument = "invalid_argument";
inline constexpr std::string_view conflict = "conflict";
inline constexpr std::string_view payload_too_large = "payload_too_large";
inline constexpr std::string_view unsupported_media_type = "unsupported_media_type";
inline constexpr std::string_view library_offline = "library_offline";
inline constexpr std::string_view range_not_satisfiable = "range_not_satisfiable";
inline constexpr std::string_view method_not_allowed = "method_not_allowed";
inline constexpr std::string_view unauthorized = "unauthorized";
inline constexpr std::string_view busy = "busy";
inline constexpr std::string_view insufficient_storage = "insufficient_storage";
inline constexpr std::string_view internal = "internal";
inline constexpr std::string_view unavailable = "unavailable";
inline constexpr std::string_view no_picture = "no_picture";
inline constexpr std::string_view invalid_query = "invalid_query";
}  // namespace code

struct ApiError : std::runtime_error {
  ApiError(int status_, std::string_view code_, const std::string& message)
      : std::runtime_error(message), status(status_), code(code_) {}
  int status;
  std::string code;
  /// Where in the input the error is (a query's 1-based column), when known.
  std::size_t position = 0;
};

/// The status and code for a domain error.
ApiError to_api_error(const index::Error& e);

/// Shorthands for the common cases.
[[noreturn]] void throw_invalid(const std::string& message);
[[noreturn]] void throw_not_found(const std::string& message);

/// A search query that does not parse: 400 invalid_query, with the column.
[[noreturn]] void throw_invalid_query(const std::string& message, std::size_t column);
/// The error envelope as JSON text; `position` (when not 0) goes with it.
std::string error_body(std::string_view code, std::string_view message, std::size_t position = 0);

/// The code a bare status stands for, when the error did not come from a
/// handler (no route, a malformed request line, an unsatisfiable range…).
std::string_view code_for_status(int status);

}  // namespace lima::http
