// Metadata backup: the user's metadata (tags, collections, notes, chosen
// main images, saved searches) as one JSON document, importable into a fresh index of the
// same library (or of a copy of it, or after folders were renamed), and a
// writer that keeps recent exports in the state directory automatically.
//
// The export document (version 1; DO NOT CHANGE the meaning of a field,
// add a version instead):
//
//   {"format": "limafs-metadata", "version": 1,
//    "exported_at": "2026-11-22T03:14:15.926Z",   // format_time()
//    "library": "/abs/library/root",               // or null
//    "tags": ["benchy", "pla"],                    // every tag, even unused ones
//    "projects": [{"name": "Benchy", "state": "live",   // or "tombstone"
//                  "tags": ["pla"], "note": "…",
//                  "main_image": {"path": "img/a.png", "hash": "xxh3:…"},
//                  "hashes": ["xxh3:…"]}],
//    "assets": [{"project": "Benchy", "path": "sub/a.stl", "hash": "xxh3:…",
//                "state": "live", "tags": ["boat"], "note": "…"}],
//    "collections": [{"name": "Favourites",
//                     "projects": [{"name": "Benchy", "hashes": ["xxh3:…"]}]}],
//    "searches": [{"name": "petg todo", "query": "tag:petg -tag:printed",
//                  "created": "2026-11-22T03:14:15.926Z"}]}
//
//  - Only projects and assets carrying metadata are listed (a tag, a note, a
//    user-chosen main image, a collection membership). Empty fields are
//    left out ("note" when there is none, "main_image" unless the user chose
//    one, "tags" when untagged, "hashes" when there are none, an asset's
//    "hash" before it was hashed).
//  - A project's "hashes" are the content hashes of its assets (live ones;
//    for a tombstone, the hashes its assets had), sorted, without repeats:
//    what finds a renamed project folder again.
//  - "project" of an asset is "" for a loose file in the library root.
//  - "searches" (saved searches) may be absent: documents written before
//    saved searches existed have none. "created" may be absent too (then
//    the import's time is used).
//  - Order is deterministic (tags, projects, collections and searches by name, assets
//    by project then path, object keys sorted), so two exports of one index
//    differ only in "exported_at".
//  - Names and paths are byte strings; ones that are not UTF-8 are written
//    with U+FFFD in place of the bad bytes (dump_json) and do not round-trip.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "index/catalog.h"

namespace lima::index {

inline constexpr const char* kExportFormat = "limafs-metadata";
inline constexpr int kExportVersion = 1;

/// The export document of the index as seen by t (see the top of this file).
nlohmann::json export_metadata(Catalog& c, const Txn& t);

/// What an import did. The counts are of changes actually made: importing
/// the same document twice reports zeros (matched/unmatched aside) the
/// second time.
struct ImportReport {
  std::uint64_t projects_matched = 0, projects_unmatched = 0;
  std::uint64_t assets_matched = 0, assets_unmatched = 0;
  std::uint64_t tags_created = 0;  ///< tag names new to the index
  std::uint64_t tags_added = 0;    ///< tag links added to projects and assets
  std::uint64_t notes_set = 0, main_images_set = 0;
  std::uint64_t collections_created = 0, members_added = 0;
  std::uint64_t searches_created = 0;  ///< saved searches new to the index
  std::uint64_t searches_changed = 0;  ///< saved searches whose query the import replaced
  /// The first kMaxUnmatched items found no home: "Project" or "Project/path".
  std::vector<std::string> unmatched;
};
inline constexpr std::size_t kMaxUnmatched = 100;

nlohmann::json to_json(const ImportReport& r);

/// Validates the whole document (format, version, types, every name, note
/// and saved query), then merges it into the index in one Catalog::write:
///  - a project is the live one of the same name, else the live project
///    sharing the most content hashes with the exported "hashes" (a tie or
///    no overlap: unmatched);
///  - an asset is the live one at (project, path) with the exported hash,
///    else a live asset with that hash (in the project first, then anywhere),
///    else the one at (project, path) even with another hash;
///  - tags are added, never removed; an imported note replaces a different
///    one; a main image is set when it is a live image of the project;
///    missing collections are created and missing members appended in the
///    exported order; a missing saved search is created (with its exported
///    creation time), and an imported query replaces a different one of
///    the same name.
/// Items that match nothing are reported, not errors. An invalid document is
/// Errc::invalid_argument naming the field ("projects[3].tags[0]: …"), and
/// nothing is written.
Result<ImportReport> import_metadata(Catalog& c, const nlohmann::json& doc);

/// Automatic exports: after a write that changed metadata and then `delay`
/// of quiet (bursts coalesce into one file), writes an export to
/// DIR/metadata-<UTC yyyymmddTHHMMSSmmmZ>.json (temp file, fsync, rename)
/// and deletes all but the newest `keep` such files (nothing else in DIR).
/// Writes only there: never in the library. Must be destroyed before its
/// catalog; the destructor writes a pending change first.
class BackupWriter {
 public:
  /// `directory` empty: the catalog's STATE_DIR/backups.
  explicit BackupWriter(Catalog& c, std::filesystem::path directory = {}, std::size_t keep = 10,
                        std::chrono::milliseconds delay = std::chrono::seconds(2));
  ~BackupWriter();
  BackupWriter(const BackupWriter&) = delete;
  BackupWriter& operator=(const BackupWriter&) = delete;

  /// Marks the metadata changed (as a write changing it does).
  void touch();
  /// Writes an export now when a change is pending. Returns the file
  /// written, nullopt when nothing was pending, or the I/O error (the change
  /// stays pending).
  Result<std::optional<std::filesystem::path>> flush();
  /// Export files in the directory, newest first.
  std::vector<std::filesystem::path> list() const;
  const std::filesystem::path& directory() const { return dir_; }
  /// The last failure of a background write, if the latest attempt failed.
  std::optional<std::string> last_error() const;

 private:
  void run();
  Result<std::filesystem::path> write_export();
  void prune() const;

  Catalog& c_;
  std::filesystem::path dir_;
  std::size_t keep_;
  std::chrono::milliseconds delay_;
  int subscription_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool dirty_ = false;  ///< a change not yet in a file
  bool armed_ = false;  ///< the thread should write it after the quiet delay
  bool stop_ = false;
  std::chrono::steady_clock::time_point last_change_{};
  std::optional<std::string> last_error_;
  std::mutex file_mu_;  ///< one export at a time
  std::int64_t last_stamp_ms_ = 0;  ///< guarded by file_mu_
  std::thread thread_;
};

}  // namespace lima::index
