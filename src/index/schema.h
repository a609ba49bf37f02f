// The on-disk layout of the catalog: every LMDB sub-database, its key and
// value layout, and the schema version. DO NOT CHANGE persisted values or
// layouts without bumping kSchemaVersion and adding a migration (catalog.cpp).
//
// Conventions
//  - Integers in keys are big-endian (key_codec.h), so byte order is numeric
//    order; ids start at 1. Project id 0 stands for the library root (loose
//    files), which is not a project.
//  - Composite keys are written `a,b`: fixed-width fields first, at most one
//    variable-width field last. `∅` is an empty value.
//  - Record values start with a one-byte record-format version.
//  - A variable-width key field longer than 480 bytes is stored bounded:
//    its first 480 bytes + the XXH3-128 of the whole (key_codec.h).
//  - Paths are raw bytes (any name the filesystem allows, not necessarily
//    UTF-8); asset paths are relative to their project folder.
//  - "live" items exist on disk as of the last sync; tombstones are items that
//    vanished. Tombstones keep their ids and metadata and are revived when the
//    same content reappears.
//  - Device and inode numbers are in the records and, since 5, in
//    asset_inodes: a sync finds the asset a file was by its inode through
//    that table, wherever in the library the asset is, without loading the
//    index (sync.h).
//  - An extension in ext_assets is kinds.h's extension_of() of the file
//    name: lower-case ASCII letters, without the dot; "" for none. File
//    names are at most 255 bytes and hold no NUL, so the NUL ends it.
//
// Versions
//  1  the first.
//  2  ext_assets and kind_assets, so that library-wide asset lists filtered
//     by extension or kind read only the matching assets (filled from
//     assets:id by the migration).
//  3  picture_failures (created empty by the migration); Asset records of
//     format 2 end with the image facts (see below). Format-1 records stay
//     as they are and read as "facts not read": the next sync reads the
//     header of each such image once and rewrites its record.
//  4  words (the word index of search, filled from the catalog by the
//     migration) and saved_searches (created empty).
//  5  asset_inodes and project_tombstones, so that a sync reads only the
//     projects it walks: an asset by its inode, a project's tombstoned
//     assets by the project; project_stats and shared_content, derived
//     from the asset records and kept with every asset write, so that the
//     problem report reads them instead of every asset (derived_stats.h).
//     All four are filled from the catalog by the migration.
//  6  projects_lacking, derived like project_stats, so that the report
//     reads the projects that lack images or models rather than every
//     project (filled from project_stats by the migration).
//
// Sub-database                         key                        value
// meta                                 ascii name                 see kMeta*
// projects:id                          u64 project id             Project record
// project_names:name                   folder name (bounded)      u64 id (live only)
// assets:id                            u64 asset id               Asset record
// asset_paths:project_id,path          u64 id, path (bounded)     u64 asset id (live only)
// asset_hashes:hash,asset_id           16-byte XXH3-128, u64 id   ∅ (live and tombstones)
// asset_inodes:dev,ino,asset_id       u64, u64, u64 id           ∅ (live and tombstones; since 5)
// project_tombstones:project_id,aid    u64, u64 asset id          ∅ (tombstoned assets only; since 5)
// ext_assets:ext,asset_id              extension, NUL, u64 id     ∅ (live only; since 2)
// kind_assets:kind,asset_id            u8 Kind, u64 id            ∅ (live only; since 2)
// tags:id                              u64 tag id                 tag name
// tag_names:name                       tag name                   u64 tag id
// project_tags:project_id,tag_id       u64, u64                   ∅
// tag_projects:tag_id,project_id       u64, u64                   ∅
// asset_tags:asset_id,tag_id           u64, u64                   ∅
// tag_assets:tag_id,asset_id           u64, u64                   ∅
// collections:id                       u64 collection id          Collection record
// collection_names:name                collection name            u64 collection id
// project_collections:project_id,cid   u64, u64                   ∅
// notes:kind,id                        'p'|'a', u64 id            note text (UTF-8)
// main_images:project_id               u64 project id             u64 asset id (user's choice)
// runs:id                              u64 run id                 Run record
// problems:path                        library path (bounded)     Problem record (with the path)
// picture_failures:hash                16-byte XXH3-128           PictureFailure record (since 3)
// words:field,word                     u8 Field, folded word      sorted 10-byte duplicates: u64 item
//                                                                 key, u16 rank length (since 4;
//                                                                 word_index.h)
// saved_searches:name                  saved-search name          SavedSearch record (since 4)
//
// Derived tables (since 5; derived_stats.h): facts about the asset records,
// kept in the same write transaction as each asset write. Not records: no
// format byte.
// project_stats:project_id             u64 project id (0: root)   u64 live files, u64 live images, u64 live
//                                                                 3D models (a row only while files > 0)
// shared_content:hash                  16-byte XXH3-128           ∅ (a content of ≥ 1 byte live in two
//                                                                 projects or more; the root counts as one)
// projects_lacking:project_id          u64 project id (0: root)   u8 bits: 1 no live image, 2 no live 3D
//                                                                 model (a row only while files > 0 and a
//                                                                 bit is set; since 6)
//
// Record values (after the format byte; strings are u32-length-prefixed)
//  Asset (2)           u64 project, str path, u64 dev, u64 ino, u64 size,
//                      i64 mtime_ns, 16-byte hash, u8 Kind, u8 ItemState,
//                      i64 added_ns, i64 removed_ns, u8 ImageFacts,
//                      u32 width, u32 height. Format 1 is the same without
//                      the last three fields (ImageFacts::unread).
//  PictureFailure (1)  u32 picture version, u8 PictureFailureKind,
//                      str reason. A content no picture could be made of,
//                      as the picture maker of that version found it.
//  SavedSearch (1)     str query, i64 created_ns. A name for a query of
//                      the search language, answered afresh when read.
#pragma once

