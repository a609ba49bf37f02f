#include "fs/node_table.h"

#include <xxhash.h>

namespace lima::fs {

NodeTable::NodeTable(Entry root, std::size_t listing_budget) : budget_(listing_budget) {
  Node n;
  n.entry = std::move(root);
  n.ino = kRootIno;
  n.nlookup = 1;  // the kernel never forgets the root
  nodes_.emplace(kRootNode, std::move(n));
}

std::uint64_t NodeTable::ino_locked(const Node& parent, std::string_view name) const {
  std::uint64_t seed = parent.ino;
  for (;;) {
    const std::uint64_t ino = XXH3_64bits_withSeed(name.data(), name.size(), seed);
    bool clash = ino <= kRootIno;
    for (const Node* a = &parent; !clash; ) {
      if (a->ino == ino) clash = true;
      if (a->parent == 0) break;
      auto it = nodes_.find(a->parent);
      if (it == nodes_.end()) break;
      a = &it->second;
    }
    if (!clash) return ino;
    ++seed;  // deterministic, so the path keeps this number
  }
}

// The items a node's validity depends on (see Ref).
void NodeTable::index_locked(NodeId id, const Entry& e, bool add) {
  std::vector<RefKey> keys;
  switch (e.place.kind) {
    case Place::Kind::mirror: keys.push_back({Ref::project, e.place.id}); break;
    case Place::Kind::link:
      keys.push_back({Ref::asset, e.place.id});
      keys.push_back({Ref::project, e.place.owner});
      break;
    case Place::Kind::tag_set:
      if (!e.place.tags.empty()) keys.push_back({Ref::tag, e.place.tags.back()});
      break;
    case Place::Kind::collection: keys.push_back({Ref::collection, e.place.id}); break;
    default: break;
  }
  for (const auto& k : keys) {
    if (add) {
      refs_.emplace(k, id);
      continue;
    }
    auto [from, to] = refs_.equal_range(k);
    for (auto it = from; it != to; ++it)
      if (it->second == id) {
        refs_.erase(it);
        break;
      }
  }
  if (e.type == EntryType::dir && e.place.kind != Place::Kind::mirror) {
    if (add) view_dirs_.insert(id);
    else view_dirs_.erase(id);
  }
}

std::uint64_t NodeTable::ino_of(NodeId parent, std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(parent);
  return it == nodes_.end() ? 0 : ino_locked(it->second, name);
}

std::optional<NodeRef> NodeTable::remember(NodeId parent, const Entry& e, bool fresh) {
  std::lock_guard lock(mu_);
  auto pit = nodes_.find(parent);
  if (pit == nodes_.end()) return std::nullopt;
  auto cit = children_.find(ChildKey{parent, e.name});
  if (cit != children_.end()) {
    Node& n = nodes_.at(cit->second);
    if (n.entry.place == e.place && n.entry.type == e.type) {
      ++n.nlookup;
      if (fresh) n.entry = e;
      return NodeRef{cit->second, n.ino, std::max(n.entry.mtime_ns, n.changed_ns)};
    }
    // The name now stands for something else: a new node (a node id always
    // means one place); the old one lives on until the kernel forgets it.
    children_.erase(cit);
  }
  Node n;
  n.parent = parent;
  n.name = e.name;
  n.entry = e;
  n.ino = ino_locked(pit->second, e.name);
  n.nlookup = 1;
  n.changed_ns = place_time_locked(e);
  const NodeId id = next_id_++;
  const NodeRef ref{id, n.ino, std::max(e.mtime_ns, n.changed_ns)};
  index_locked(id, e, true);
  nodes_.emplace(id, std::move(n));
  children_.emplace(ChildKey{parent, e.name}, id);
  return ref;
}

std::int64_t NodeTable::place_time_locked(const Entry& e) const {
  if (e.type != EntryType::dir || place_times_.empty()) return 0;
  auto it = place_times_.find(place_key(e.place));
  return it == place_times_.end() ? 0 : it->second;
}

NodeInfo NodeTable::info_locked(NodeId id, const Node& n) const {
  return NodeInfo{id, n.parent, n.name, n.entry, n.ino, n.generation, n.changed_ns};
}

std::optional<NodeInfo> NodeTable::get(NodeId id) const {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return std::nullopt;
  return info_locked(id, it->second);
}

void NodeTable::forget(NodeId id, std::uint64_t n) {
  if (id == kRootNode) return;
  std::lock_guard lock(mu_);
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return;
  Node& node = it->second;
  node.nlookup = n >= node.nlookup ? 0 : node.nlookup - n;
  if (node.nlookup > 0) return;
  drop_listing_locked(node);
  index_locked(id, node.entry, false);
  auto cit = children_.find(ChildKey{node.parent, node.name});
  if (cit != children_.end() && cit->second == id) children_.erase(cit);
  nodes_.erase(it);
}

void NodeTable::update_entry(NodeId id, const Entry& e) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(id);
  if (it != nodes_.end()) it->second.entry = e;
}

