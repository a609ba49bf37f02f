#include "fs/invalidator.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <unordered_set>

#include "index/metadata.h"

namespace lima::fs {

using index::ReadTxn;
using Kind = Place::Kind;

Invalidator::Invalidator(const Tree& tree, NodeTable& nodes, Notifier& notifier, ReplyGate& gate)
    : tree_(tree), nodes_(nodes), notifier_(notifier), gate_(gate), thread_([this] { run(); }) {}

Invalidator::~Invalidator() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Invalidator::changed(const index::Changes& c) {
  {
    std::lock_guard lock(mu_);
    pending_.merge(c);
    has_pending_ = true;
    ++queued_;
  }
  cv_.notify_all();
}

void Invalidator::flush() {
  std::unique_lock lock(mu_);
  const auto target = queued_;
  cv_.wait(lock, [&] { return stop_ || done_ >= target; });
}

void Invalidator::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || has_pending_; });
    if (stop_) return;
    index::Changes c = std::move(pending_);
    pending_ = index::Changes{};
    has_pending_ = false;
    const auto upto = queued_;
    lock.unlock();
    c.normalize();
    try {
      apply(c);
    } catch (const std::exception&) {
      // An index read failed: nothing sensible is left to push. The next
      // change (or the caches' own expiry) repairs the view.
    }
    lock.lock();
    done_ = upto;
    cv_.notify_all();
  }
}