#include <cstdint>

namespace lima::index::schema {

/// Version of the layout above. Bump on any change, with a migration.
inline constexpr std::uint32_t kSchemaVersion = 6;

// meta keys (DO NOT CHANGE)
inline constexpr const char* kMetaSchemaVersion = "schema_version";  // u32
inline constexpr const char* kMetaLibraryRoot = "library_root";      // absolute path bytes
inline constexpr const char* kMetaLibraryDev = "library_dev";        // u64 st_dev of the root
inline constexpr const char* kMetaNextId = "next_id:";               // + table name → u64
inline constexpr const char* kMetaWordsStale = "words_stale";        // ∅: words needs a rebuild (word_index.h)
inline constexpr const char* kMetaKeysPending = "keys_pending";      // ∅: asset_hashes, asset_inodes, shared_content
                                                                      //    miss a first sync's files (deferred_keys.h)

// sub-database names (DO NOT CHANGE)
inline constexpr const char* kMeta = "meta";
inline constexpr const char* kProjects = "projects:id";
inline constexpr const char* kProjectNames = "project_names:name";
inline constexpr const char* kAssets = "assets:id";
inline constexpr const char* kAssetPaths = "asset_paths:project_id,path";
inline constexpr const char* kAssetHashes = "asset_hashes:hash,asset_id";
inline constexpr const char* kAssetInodes = "asset_inodes:dev,ino,asset_id";
inline constexpr const char* kProjectTombstones = "project_tombstones:project_id,asset_id";
inline constexpr const char* kExtAssets = "ext_assets:ext,asset_id";
inline constexpr const char* kKindAssets = "kind_assets:kind,asset_id";
inline constexpr const char* kTags = "tags:id";
inline constexpr const char* kTagNames = "tag_names:name";
inline constexpr const char* kProjectTags = "project_tags:project_id,tag_id";
inline constexpr const char* kTagProjects = "tag_projects:tag_id,project_id";
inline constexpr const char* kAssetTags = "asset_tags:asset_id,tag_id";
inline constexpr const char* kTagAssets = "tag_assets:tag_id,asset_id";
inline constexpr const char* kCollections = "collections:id";
inline constexpr const char* kCollectionNames = "collection_names:name";
inline constexpr const char* kProjectCollections = "project_collections:project_id,cid";
inline constexpr const char* kNotes = "notes:kind,id";
inline constexpr const char* kMainImages = "main_images:project_id";
inline constexpr const char* kRuns = "runs:id";
inline constexpr const char* kProblems = "problems:path";
inline constexpr const char* kPictureFailures = "picture_failures:hash";
inline constexpr const char* kWords = "words:field,word";  // MDB_DUPSORT | MDB_DUPFIXED
inline constexpr const char* kSavedSearches = "saved_searches:name";

// derived tables (since 5; derived_stats.h)
inline constexpr const char* kProjectStats = "project_stats:project_id";
inline constexpr const char* kSharedContent = "shared_content:hash";
inline constexpr const char* kProjectsLacking = "projects_lacking:project_id";  // since 6

// Record-format versions (first byte of each record value).
inline constexpr std::uint8_t kProjectFormat = 1;
inline constexpr std::uint8_t kAssetFormat = 2;
inline constexpr std::uint8_t kAssetFormatWithoutFacts = 1;  // read, never written
inline constexpr std::uint8_t kCollectionFormat = 1;
inline constexpr std::uint8_t kRunFormat = 1;
inline constexpr std::uint8_t kProblemFormat = 1;
inline constexpr std::uint8_t kPictureFailureFormat = 1;
inline constexpr std::uint8_t kSavedSearchFormat = 1;

// Note kinds in notes:kind,id (DO NOT CHANGE)
inline constexpr char kNoteProject = 'p';
inline constexpr char kNoteAsset = 'a';

}  // namespace lima::index::schema
