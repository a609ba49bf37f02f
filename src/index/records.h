// The catalog's records: projects, assets, collections, sync runs and
// problems, and their value encodings (layouts in schema.h).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lima::index {

using ProjectId = std::uint64_t;
using AssetId = std::uint64_t;
using TagId = std::uint64_t;
using CollectionId = std::uint64_t;
using RunId = std::uint64_t;

/// Owner of loose files directly in the library root (not a project).
inline constexpr ProjectId kRootProject = 0;

/// Where a sync numbers the project folders it sees (0, 1, …), the number
/// standing for the library root's own (loose) files.
inline constexpr std::uint32_t kLooseFiles = 0xffffffff;

/// XXH3-128 of a file's bytes, in canonical (big-endian) byte order.
struct ContentHash {
  std::array<unsigned char, 16> bytes{};
  bool operator==(const ContentHash&) const = default;
  bool is_zero() const;
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }
  /// The 32 hex digits `xxhsum -H2` prints.
  std::string hex() const;
  /// "xxh3:" + hex().
  std::string to_string() const;
  static std::optional<ContentHash> from_view(std::string_view raw16);
  /// Parses "xxh3:<32 hex>" or the bare hex digits.
  static std::optional<ContentHash> parse(std::string_view text);
};

struct ContentHashHasher {
  std::size_t operator()(const ContentHash& h) const noexcept;
};

/// Asset kind, decided by extension (kinds.h). DO NOT CHANGE values.
enum class Kind : std::uint8_t { model = 1, image = 2, document = 3, other = 4 };
std::string_view to_string(Kind k);
std::optional<Kind> parse_kind(std::string_view s);

/// What the index knows of an image asset's pixels, from its header
/// (image_header.h). DO NOT CHANGE values (persisted).
enum class ImageFacts : std::uint8_t {
  unread = 0,        ///< never read (not an image, or indexed before facts were kept)
  sized = 1,         ///< an image of `width` × `height` pixels
  size_unknown = 2,  ///< starts like an image; its size is not in its first bytes
  not_an_image = 3,  ///< its bytes are no image of any format read (a broken or misnamed file)
};

/// Live items exist on disk; tombstones vanished but keep id and metadata.
enum class ItemState : std::uint8_t { live = 1, tombstone = 2 };

struct Project {
  ProjectId id = 0;
  std::string name;  ///< folder name under the library root
  std::uint64_t dev = 0, ino = 0;
  std::int64_t mtime_ns = 0;
  ItemState state = ItemState::live;
  std::int64_t added_ns = 0;    ///< first indexed
  std::int64_t removed_ns = 0;  ///< when it became a tombstone (0 when live)
};

struct Asset {
  AssetId id = 0;
  ProjectId project = kRootProject;
  std::string path;  ///< relative to the project folder ('/'-separated)
  std::uint64_t dev = 0, ino = 0, size = 0;
  std::int64_t mtime_ns = 0;
  ContentHash hash;
  Kind kind = Kind::other;
  ItemState state = ItemState::live;
  std::int64_t added_ns = 0;
  std::int64_t removed_ns = 0;
  /// Read once per content, for images only: the sync reads the header
  /// when it hashes the file, or, for a record without facts, once.
  ImageFacts image = ImageFacts::unread;
  std::uint32_t width = 0, height = 0;  ///< when `image` is sized
  /// The size of the image, when its header gave one.
  std::optional<std::pair<std::uint32_t, std::uint32_t>> pixels() const {
    if (image != ImageFacts::sized) return std::nullopt;
    return std::pair{width, height};
  }
};

struct Collection {
  CollectionId id = 0;
  std::string name;
  std::vector<ProjectId> projects;  ///< in collection order
};

enum class Trigger : std::uint8_t { cli = 1, startup = 2, watcher = 3, schedule = 4, api = 5 };
enum class Mode : std::uint8_t { incremental = 1, verify = 2 };
/// running → one of the others. partial: finished, but some items failed;
/// interrupted: its process stopped (or died) during the run; cancelled:
/// someone asked for it to stop. DO NOT CHANGE values (persisted).
enum class RunStatus : std::uint8_t {
  running = 1, ok = 2, partial = 3, offline = 4, failed = 5, interrupted = 6, cancelled = 7
};

std::string_view to_string(Trigger t);
std::string_view to_string(Mode m);
std::string_view to_string(RunStatus s);
std::optional<Mode> parse_mode(std::string_view s);

