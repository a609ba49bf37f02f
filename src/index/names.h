// Rules for user-given names (tags, collections) and note text.
#pragma once

#include <string>
#include <string_view>

#include "index/error.h"

namespace lima::index {

/// Longest tag or collection name, in bytes (a path component's limit).
inline constexpr std::size_t kMaxNameBytes = 255;
/// Longest note, in bytes.
inline constexpr std::size_t kMaxNoteBytes = 64 * 1024;

/// True when s is well-formed UTF-8.
bool is_valid_utf8(std::string_view s);

/// A tag or collection name must be non-empty UTF-8 of at most 255 bytes,
/// without '/' or NUL, not "." or "..", not starting with '+'. `what` names
/// the thing in the message ("tag", "collection").
Result<void> validate_name(std::string_view name, std::string_view what);

/// Notes are UTF-8 text without NUL, at most kMaxNoteBytes.
Result<void> validate_note(std::string_view text);

/// A printable rendering of a path or name for messages: control characters
/// and invalid UTF-8 bytes become \n, \t, \xHH.
std::string printable(std::string_view s);

}  // namespace lima::index
