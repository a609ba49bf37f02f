// Rules for user-given names (tags, collections, new project folders) and
// note text: one rule per kind of name, applied the same way by the API,
// the CLI (through the API) and imports.
#pragma once

#include <string>
#include <string_view>

#include "index/error.h"

namespace lima::index {

/// Longest tag or collection name, in bytes (a path component's limit).
inline constexpr std::size_t kMaxNameBytes = 255;
/// Longest note, in bytes.
inline constexpr std::size_t kMaxNoteBytes = 64 * 1024;

/// The rule for tag, collection and saved-search names, in words.
inline constexpr std::string_view kNameRule =
    "names are 1 to 255 bytes of UTF-8 without '/', NUL or control characters, not '.' or '..', "
    "not starting with '+' and not only white space";
/// The rule for the name of a new project folder, in words.
inline constexpr std::string_view kFolderNameRule =
    "a new project folder's name is 1 to 255 bytes of UTF-8 without '/', NUL or control characters, "
    "neither starting nor ending with white space, not starting with '+', and not a name the index "
    "ignores (dot-files, partial downloads, ...)";

/// True when s is well-formed UTF-8.
bool is_valid_utf8(std::string_view s);

/// Checks a NEW tag or collection name (one being created, or renamed to)
/// against kNameRule: control characters are C0, DEL and C1; white space is
/// Unicode's White_Space. The message says what is wrong with `name`, then
/// the rule. `what` names the thing ("tag", "collection").
Result<void> validate_name(std::string_view name, std::string_view what);

/// Checks a name used to find an EXISTING tag or collection. Refuses only
/// what no index has ever held (empty, over 255 bytes, '/', NUL, "." or
/// "..", a leading '+', invalid UTF-8), so a name that an older rule let in
/// (control characters, only white space) can still be renamed or deleted.
Result<void> validate_lookup_name(std::string_view name, std::string_view what);

/// Checks the name of a project folder about to be created in the library
/// against kFolderNameRule.
Result<void> validate_folder_name(std::string_view name);

/// Notes are UTF-8 text without NUL, at most kMaxNoteBytes.
Result<void> validate_note(std::string_view text);

/// A printable rendering of a path or name for messages: control characters
/// and invalid UTF-8 bytes become \n, \t, \xHH.
std::string printable(std::string_view s);

}  // namespace lima::index
