// The tree: what each place of the mounted view holds, answered from the
// index inside the caller's read transaction. A Place is the meaning of one
// directory or file of the view (DESIGN §3); the tree lists a directory and
// looks a name up in it. No FUSE here: fuse_server turns answers into replies
// and the node table remembers the places the kernel knows.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "index/catalog.h"
#include "index/metadata.h"
#include "index/search.h"

namespace lima::fs {

struct Place {
  enum class Kind : std::uint8_t {
    root, readme, projects, tags, tag_set, collections, collection, search_root, search, untagged,
    meta, status, stats, problems,
    mirror,  ///< a folder of a project, wherever the project appears
    link,    ///< a symlink to an asset's real file
  };
  Kind kind = Kind::root;
  std::vector<index::TagId> tags;  ///< tag_set: the path's tags, in path order
  std::uint64_t id = 0;            ///< collection: its id; mirror: the project; link: the asset
  std::string text;                ///< search: the query; mirror: the folder inside the project ("" = top)
  std::uint64_t owner = 0;         ///< link: the asset's project
  bool operator==(const Place&) const = default;
};

/// A key naming a place: equal for equal places, different otherwise.
std::string place_key(const Place& p);

enum class EntryType : std::uint8_t { dir, link, file };

/// One name of a directory of the view, with everything stat() shows.
struct Entry {
  std::string name;
  Place place;
  EntryType type = EntryType::dir;
  std::int64_t mtime_ns = 0;
  std::uint64_t size = 0;  ///< link: target length; file: content bytes
  std::string target;      ///< link: absolute path of the real file
  /// Same place and attributes (the name aside).
  bool same_as(const Entry& o) const {
    return place == o.place && type == o.type && mtime_ns == o.mtime_ns && size == o.size && target == o.target;
  }
};

/// A directory's entries in listing order, with a name index. Immutable once
/// made: readdir offsets are positions in `entries`.
class Listing {
 public:
  /// Keeps the first of entries that share a name.
  explicit Listing(std::vector<Entry> entries);
  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* find(std::string_view name) const;
  /// True when both hold the same names, in the same order, for the same
  /// places and types: what a listing shows (attributes aside).
  bool same_names(const Listing& o) const;

 private:
  std::vector<Entry> entries_;
  std::unordered_map<std::string_view, std::size_t> by_name_;
};

class Tree {
 public:
  /// `stats_text` renders MOUNT/.limafs/stats (kept by the FUSE adapter).
  Tree(index::Catalog& catalog, std::filesystem::path library_root, std::function<std::string()> stats_text,
       std::string api_url = {}, std::function<std::string()> live_status = {});

  const std::string& library_root() const { return root_; }
  index::Catalog& catalog() const { return c_; }
  /// The entry of the mount's root directory itself.
  Entry root() const;

  /// True for directories whose names are found through their listing
  /// (tag sets and searches: flattened names cannot be parsed back).
  static bool looks_up_by_listing(const Place& dir);
  /// The entry `name` of directory `dir`; nullopt when there is none.
  std::optional<Entry> lookup(const index::ReadTxn& t, const Place& dir, std::string_view name) const;
  /// Every entry of directory `dir`, in listing order (by name; a
  /// collection in its own order).
  std::vector<Entry> list(const index::ReadTxn& t, const Place& dir) const;
  /// For entries of `dir` the kernel knows: each one's current entry while
  /// `dir` still holds it under the same name, else nullopt. Cheaper than
  /// list() when few entries are asked about.
  std::vector<std::optional<Entry>> revalidate(const index::ReadTxn& t, const Place& dir,
                                               const std::vector<Entry>& known) const;
  /// True for projects/ and untagged/, whose listings hold up to every
  /// project: they are brought up to date with updated_projects(), never
  /// listed again because of one change.
  static bool lists_every_project(const Place& dir);
  /// The listing of a lists_every_project() directory that was `old`, with
  /// the projects `ids` as they are now (added, dropped, renamed, their
  /// attributes) and every other entry as it was; nullopt when nothing of
  /// theirs changed. Reads only those projects.
  std::optional<std::vector<Entry>> updated_projects(const index::ReadTxn& t, const Place& dir, const Listing& old,
                                                     const std::vector<index::ProjectId>& ids) const;
  /// The contents of a file place (README.txt, .limafs/status, .limafs/stats,
  /// .limafs/problems.txt).
  std::string read(const index::ReadTxn& t, const Place& file) const;
  /// The size of read(t, file), without copying it: what stat() shows.
  /// For .limafs/problems.txt as cheap as a look at a cache.
  std::uint64_t size_of(const index::ReadTxn& t, const Place& file) const;
  /// How many times the problem report was rendered so far: once per index
  /// change at most, however often it is looked at.
  std::uint64_t reports_rendered() const;

 private:
  struct LinkNames;
  Entry dir_entry(std::string name, Place place, std::int64_t mtime_ns) const;
  Entry file_entry(const index::ReadTxn& t, std::string name, Place place) const;
  std::optional<Entry> project_entry(const index::ReadTxn& t, index::ProjectId id) const;
  std::optional<Entry> mirror_lookup(const index::ReadTxn& t, const Place& dir, std::string_view name) const;
  std::vector<Entry> mirror_list(const index::ReadTxn& t, const Place& dir) const;
  std::vector<Entry> tag_set_list(const index::ReadTxn& t, const Place& dir) const;
  std::vector<Entry> search_list(const index::ReadTxn& t, const Place& dir) const;
  /// The search a search/ directory's name asks for; nullopt when it is no
  /// valid query (looked up as ENOENT).
  std::optional<index::Search> parse_search(std::string_view text) const;
  std::string status_text(const index::ReadTxn& t) const;
  std::string problems_text(const index::ReadTxn& t) const;
  std::shared_ptr<const std::string> problems_report(const index::ReadTxn& t) const;

  index::Catalog& c_;
  index::Metadata meta_;
  std::string root_;
  std::function<std::string()> stats_text_;
  std::string api_url_;
  std::function<std::string()> live_status_;
  std::int64_t view_time_ns_ = 0;
  // The problem report reads the whole index: rendered once per index
  // snapshot (the LMDB transaction id it was read in) and shared by every
  // stat, lookup and open until the index changes.
  struct ReportCache {
    std::mutex mu;
    std::uint64_t txn_id = 0;
    std::shared_ptr<const std::string> text;
    std::uint64_t rendered = 0;
  };
  mutable ReportCache report_;
};

/// What MOUNT/README.txt says.
std::string_view readme_text();

}  // namespace lima::fs
