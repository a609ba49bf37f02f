#include "http/api_error.h"

#include <nlohmann/json.hpp>

#include "index/records_json.h"

namespace lima::http {

ApiError to_api_error(const index::Error& e) {
  using index::Errc;
  switch (e.code) {
    case Errc::not_found: return {404, code::not_found, e.message};
    case Errc::invalid_argument: return {400, code::invalid_argument, e.message};
    case Errc::conflict: return {409, code::conflict, e.message};
    case Errc::busy: return {503, code::busy, e.message};
    case Errc::library_offline: return {503, code::library_offline, e.message};
    case Errc::no_space: return {507, code::insufficient_storage, e.message};
    case Errc::newer_schema:
    case Errc::io: break;
  }
  return {500, code::internal, e.message};
}

void throw_invalid(const std::string& message) { throw ApiError(400, code::invalid_argument, message); }
void throw_not_found(const std::string& message) { throw ApiError(404, code::not_found, message); }

void throw_invalid_query(const std::string& message, std::size_t column) {
  ApiError e(400, code::invalid_query, message);
  e.position = column;
  throw e;
}

std::string error_body(std::string_view code, std::string_view message, std::size_t position) {
  nlohmann::json j = {{"error", {{"code", code}, {"message", message}}}};
  if (position != 0) j["error"]["position"] = position;
  return index::dump_json(j, -1);
}

std::string_view code_for_status(int status) {
  switch (status) {
    case 400: return code::invalid_argument;
    case 401: return code::unauthorized;
    case 404: return code::not_found;
    case 405: return code::method_not_allowed;
    case 409: return code::conflict;
    case 413: return code::payload_too_large;
    case 414: return code::invalid_argument;
    case 415: return code::unsupported_media_type;
    case 416: return code::range_not_satisfiable;
    case 503: return code::busy;
    case 507: return code::insufficient_storage;
    default: return status < 500 ? code::invalid_argument : code::internal;
  }
}

}  // namespace lima::http