namespace {

bool contains(const std::vector<std::uint64_t>& sorted, std::uint64_t v) {
  return std::binary_search(sorted.begin(), sorted.end(), v);
}

// apply(), step by step: what the change touches, which nodes the kernel
// knows among them, their new listings, then what the kernel is told.

/// The items a change touches.
struct Touched {
  /// Tags whose directories can list something different now.
  std::unordered_set<index::TagId> tags;
  /// Projects whose record or files were written (sorted, unique).
  std::vector<std::uint64_t> written;
  /// Those and the projects that gained or lost a tag.
  std::vector<std::uint64_t> projects;
  /// Assets written, and those that gained or lost a tag.
  std::vector<std::uint64_t> assets;
};

Touched touched_by(const Tree& tree, const index::Changes& c) {
  Touched w;
  w.written = c.projects;
  w.written.insert(w.written.end(), c.project_files.begin(), c.project_files.end());
  std::sort(w.written.begin(), w.written.end());
  w.written.erase(std::unique(w.written.begin(), w.written.end()), w.written.end());
  w.projects = w.written;
  w.projects.insert(w.projects.end(), c.tagged_projects.begin(), c.tagged_projects.end());
  w.assets = c.assets;
  w.assets.insert(w.assets.end(), c.tagged_assets.begin(), c.tagged_assets.end());

  // The tags that changed, and every tag of an item that gained or lost one
  // or was written, and of every asset of a project whose record or files
  // were written (a rename changes their names; a new file can give a
  // sibling of the same name its " ~id").
  w.tags.insert(c.tags.begin(), c.tags.end());
  ReadTxn t(tree.catalog().env());
  index::Metadata meta(tree.catalog());
  auto add = [&](const std::vector<index::TagId>& v) { w.tags.insert(v.begin(), v.end()); };
  for (auto p : c.tagged_projects) add(meta.project_tag_ids(t, p));
  for (auto a : c.tagged_assets) add(meta.asset_tag_ids(t, a));
  for (auto a : c.assets) add(meta.asset_tag_ids(t, a));
  for (auto p : c.projects) add(meta.project_tag_ids(t, p));
  for (auto p : w.written)
    tree.catalog().assets_under(t, p, "", [&](const index::Asset& a) { add(meta.asset_tag_ids(t, a.id)); });
  return w;
}

/// A directory whose listing can differ now, with the listing it last
/// served, if kept.
struct Dir {
  NodeInfo node;
  std::shared_ptr<const Listing> before;
  std::uint64_t generation = 0;
};

/// The nodes the kernel knows that a change can affect.
struct Affected {
  std::unordered_map<NodeId, Dir> dirs;
  /// Per directory, the names in it that can now be gone or mean something
  /// else.
  std::unordered_map<NodeId, std::vector<NodeInfo>> suspects;
};

Affected affected_nodes(NodeTable& nodes, ReplyGate& gate, const index::Changes& c, const Touched& w) {
  const bool projects_changed = !c.projects.empty();
  const bool anything = !c.empty();
  auto touched = [&](const Place& p) {
    switch (p.kind) {
      case Kind::projects: return projects_changed;
      case Kind::tags: return c.tag_names;
      case Kind::tag_set:  // a renamed tag renames "+tag" entries anywhere
        return c.tag_names ||
               std::any_of(p.tags.begin(), p.tags.end(), [&](index::TagId t) { return w.tags.contains(t); });
      case Kind::collections: return c.collection_names;
      case Kind::collection: return contains(c.collections, p.id) || projects_changed;
      case Kind::untagged: return projects_changed || !c.tagged_projects.empty();
      case Kind::search: return anything;
      case Kind::searches: return c.saved_searches;
      case Kind::saved_search: return anything;
      default: return false;
    }
  };

  // One step as far as replies go: a reply sent before it came with its
  // node already in the table (and is found below); one sent after it was
  // computed before it is told to expire at once. Only the node table is
  // touched here: nothing that waits on the kernel.
  auto step = gate.advance();

  // The directories: the view's own (few) and the mirror folders of the
  // projects whose files or record changed.
  Affected a;
  for (auto& d : nodes.view_directories(touched)) a.dirs.emplace(d.id, Dir{std::move(d), nullptr, 0});
  for (auto& n : nodes.referring(Ref::project, w.written))
    if (n.entry.type == EntryType::dir) a.dirs.emplace(n.id, Dir{std::move(n), nullptr, 0});
  for (auto& [id, dir] : a.dirs) {
    dir.before = nodes.listing(id);
    dir.generation = nodes.invalidate(id);
  }

  // The names in them standing for an item the change names. Whole
  // directories where membership itself changed (a collection's) or
  // matching did (a renamed tag, for searches; a saved search renamed,
  // deleted or given a new query).
  auto suspect = [&](NodeInfo n) {
    if (a.dirs.contains(n.parent)) a.suspects[n.parent].push_back(std::move(n));
  };
  for (auto& n : nodes.referring(Ref::project, w.projects))  // its folders; links to its files if written
    if (n.entry.place.kind == Kind::mirror || contains(w.written, n.entry.place.owner)) suspect(std::move(n));
  for (auto& n : nodes.referring(Ref::asset, w.assets)) suspect(std::move(n));
  for (auto& n : nodes.referring(Ref::tag, c.tags)) suspect(std::move(n));
  for (auto& n : nodes.referring(Ref::collection, c.collections)) suspect(std::move(n));
  for (const auto& [id, dir] : a.dirs)
    if ((dir.node.entry.place.kind == Kind::collection && contains(c.collections, dir.node.entry.place.id)) ||
        (dir.node.entry.place.kind == Kind::search && c.tag_names) ||
        (dir.node.entry.place.kind == Kind::saved_search && (c.tag_names || c.saved_searches)) ||
        (dir.node.entry.place.kind == Kind::searches && c.saved_searches))
      a.suspects[id] = nodes.children(id);
  return a;
}

/// The directories of one place (a project's folder may be known under
/// several parents), and whether its listing changed.
struct Group {
  Place place;
  std::vector<NodeId> ids;
  std::shared_ptr<const Listing> before, now;
  bool changed = true;
};
using Groups = std::unordered_map<std::string, Group>;

Groups group_by_place(const Affected& a) {
  Groups groups;
  for (const auto& [id, dir] : a.dirs) {
    auto& g = groups[place_key(dir.node.entry.place)];
    g.place = dir.node.entry.place;
    g.ids.push_back(id);
    if (!g.before) g.before = dir.before;
  }
  return groups;
}

/// What the kernel is told about the suspects.
struct Verdicts {
  std::vector<std::pair<NodeId, std::string>> replaced;  // names that now stand for something else
  std::vector<std::pair<NodeId, NodeInfo>> deleted;      // (directory, child)
  std::vector<NodeId> changed;                            // same item, new attributes
};

// Which listings changed, decided once per place. Where the daemon kept the
// listing it served, the new one is made and compared (and kept: the kernel
// asks for it next); projects/ and untagged/ are brought up to date for the
// projects the change names only. A directory nobody listed since it last
// changed, whose listing was dropped to save memory, or too large to list
// again at every change (a tag on most of the library), counts as changed.
// Returns each directory's group.
std::unordered_map<NodeId, const Group*> relist(const ReadTxn& t, const Tree& tree, NodeTable& nodes, Groups& groups,
                                                const Affected& a, const Touched& w) {
  constexpr std::size_t kMaxRelisted = 20'000;
  std::unordered_map<NodeId, const Group*> group_of;
  for (auto& [key, g] : groups) {
    if (g.before && Tree::lists_every_project(g.place)) {
      auto now = tree.updated_projects(t, g.place, *g.before, w.projects);
      g.now = now ? std::make_shared<const Listing>(std::move(*now)) : g.before;
      g.changed = !g.now->same_names(*g.before);
    } else if (g.before && g.before->entries().size() <= kMaxRelisted) {
      g.now = std::make_shared<const Listing>(tree.list(t, g.place));
      g.changed = !g.now->same_names(*g.before);
    }
    for (NodeId id : g.ids) {
      group_of.emplace(id, &g);
      if (g.now) nodes.keep_listing(id, g.now, a.dirs.at(id).generation);
    }
  }
  return group_of;
}

// Each suspect, looked up in its directory's new listing (or revalidated
// when there is none): gone, replaced, or the same item with new
// attributes.
void judge_suspects(const ReadTxn& t, const Tree& tree, NodeTable& nodes, Affected& a,
                    const std::unordered_map<NodeId, const Group*>& group_of, Verdicts& v) {
  for (auto& [dir_id, known] : a.suspects) {
    // One node may be named twice (an asset and its project both changed).
    std::sort(known.begin(), known.end(), [](const NodeInfo& x, const NodeInfo& y) { return x.id < y.id; });
    known.erase(std::unique(known.begin(), known.end(), [](const NodeInfo& x, const NodeInfo& y) { return x.id == y.id; }),
                known.end());
    const Group& g = *group_of.at(dir_id);
    std::vector<std::optional<Entry>> now;
    if (g.now) {
      for (const auto& k : known) {
        const Entry* e = g.now->find(k.name);
        now.push_back(e ? std::optional<Entry>(*e) : std::nullopt);
      }
    } else {
      std::vector<Entry> entries;
      entries.reserve(known.size());
      for (const auto& k : known) entries.push_back(k.entry);
      now = tree.revalidate(t, g.place, entries);
    }
    for (std::size_t i = 0; i < known.size(); ++i) {
      const auto& child = known[i];
      if (!now[i]) {
        v.deleted.emplace_back(dir_id, child);
      } else if (!(now[i]->place == child.entry.place) || now[i]->type != child.entry.type) {
        v.replaced.emplace_back(dir_id, child.name);
      } else if (!now[i]->same_as(child.entry)) {
        nodes.update_entry(child.id, *now[i]);
        v.changed.push_back(child.id);
      }
    }
  }
}

// Tells the kernel, holding no read transaction (it may wait on requests in
// flight). Only changed listings move their directory's mtime.
void tell_kernel(NodeTable& nodes, Notifier& notifier, const Groups& groups, const Affected& a, const Verdicts& v) {
  const auto when = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  for (const auto& [key, g] : groups)
    if (g.changed) nodes.moved(g.ids, when);
  // Attributes (the mtime just moved) and cached listings of the directories.
  for (const auto& [id, dir] : a.dirs) notifier.inval_inode(id);
  // Removed names are deleted from the kernel's caches (an inotify watcher
  // on a removed folder itself, a window showing it, hears IN_DELETE_SELF);
  // the node is taken out so that the name, when it comes back, is a new one.
  for (const auto& [dir_id, child] : v.deleted) {
    nodes.detach(child.id);
    // The kernel deletes a folder only when none of its names is in use (a
    // shell inside it): drop those first, they are gone with it.
    if (child.entry.type == EntryType::dir)
      for (const auto& grandchild : nodes.children(child.id)) notifier.inval_entry(child.id, grandchild.name);
    notifier.delete_entry(dir_id, child.id, child.name);
  }
  for (const auto& [dir_id, name] : v.replaced) notifier.inval_entry(dir_id, name);
  for (NodeId id : v.changed) notifier.inval_inode(id);
}

}  // namespace

void Invalidator::apply(const index::Changes& c) {
  const Touched w = touched_by(tree_, c);
  Affected affected = affected_nodes(nodes_, gate_, c, w);
  Groups groups = group_by_place(affected);
  Verdicts verdicts;
  try {
    // Decided with one index read.
    ReadTxn t(tree_.catalog().env());
    const auto group_of = relist(t, tree_, nodes_, groups, affected, w);
    judge_suspects(t, tree_, nodes_, affected, group_of, verdicts);
  } catch (const std::exception&) {
    // The index could not be read: every listing counts as changed, every
    // suspect goes, to be looked up anew.
    for (auto& [key, g] : groups) g.changed = true;
    verdicts = Verdicts{};
    for (const auto& [dir_id, known] : affected.suspects)
      for (const auto& k : known) verdicts.replaced.emplace_back(dir_id, k.name);
  }
  tell_kernel(nodes_, notifier_, groups, affected, verdicts);
}

}  // namespace lima::fs
