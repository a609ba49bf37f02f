// Field values of the search language that are not words: an asset kind
// (type:), an extension (ext:), a fact an item has or lacks (has:,
// missing:), a size (size:) and a time (modified:, added:), each read into
// a QueryNode that the evaluator only compares (query.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "index/query.h"

namespace lima::index {

/// The node for `name:value`, `name` being type, ext, has, missing, size,
/// modified or added (lower case); `field` is the name as typed, with its
/// colon, for messages. On a bad value: what is wrong, a sentence without
/// its position. `now_ns` anchors ages. The node's `at` is left to the
/// caller.
tl::expected<QueryNode, std::string> parse_field_value(std::string_view name, std::string_view field,
                                                       std::string_view value, std::int64_t now_ns);

}  // namespace lima::index
