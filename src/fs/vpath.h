// The names of the mounted view, as pure functions: what the root holds,
// which names are probes answered without a look at the index, how a
// narrowing component and a search component read, and how a tagged asset's
// flattened link name is built. No index, no FUSE.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lima::fs {

/// The fixed entries of the mount's root, in listing order.
enum class RootEntry : std::uint8_t { readme, projects, tags, collections, search, untagged, meta };
inline constexpr RootEntry kRootEntries[] = {RootEntry::readme,      RootEntry::projects, RootEntry::tags,
                                             RootEntry::collections, RootEntry::search,   RootEntry::untagged,
                                             RootEntry::meta};
std::string_view name_of(RootEntry e);
std::optional<RootEntry> root_entry(std::string_view name);

/// The files of MOUNT/.limafs.
inline constexpr std::string_view kStatusFile = "status";
inline constexpr std::string_view kStatsFile = "stats";
inline constexpr std::string_view kProblemsFile = "problems.txt";

/// Names that shells, file managers and other systems probe for in every
/// directory (".git", ".hidden", ".DS_Store", "._*", "desktop.ini", …): the
/// names the index never holds (IgnoreRules::ignored_by_default), so
/// wherever the view's names come from the library they can be answered
/// without a look at the index.
bool is_probe_name(std::string_view name);

/// "+tag" → "tag"; nullopt for any other name (and for a bare "+").
std::optional<std::string_view> narrowing_tag(std::string_view name);

/// The last component of a '/'-separated path.
std::string_view file_name_of(std::string_view path);

/// A tagged asset's context-free link name: "<project> - <file name>", or
/// just the file name for a loose file (empty project). With `id`, " ~<id>"
/// goes before the extension (which always stays last): the form used when
/// two assets of one project share a file name.
std::string flattened_name(std::string_view project, std::string_view file_name,
                           std::optional<std::uint64_t> id = std::nullopt);

}  // namespace lima::fs
