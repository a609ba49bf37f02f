// Asset kinds by file extension (DESIGN §1), case-insensitive.
#pragma once

#include <string>
#include <string_view>

#include "index/records.h"

namespace lima::index {

/// The kind of a file named `name` (only its extension counts).
Kind kind_of(std::string_view name);

/// The extension of a file named `name` (or of a path's last component):
/// what follows its last dot, ASCII letters in lower case ("Benchy.STL" →
/// "stl", "a.tar.gz" → "gz"); "" when there is none (no dot, or only a
/// leading one).
std::string extension_of(std::string_view name);

}  // namespace lima::index
