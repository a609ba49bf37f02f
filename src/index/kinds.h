// Asset kinds by file extension (DESIGN §1), case-insensitive.
#pragma once

#include <string_view>

#include "index/records.h"

namespace lima::index {

/// The kind of a file named `name` (only its extension counts).
Kind kind_of(std::string_view name);

}  // namespace lima::index
