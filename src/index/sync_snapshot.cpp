#include "index/sync_snapshot.h"

#include <algorithm>

namespace lima::index {

namespace {

std::uint64_t inode_slot(std::uint64_t dev, std::uint64_t ino) { return ino * 0x9E3779B97F4A7C15ull ^ dev; }

}  // namespace

void ProjectBook::open(const Catalog& c, bool whole) {
  cat_ = &c;
  whole_ = false;
  projects_.clear();
  by_id_.clear();
  live_by_name_.clear();
  by_ino_.clear();
  if (whole) load_all();
}

void ProjectBook::load_all() {
  if (whole_) return;
  ReadTxn t(const_cast<Catalog&>(*cat_).env());
  projects_.clear();
  by_id_.clear();
  live_by_name_.clear();
  by_ino_.clear();
  for (auto& p : cat_->projects(t, true)) projects_.push_back(std::move(p));
  for (std::size_t i = 0; i < projects_.size(); ++i) index(i);
  whole_ = true;
}

void ProjectBook::index(std::size_t i) {
  const Project& p = projects_[i];
  by_id_[p.id] = i;
  if (p.state == ItemState::live) live_by_name_[p.name] = i;
  by_ino_.emplace(inode_slot(p.dev, p.ino), i);
}

const Project* ProjectBook::find(ProjectId id) {
  if (auto it = by_id_.find(id); it != by_id_.end()) return &projects_[it->second];
  if (whole_ || id == kRootProject) return nullptr;
  ReadTxn t(const_cast<Catalog&>(*cat_).env());
  auto p = cat_->project(t, id);
  if (!p) return nullptr;
  projects_.push_back(std::move(*p));
  index(projects_.size() - 1);
  return &projects_.back();
}

const Project* ProjectBook::live_named(std::string_view name) {
  if (auto it = live_by_name_.find(std::string(name)); it != live_by_name_.end()) return &projects_[it->second];
  if (whole_) return nullptr;
  std::optional<ProjectId> id;
  {
    ReadTxn t(const_cast<Catalog&>(*cat_).env());
    id = cat_->project_id_by_name(t, name);
  }
  const Project* p = id ? find(*id) : nullptr;
  return p && p->state == ItemState::live && p->name == name ? p : nullptr;
}

std::vector<ProjectId> ProjectBook::with_inode(std::uint64_t dev, std::uint64_t ino) {
  load_all();
  std::vector<ProjectId> out;
  auto [b, e] = by_ino_.equal_range(inode_slot(dev, ino));
  for (auto it = b; it != e; ++it) {
    const Project& p = projects_[it->second];
    if (p.dev == dev && p.ino == ino) out.push_back(p.id);
  }
  return out;
}

std::vector<ProjectId> ProjectBook::candidates(const SeenProject& s) {
  // The usual case, a folder still where and what it was, needs its own
  // record only.
  if (const Project* p = live_named(s.name); p && p->dev == s.dev && p->ino == s.ino && !whole_) return {p->id};
  std::vector<ProjectId> out = with_inode(s.dev, s.ino);
  if (const Project* p = live_named(s.name); p && std::find(out.begin(), out.end(), p->id) == out.end())
    out.push_back(p->id);
  return out;
}

const std::deque<Project>& ProjectBook::all() {
  load_all();
  return projects_;
}

void ProjectBook::apply(const std::vector<ProjectChange>& changes) {
  for (const auto& [before, after] : changes) {
    auto it = by_id_.find(after.id);
    if (it == by_id_.end()) {
      projects_.push_back(after);
      index(projects_.size() - 1);
      continue;
    }
    Project& p = projects_[it->second];
    if (p.state == ItemState::live) {
      auto named = live_by_name_.find(p.name);
      if (named != live_by_name_.end() && named->second == it->second) live_by_name_.erase(named);
    }
    auto [b, e] = by_ino_.equal_range(inode_slot(p.dev, p.ino));
    for (auto i = b; i != e; ++i)
      if (i->second == it->second) {
        by_ino_.erase(i);
        break;
      }
    p = after;
    index(it->second);
  }
}

std::size_t ProjectBook::live_count() {
  load_all();
  return live_by_name_.size();
}

std::vector<Asset> assets_of_project(const Catalog& c, const Txn& t, ProjectId id) {
  std::vector<Asset> out = c.assets_of(t, id);
  std::vector<Asset> tombs = c.tombstones_of(t, id);
  out.insert(out.end(), std::make_move_iterator(tombs.begin()), std::make_move_iterator(tombs.end()));
  return out;
}

void SnapshotBuilder::add_record(ProjectId id) {
  if (id == kRootProject || !projects_.insert(id).second) return;
  if (const Project* p = book_.find(id)) snap_.projects.push_back(*p);
}

void SnapshotBuilder::add_asset(Asset&& a) {
  if (!assets_.emplace(a.id, a.project).second) return;
  add_record(a.project);
  snap_.assets.push_back(std::move(a));
}

void SnapshotBuilder::add_asset_id(AssetId id) {
  if (assets_.count(id)) return;
  if (auto a = c_.asset(t_, id)) add_asset(std::move(*a));
}

void SnapshotBuilder::add_project(ProjectId id) {
  add_record(id);
  if (!whole_.insert(id).second) return;
  for (auto& a : assets_of_project(c_, t_, id)) add_asset(std::move(a));
}

void SnapshotBuilder::add_assets(std::vector<Asset>&& assets, const std::vector<ProjectId>& whole,
                                 const std::unordered_set<AssetId>& stale) {
  for (ProjectId id : whole) {
    add_record(id);
    whole_.insert(id);
  }
  for (auto& a : assets) {
    if (stale.count(a.id)) add_asset_id(a.id);
    else add_asset(std::move(a));
  }
}

void SnapshotBuilder::add_by_inode(std::uint64_t dev, std::uint64_t ino) {
  for (AssetId id : c_.assets_with_inode(t_, dev, ino)) add_asset_id(id);
}

void SnapshotBuilder::add_by_hash(const ContentHash& h, std::vector<ProjectId>* tombstone_projects) {
  for (AssetId id : c_.assets_with_hash(t_, h)) {
    add_asset_id(id);
    if (!tombstone_projects) continue;
    // Only a tombstoned project's content can make a folder that project.
    if (auto it = assets_.find(id); it != assets_.end())
      if (const Project* p = book_.find(it->second); p && p->state == ItemState::tombstone)
        tombstone_projects->push_back(p->id);
  }
}

Snapshot SnapshotBuilder::take(std::uint64_t next_project_id, std::uint64_t next_asset_id) {
  snap_.next_project_id = next_project_id;
  snap_.next_asset_id = next_asset_id;
  return std::move(snap_);
}

}  // namespace lima::index
