// The node table: the places of the view the kernel holds references to,
// by FUSE node id, with their lookup counts and inode numbers, and the
// listings the daemon keeps for directories (bounded, least recently used
// dropped first: a listing is rebuilt identically from the index).
//
// Thread-safe. Node ids are never reused; inode numbers are a hash of the
// path, so a path keeps its st_ino across remounts, and never equal to an
// ancestor's (find and du detect loops by comparing with ancestors).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fs/tree.h"

namespace lima::fs {

using NodeId = std::uint64_t;
inline constexpr NodeId kRootNode = 1;      // FUSE_ROOT_ID
inline constexpr std::uint64_t kRootIno = 1;

/// A copy of what the table knows of a node.
struct NodeInfo {
  NodeId id = 0;
  NodeId parent = 0;
  std::string name;
  Entry entry;
  std::uint64_t ino = 0;
  std::uint64_t generation = 0;  ///< bumped each time the node's listing is invalidated
  std::int64_t changed_ns = 0;   ///< when its listing last changed (see moved())
  /// The mtime to show: the entry's, or the time its listing last changed
  /// when later. A directory's mtime moves when its listing changes, which
  /// tells file managers and the kernel's own listing cache to read it again.
  std::int64_t mtime_ns() const { return std::max(entry.mtime_ns, changed_ns); }
};

/// An item of the index a node stands for (or shows by name): what an index
/// change names, so that the nodes it can touch are found without a scan.
enum class Ref : std::uint8_t { project, asset, tag, collection };

/// What the kernel is told about a node: its id, st_ino and shown mtime.
struct NodeRef {
  NodeId id = 0;
  std::uint64_t ino = 0;
  std::int64_t mtime_ns = 0;
};

class NodeTable {
 public:
  /// `listing_budget`: how many listing entries to keep, all listings together.
  explicit NodeTable(Entry root, std::size_t listing_budget = 2'000'000);

  /// st_ino of `name` in directory `parent` (0 when parent is unknown).
  std::uint64_t ino_of(NodeId parent, std::string_view name) const;
  /// Records that the kernel was given `e` under `parent` (one more lookup
  /// reference); refreshes the entry of a node already known. Returns the
  /// node id and st_ino; nullopt when parent is unknown. A reply that may
  /// predate a change (`fresh` false) never overwrites what the table has.
  std::optional<NodeRef> remember(NodeId parent, const Entry& e, bool fresh = true);
  std::optional<NodeInfo> get(NodeId id) const;
  /// Drops n lookup references; the node goes when none is left.
  void forget(NodeId id, std::uint64_t n);
  /// Replaces a node's entry (attributes refreshed by the invalidator).
  void update_entry(NodeId id, const Entry& e);

  /// The listing kept for a directory node, or null.
  std::shared_ptr<const Listing> listing(NodeId id);
  /// Keeps a listing built from an index read started while the node's
  /// generation was `generation`; ignored when it has moved on since.
  void keep_listing(NodeId id, std::shared_ptr<const Listing> listing, std::uint64_t generation);
  /// Drops a node's listing and bumps its generation (returned): a listing
  /// read from the index before this is not kept.
  std::uint64_t invalidate(NodeId id);
  /// Records that the listing of a directory changed at `when_ns`: the
  /// shown mtime of the nodes `ids`, all of one place (a project's folder is
  /// known under several parents), moves to that time, or a nanosecond past
  /// the latest they showed when that is later; and the place keeps it when
  /// looked up again while this table lives. Returns the new mtime.
  std::int64_t moved(const std::vector<NodeId>& ids, std::int64_t when_ns);
  /// Takes a removed name out of the table: the kernel was told the node is
  /// deleted, so a later lookup of the name gets a new node, never this one.
  void detach(NodeId id);

  /// Every directory node other than project mirrors whose place
  /// satisfies pred (there are few of them: tags, collections, searches…).
  std::vector<NodeInfo> view_directories(const std::function<bool(const Place&)>& pred) const;
  /// The nodes that stand for (or are named after) one of `ids`: a project's
  /// mirror folders and the links to its files (Ref::project), the links to
  /// an asset, the tag_set directories named after a tag, a collection's
  /// directory.
  std::vector<NodeInfo> referring(Ref ref, const std::vector<std::uint64_t>& ids) const;
  /// The known children of a node: (child id, name, entry).
  std::vector<NodeInfo> children(NodeId id) const;

  std::size_t size() const;
  std::size_t listing_entries() const;

 private:
  struct Node {
    NodeId parent = 0;
    std::string name;
    Entry entry;
    std::uint64_t ino = 0;
    std::uint64_t nlookup = 0;
    std::uint64_t generation = 0;
    std::int64_t changed_ns = 0;
    std::shared_ptr<const Listing> listing;
    std::list<NodeId>::iterator lru;  // valid while listing is set
  };
  using ChildKey = std::pair<NodeId, std::string>;
  using RefKey = std::pair<Ref, std::uint64_t>;
  struct RefHash {
    std::size_t operator()(const RefKey& k) const noexcept {
      return std::hash<std::uint64_t>()(k.second * 4 + static_cast<std::uint64_t>(k.first));
    }
  };

  std::uint64_t ino_locked(const Node& parent, std::string_view name) const;
  void drop_listing_locked(Node& n);
  NodeInfo info_locked(NodeId id, const Node& n) const;
  void index_locked(NodeId id, const Entry& e, bool add);
  std::int64_t place_time_locked(const Entry& e) const;

  mutable std::mutex mu_;
  std::unordered_map<NodeId, Node> nodes_;
  std::map<ChildKey, NodeId, std::less<>> children_;
  std::unordered_multimap<RefKey, NodeId, RefHash> refs_;
  std::unordered_set<NodeId> view_dirs_;  // non-mirror directories
  // When each directory place last changed its listing (place_key), kept
  // after its nodes are forgotten so that a place's mtime never goes back.
  std::unordered_map<std::string, std::int64_t> place_times_;
  std::list<NodeId> lru_;  // most recently used first
  std::size_t listing_entries_ = 0;
  std::size_t budget_;
  NodeId next_id_ = kRootNode + 1;
};

}  // namespace lima::fs
