// Errors of the index layer as values. Expected outcomes ("no such tag",
// "library offline") are returned, not thrown; each code maps to one HTTP
// status and one CLI message at the boundaries.
#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace lima::index {

enum class Errc {
  not_found,         ///< no such project, asset, tag, collection, run
  invalid_argument,  ///< a malformed name, id or option
  conflict,          ///< the name exists already, or the state dir is someone else's
  busy,              ///< another process holds the index for writing
  library_offline,   ///< the library root is missing, unreadable or moved
  newer_schema,      ///< the index was written by a newer version
  io,                ///< the state dir or the index could not be read or written
  no_space,          ///< the state directory's filesystem is full
};

std::string_view to_string(Errc c);

struct Error {
  Errc code;
  std::string message;
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(Errc code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace lima::index
