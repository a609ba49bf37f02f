// The names of the mounted view, as pure functions: what the root holds,
// which names are probes answered without a look at the index, how a
// narrowing component and a search component read, and how a tagged asset's
// flattened link name is built, never longer than 255 bytes. No index, no
// FUSE.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lima::fs {

/// The fixed entries of the mount's root, in listing order.
enum class RootEntry : std::uint8_t { readme, projects, tags, collections, search, searches, untagged, meta };
inline constexpr RootEntry kRootEntries[] = {RootEntry::readme,   RootEntry::projects, RootEntry::tags,
                                             RootEntry::collections, RootEntry::search, RootEntry::searches,
                                             RootEntry::untagged, RootEntry::meta};
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

/// The longest name the view shows, in bytes (NAME_MAX: longer names break
/// cp, tar and most programs).
inline constexpr std::size_t kMaxNameBytes = 255;

/// "+tag" → "tag"; nullopt for any other name (and for a bare "+").
std::optional<std::string_view> narrowing_tag(std::string_view name);

/// The name of the narrowing entry for a tag: "+<tag>", or, when that is
/// longer than kMaxNameBytes (a tag of 255 bytes), the tag shortened at a
/// character boundary and made unique with " ~<tag id>".
std::string narrowing_name(std::string_view tag, std::uint64_t tag_id);

/// "name ~42" → 42: the id a shortened name ends with; nullopt when it ends
/// with none.
std::optional<std::uint64_t> shortened_id(std::string_view name);

/// The last component of a '/'-separated path.
std::string_view file_name_of(std::string_view path);

/// The longest prefix of `s` of at most `bytes` bytes that does not split a
/// UTF-8 character.
std::string_view utf8_prefix(std::string_view s, std::size_t bytes);

/// A tagged asset's context-free link name: "<project> - <file name>", or
/// just the file name for a loose file (empty project). With `shared_name`
/// (another asset of the project has the same file name), " ~<id>" goes
/// before the extension, which always stays last. A name that would be
/// longer than kMaxNameBytes is shortened before the extension, at UTF-8
/// character boundaries (the project part and the file part each keep a
/// fair share), and made unique with " ~<id>": never longer than 255 bytes.
std::string flattened_name(std::string_view project, std::string_view file_name, std::uint64_t id,
                           bool shared_name = false);

}  // namespace lima::fs
