#include "fs/invalidator.h"

#include <algorithm>
#include <unordered_set>

#include "index/metadata.h"

namespace lima::fs {

using index::ReadTxn;
using Kind = Place::Kind;

std::shared_ptr<const Listing> make_listing(const Tree& tree, const Place& dir) {
  ReadTxn t(tree.catalog().env());
  return std::make_shared<const Listing>(tree.list(t, dir));
}

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
    rounds_.fetch_add(1);
    lock.lock();
    done_ = upto;
    cv_.notify_all();
  }
}

namespace {

bool contains(const std::vector<std::uint64_t>& sorted, std::uint64_t v) {
  return std::binary_search(sorted.begin(), sorted.end(), v);
}

}  // namespace

void Invalidator::apply(const index::Changes& c) {
  // Which tags' directories can list something different now: the tags that
  // changed, and every tag of an item that gained or lost one, was written
  // (renamed, moved, removed) or belongs to a project that was.
  std::unordered_set<index::TagId> tags(c.tags.begin(), c.tags.end());
  {
    ReadTxn t(tree_.catalog().env());
    index::Metadata meta(tree_.catalog());
    auto add = [&](const std::vector<index::TagId>& v) { tags.insert(v.begin(), v.end()); };
    for (auto p : c.tagged_projects) add(meta.project_tag_ids(t, p));
    for (auto a : c.tagged_assets) add(meta.asset_tag_ids(t, a));
    for (auto a : c.assets) add(meta.asset_tag_ids(t, a));
    for (auto p : c.projects) {
      add(meta.project_tag_ids(t, p));
      tree_.catalog().assets_under(t, p, "", [&](const index::Asset& a) { add(meta.asset_tag_ids(t, a.id)); });
    }
  }
  const bool projects_changed = !c.projects.empty();
  const bool anything = !c.empty();
  auto touched = [&](const Place& p) {
    switch (p.kind) {
      case Kind::projects: return projects_changed;
      case Kind::mirror: return contains(c.projects, p.id) || contains(c.project_files, p.id);
      case Kind::tags: return c.tag_names;
      case Kind::tag_set:
        return std::any_of(p.tags.begin(), p.tags.end(), [&](index::TagId t) { return tags.contains(t); });
      case Kind::collections: return c.collection_names;
      case Kind::collection: return contains(c.collections, p.id) || projects_changed;
      case Kind::untagged: return projects_changed || !c.tagged_projects.empty();
      case Kind::search: return anything;
      default: return false;
    }
  };
  const auto dirs = nodes_.directories(touched);
  if (dirs.empty()) return;

  // Which known names can now be gone or mean something else: those of the
  // items the change names (checked one by one; a directory's listing is
  // rebuilt only when next read).
  const auto suspect = [&](const Place& dir, const Entry& e) {
    if (dir.kind == Kind::collection && contains(c.collections, dir.id)) return true;  // members changed
    if (dir.kind == Kind::search && c.tag_names) return true;  // a renamed tag matches other words
    switch (e.place.kind) {
      case Kind::mirror:
        return contains(c.projects, e.place.id) || contains(c.project_files, e.place.id) ||
               contains(c.tagged_projects, e.place.id);
      case Kind::link:
        return contains(c.assets, e.place.id) || contains(c.tagged_assets, e.place.id) ||
               contains(c.projects, e.place.owner) || contains(c.project_files, e.place.owner);
      case Kind::tag_set: return !e.place.tags.empty() && contains(c.tags, e.place.tags.back());
      case Kind::collection: return contains(c.collections, e.place.id);
      default: return false;
    }
  };

  // Replies computed before this point may be stale: from now on they go out
  // with zero timeouts, and the kernel drops what it cached before.
  gate_.advance();
  for (const auto& dir : dirs) {
    nodes_.invalidate(dir.id, c.committed_ns);
    notifier_.inval_inode(dir.id);
    std::vector<NodeInfo> known;
    for (auto& child : nodes_.children(dir.id))
      if (suspect(dir.entry.place, child.entry)) known.push_back(std::move(child));
    if (known.empty()) continue;
    std::vector<Entry> entries;
    entries.reserve(known.size());
    for (const auto& k : known) entries.push_back(k.entry);
    std::vector<std::optional<Entry>> now;
    {
      ReadTxn t(tree_.catalog().env());
      now = tree_.revalidate(t, dir.entry.place, entries);
    }
    for (std::size_t i = 0; i < known.size(); ++i) {
      const auto& child = known[i];
      if (!now[i] || !(now[i]->place == child.entry.place) || now[i]->type != child.entry.type) {
        notifier_.inval_entry(dir.id, child.name);
      } else if (!now[i]->same_as(child.entry)) {
        nodes_.update_entry(child.id, *now[i]);
        notifier_.inval_inode(child.id);
      }
    }
  }
}

}  // namespace lima::fs