void NodeTable::drop_listing_locked(Node& n) {
  if (!n.listing) return;
  listing_entries_ -= n.listing->entries().size();
  lru_.erase(n.lru);
  n.listing.reset();
}

std::shared_ptr<const Listing> NodeTable::listing(NodeId id) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(id);
  if (it == nodes_.end() || !it->second.listing) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.listing;
}

void NodeTable::keep_listing(NodeId id, std::shared_ptr<const Listing> listing, std::uint64_t generation) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(id);
  if (it == nodes_.end() || it->second.generation != generation) return;
  Node& n = it->second;
  drop_listing_locked(n);
  listing_entries_ += listing->entries().size();
  n.listing = std::move(listing);
  lru_.push_front(id);
  n.lru = lru_.begin();
  // Over budget: drop the least recently used listings (never the new one).
  while (listing_entries_ > budget_ && lru_.size() > 1) {
    auto victim = nodes_.find(lru_.back());
    if (victim == nodes_.end()) {
      lru_.pop_back();
      continue;
    }
    drop_listing_locked(victim->second);
  }
}

std::uint64_t NodeTable::invalidate(NodeId id) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return 0;
  Node& n = it->second;
  drop_listing_locked(n);
  return ++n.generation;
}

std::int64_t NodeTable::moved(const std::vector<NodeId>& ids, std::int64_t when_ns) {
  std::lock_guard lock(mu_);
  std::vector<Node*> found;
  std::int64_t to = when_ns;
  for (NodeId id : ids) {
    auto it = nodes_.find(id);
    if (it == nodes_.end()) continue;
    Node& n = it->second;
    found.push_back(&n);
    to = std::max(to, std::max({n.entry.mtime_ns, n.changed_ns, place_time_locked(n.entry)}) + 1);
  }
  if (found.empty()) return 0;
  for (Node* n : found) n->changed_ns = to;
  // Bounded: past the limit, forget the places no node stands for.
  constexpr std::size_t kMaxPlaceTimes = 100'000;
  if (place_times_.size() >= kMaxPlaceTimes) {
    std::unordered_set<std::string> known;
    for (const auto& [id, n] : nodes_)
      if (n.entry.type == EntryType::dir) known.insert(place_key(n.entry.place));
    std::erase_if(place_times_, [&](const auto& kv) { return !known.contains(kv.first); });
  }
  place_times_[place_key(found.front()->entry.place)] = to;
  return to;
}

void NodeTable::detach(NodeId id) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return;
  auto cit = children_.find(ChildKey{it->second.parent, it->second.name});
  if (cit != children_.end() && cit->second == id) children_.erase(cit);
}

std::vector<NodeInfo> NodeTable::view_directories(const std::function<bool(const Place&)>& pred) const {
  std::lock_guard lock(mu_);
  std::vector<NodeInfo> out;
  for (NodeId id : view_dirs_) {
    auto it = nodes_.find(id);
    if (it != nodes_.end() && pred(it->second.entry.place)) out.push_back(info_locked(id, it->second));
  }
  return out;
}

std::vector<NodeInfo> NodeTable::referring(Ref ref, const std::vector<std::uint64_t>& ids) const {
  std::lock_guard lock(mu_);
  std::vector<NodeInfo> out;
  for (auto item : ids) {
    auto [from, to] = refs_.equal_range(RefKey{ref, item});
    for (auto it = from; it != to; ++it) {
      auto n = nodes_.find(it->second);
      if (n != nodes_.end()) out.push_back(info_locked(it->second, n->second));
    }
  }
  return out;
}

std::vector<NodeInfo> NodeTable::children(NodeId id) const {
  std::lock_guard lock(mu_);
  std::vector<NodeInfo> out;
  for (auto it = children_.lower_bound(ChildKey{id, std::string()}); it != children_.end() && it->first.first == id;
       ++it) {
    auto n = nodes_.find(it->second);
    if (n != nodes_.end()) out.push_back(info_locked(it->second, n->second));
  }
  return out;
}

std::size_t NodeTable::size() const {
  std::lock_guard lock(mu_);
  return nodes_.size();
}

std::size_t NodeTable::listing_entries() const {
  std::lock_guard lock(mu_);
  return listing_entries_;
}

}  // namespace lima::fs
