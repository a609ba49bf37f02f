// Reconciliation: given what the index held (a snapshot) and what a walk
// saw, decide the identity of every project and file and the writes that
// bring the index up to date. Pure: no I/O, so every identity rule is
// unit-tested directly.
//
// Identity rules (DESIGN §1, §4):
//  - a project folder keeps its id when its inode matches (a rename), else
//    when its name matches, else when its set of file hashes matches a
//    vanished or tombstoned project's (Jaccard ≥ 0.5);
//  - a file keeps its id when its inode matches and it either kept its path
//    or kept its size and mtime (a move), else when its path matches, else
//    when its content matches an asset that vanished in this run or a
//    tombstone (which is revived);
//  - live items in scope that were not seen become tombstones, except under
//    directories the walk could not list.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "index/image_header.h"
#include "index/inode_index.h"
#include "index/records.h"

namespace lima::index {

/// What the index held when the sync started.
struct Snapshot {
  std::vector<Project> projects;  ///< live and tombstones
  std::vector<Asset> assets;      ///< live and tombstones
  std::uint64_t next_project_id = 1, next_asset_id = 1;
};

struct SeenProject {
  std::string name;
  std::uint64_t dev = 0, ino = 0;
  std::int64_t mtime_ns = 0;
};

struct SeenFile {
  std::uint32_t project = kLooseFiles;  ///< index into the seen projects, or kLooseFiles
  std::string path;                ///< relative to the project folder
  std::uint64_t dev = 0, ino = 0, size = 0;
  std::int64_t mtime_ns = 0;
  ContentHash hash;
  /// False when the file exists but could not be hashed: its record, if
  /// any, is kept as it was, and no new record is made.
  bool ok = true;
  /// True when the file disappeared before it could be hashed: treated as
  /// not seen at all.
  bool gone = false;
  /// True when the hash was computed in this run (not taken from the index).
  bool hashed = false;
  /// An image's header, when read in this run (with the hashing, or alone
  /// for a record that has no facts yet).
  std::optional<ImageHeader> header;
};

/// Drops an asset's image facts (they were another content's, or it is no
/// image any more).
inline void forget_image_facts(Asset& a) {
  a.image = ImageFacts::unread;
  a.width = a.height = 0;
}

/// Copies what reading a file taught (device, inode, size, mtime, content,
/// an image's header) into its asset record. Facts of other content are
/// dropped: they were the old content's.
inline void take_file_facts(Asset& a, const SeenFile& f) {
  a.dev = f.dev;
  a.ino = f.ino;
  a.size = f.size;
  a.mtime_ns = f.mtime_ns;
  if (a.hash != f.hash) forget_image_facts(a);
  a.hash = f.hash;
  if (f.header) {
    a.image = f.header->verdict == HeaderVerdict::image          ? ImageFacts::sized
              : f.header->verdict == HeaderVerdict::size_unknown ? ImageFacts::size_unknown
                                                                 : ImageFacts::not_an_image;
    a.width = f.header->size.width;
    a.height = f.header->size.height;
  }
}

struct Coverage {
  std::string scope;                  ///< "" = whole library
  std::vector<std::string> unlisted;  ///< library-relative dirs whose content is unknown
  /// When set, only these project folders (by name) are covered, and the
  /// loose files when `loose`: live items elsewhere are neither removed nor
  /// taken for vanished. A sync reconciles the library a batch of projects
  /// at a time (sync.h).
  std::optional<std::unordered_set<std::string>> projects;
  bool loose = false;
  /// Live projects whose folders the walk did not find anywhere: outside
  /// `projects`, yet their content may be a new folder's (a folder copied
  /// elsewhere and deleted). They are not removed here.
  std::unordered_set<ProjectId> vanishing;
};

/// The writes a sync must make. `before` pointers point into the snapshot,
/// which must outlive the plan.
struct Plan {
  std::vector<ProjectChange> projects;
  std::vector<AssetChange> assets;
  RunCounts counts;
  /// Empty projects, content changed behind an unchanged mtime, and what
  /// vanished: each file gone from a project still there, and each project
  /// folder gone as a whole (one notice for it and its files).
  std::vector<Problem> notices;
  std::uint64_t next_project_id = 1, next_asset_id = 1;
};

/// `inodes` indexes `before.assets` (the walk's gate built it already).
Plan reconcile(const Snapshot& before, const InodeIndex& inodes, const std::vector<SeenProject>& projects,
               const std::vector<SeenFile>& files, const Coverage& coverage, Mode mode, std::int64_t now_ns);

/// True when library-relative `path` is `dir` or inside it ("" is the root).
bool path_within(std::string_view path, std::string_view dir);

}  // namespace lima::index