/// Why an item of the library is not (fully) indexed, or looks wrong.
/// DO NOT CHANGE values (persisted).
enum class ProblemKind : std::uint8_t {
  unreadable = 1,        ///< open/read/list failed (EACCES, EIO, …)
  vanished = 2,          ///< disappeared while the sync looked at it
  changed_while_hashing = 3,
  symlink = 4,           ///< symlinks are not followed
  special_file = 5,      ///< FIFO, socket, device
  empty_project = 6,
  loose_file = 7,        ///< a file directly in the library root
  too_deep = 8,          ///< nesting beyond the walk's depth limit
  content_changed = 9,   ///< verify: bytes changed, size and mtime did not
  removed = 10,          ///< indexed before, found gone by a sync (kept as a tombstone)
  // Derived from the index when the problem list is asked for (problems.h),
  // never stored: their values only need to differ from the ones above.
  duplicate_content = 11,  ///< the same bytes live in another project too
  no_images = 12,          ///< a project with files, none of them an image
  no_models = 13,          ///< a project with files, none of them a 3D model
  // From the picture maker's failures (picture_failures.h), one per live
  // file with that content.
  undecodable_image = 14,  ///< an image that does not decode
  unparsable_model = 15,   ///< a 3D model whose mesh does not parse
  picture_over_cap = 16,   ///< a file over a cap on pictures: size, pixels, triangles or time
};
/// Every kind, in value order.
inline constexpr ProblemKind kProblemKinds[] = {
    ProblemKind::unreadable, ProblemKind::vanished, ProblemKind::changed_while_hashing, ProblemKind::symlink,
    ProblemKind::special_file, ProblemKind::empty_project, ProblemKind::loose_file, ProblemKind::too_deep,
    ProblemKind::content_changed, ProblemKind::removed, ProblemKind::duplicate_content, ProblemKind::no_images,
    ProblemKind::no_models, ProblemKind::undecodable_image, ProblemKind::unparsable_model,
    ProblemKind::picture_over_cap};
/// Stable snake_case names ("loose_file", "duplicate_content", …), as the
/// API, the CLI and .limafs/problems.txt show them.
std::string_view to_string(ProblemKind k);
/// The kind named `s` (a to_string() name); nullopt for any other text.
std::optional<ProblemKind> parse_problem_kind(std::string_view s);
/// Errors are items that could not be indexed; the rest are notices.
bool is_error(ProblemKind k);

struct Problem {
  std::string path;  ///< library-relative
  ProblemKind kind = ProblemKind::unreadable;
  std::string detail;  ///< e.g. strerror text
  RunId run = 0;
};

struct RunCounts {
  std::uint64_t added = 0, changed = 0, moved = 0, removed = 0, unchanged = 0;
  std::uint64_t errors = 0, skipped = 0, revived = 0;
  std::uint64_t projects_added = 0, projects_removed = 0, projects_renamed = 0;
  std::uint64_t files_hashed = 0, bytes_hashed = 0;
};

struct Run {
  RunId id = 0;
  Trigger trigger = Trigger::cli;
  Mode mode = Mode::incremental;
  std::string scope;  ///< "" = whole library; else a project or project/sub/path
  std::int64_t started_ns = 0, ended_ns = 0;
  RunStatus status = RunStatus::running;
  std::string message;  ///< why a run ended offline/failed
  RunCounts counts;
  std::vector<Problem> problems;  ///< the first kMaxRunProblems, in order found
};
inline constexpr std::size_t kMaxRunProblems = 100;

/// A write of one record: `after` replaces `before` (null when new). The
/// pointee of `before` belongs to whoever made the change (a snapshot).
struct ProjectChange {
  const Project* before = nullptr;
  Project after;
};
struct AssetChange {
  const Asset* before = nullptr;
  Asset after;
};

std::string encode(const Project& p);
std::string encode(const Asset& a);
std::string encode(const Collection& c);
std::string encode(const Run& r);
std::string encode(const Problem& p);
/// Decoders return nullopt for a corrupt or unknown-format value.
std::optional<Project> decode_project(ProjectId id, std::string_view v);
std::optional<Asset> decode_asset(AssetId id, std::string_view v);
std::optional<Collection> decode_collection(CollectionId id, std::string_view v);
std::optional<Run> decode_run(RunId id, std::string_view v);
std::optional<Problem> decode_problem(std::string_view v);
/// The name of a live item read in place from its encoded record (a
/// project's folder name, an asset's file name), without decoding the
/// rest; nullopt for a tombstone or a value that is not such a record.
std::optional<std::string_view> live_project_name(std::string_view v);
std::optional<std::string_view> live_asset_name(std::string_view v);

}  // namespace lima::index
