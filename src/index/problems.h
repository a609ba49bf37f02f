// The library's problem report (DESIGN §4): everything that looks wrong in
// the library, with a reason and a path, for GET /api/v1/problems and
// MOUNT/.limafs/problems.txt. A report only: nothing here changes anything.
//
// Two sources make it up:
//  - stored problems, what the syncs found (RunLog::problems: unreadable,
//    vanished, changed_while_hashing, symlink, special_file, empty_project,
//    loose_file, too_deep, content_changed, removed); each sync replaces
//    those under its scope, so `removed` means "gone since the last sync";
//  - derived problems, read off the index each time the report is made,
//    never stored as problems (derived_stats.h keeps the counts and the
//    shared contents they are read from):
//      duplicate_content  a live file of at least one byte whose bytes are
//                         also live in another project (the library root's
//                         loose files count as one more project). Every copy
//                         is listed, copies inside the same project too, and
//                         each names the copies in other projects: "same
//                         content as B/x.stl (+2 more)". Copies within one
//                         project alone are not reported (plates, variants).
//      no_images          a live project with files, none of them an image;
//      no_models          a live project with files, none of them a 3D model.
//                         A project without live files gets neither: it is
//                         reported empty (or its files unreadable) already.
//      undecodable_image  a live file whose content the picture maker could
//      unparsable_model   not make a picture of (picture_failures.h), with
//      picture_over_cap   its reason as detail; one per file with that
//                         content. Notices: the file is indexed, only its
//                         picture is missing.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "index/catalog.h"

namespace lima::index {

/// The whole report, sorted by path, then by kind name. Reads the problems
/// table, the picture failures and the live copies of each failed content,
/// shared_content and the copies of each shared content, and
/// projects_lacking: its cost follows the problems, never the number of
/// projects or assets.
std::vector<Problem> library_problems(Catalog& c, const Txn& t);

/// How many problems of each kind `problems` holds: the kinds present, in
/// kProblemKinds order.
std::vector<std::pair<ProblemKind, std::size_t>> count_by_kind(const std::vector<Problem>& problems);

}  // namespace lima::index
