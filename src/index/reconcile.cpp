#include "index/reconcile.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "index/catalog.h"
#include "index/key_codec.h"
#include "index/kinds.h"

namespace lima::index {

bool path_within(std::string_view path, std::string_view dir) {
  if (dir.empty()) return true;
  return path.starts_with(dir) && (path.size() == dir.size() || path[dir.size()] == '/');
}

namespace {

constexpr std::size_t npos = static_cast<std::size_t>(-1);
// From this size on, equal content is taken as the same file wherever it is.
constexpr std::uint64_t kDistinctiveBytes = 64 * 1024;

struct DevIno {
  std::uint64_t dev, ino;
  bool operator==(const DevIno&) const = default;
};
struct DevInoHash {
  std::size_t operator()(const DevIno& d) const noexcept { return d.ino * 0x9E3779B97F4A7C15ull ^ d.dev; }
};

std::string_view base_name(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

class Reconciler {
 public:
  Reconciler(const Snapshot& snap, const InodeIndex& inodes, const std::vector<SeenProject>& seen,
             const std::vector<SeenFile>& files, const Coverage& cov, Mode mode, std::int64_t now)
      : snap_(snap), asset_by_ino_(inodes), seen_(seen), files_(files), cov_(cov), mode_(mode), now_(now) {}

  Plan run() {
    plan_.next_project_id = snap_.next_project_id;
    plan_.next_asset_id = snap_.next_asset_id;
    index_snapshot();
    match_projects_by_inode_and_name();
    match_files_by_inode_and_path();
    match_tombstoned_projects_by_inode();
    match_projects_by_content();
    new_projects();
    match_files_by_path();  // files of projects recognized by content
    match_tombstoned_files_by_inode();
    match_files_by_content();
    write_projects();
    write_files();
    write_removals();
    return std::move(plan_);
  }

 private:
  // ---- setup --------------------------------------------------------------

  void index_snapshot() {
    proj_claim_.assign(snap_.projects.size(), npos);
    seen_snap_.assign(seen_.size(), npos);
    seen_id_.assign(seen_.size(), 0);
    for (std::size_t i = 0; i < snap_.projects.size(); ++i) {
      const auto& p = snap_.projects[i];
      proj_index_[p.id] = i;
      if (p.state == ItemState::tombstone) tomb_proj_by_ino_[{p.dev, p.ino}].push_back(i);
      if (p.state != ItemState::live) continue;
      proj_by_ino_[{p.dev, p.ino}] = i;
      proj_by_name_[p.name] = i;
    }
    asset_claim_.assign(snap_.assets.size(), npos);
    file_asset_.assign(files_.size(), npos);
    files_of_.assign(seen_.size(), {});
    for (std::size_t k = 0; k < files_.size(); ++k)
      if (files_[k].project != kLooseFiles && !files_[k].gone) files_of_[files_[k].project].push_back(k);
  }

  // The project id a seen file belongs to, once known.
  std::optional<ProjectId> project_of(const SeenFile& f) const {
    if (f.project == kLooseFiles) return kRootProject;
    if (seen_id_[f.project] == 0) return std::nullopt;
    return seen_id_[f.project];
  }

  // The name a snapshot project has after this run (its new name if renamed).
  std::string_view current_name(ProjectId id) const {
    if (id == kRootProject) return {};
    auto it = proj_index_.find(id);
    if (it == proj_index_.end()) return {};
    std::size_t seen = proj_claim_[it->second];
    return seen != npos ? std::string_view(seen_[seen].name) : std::string_view(snap_.projects[it->second].name);
  }

  std::string lib_path_of(const Asset& a) const {
    std::string_view name = current_name(a.project);
    return name.empty() ? a.path : std::string(name) + "/" + a.path;
  }

  bool covered(std::string_view lib_path) const {
    if (!path_within(lib_path, cov_.scope)) return false;
    for (const auto& u : cov_.unlisted)
      if (path_within(lib_path, u)) return false;
    return true;
  }

  // A live asset not seen in this run may be declared gone. (In a scoped
  // run most assets are in other projects: those are told apart without
  // building their paths.)
  bool asset_removable(const Asset& a) const {
    if (a.state != ItemState::live) return false;
    if (!cov_.scope.empty() && current_name(a.project) != scope_project()) return false;
    if (cov_.projects && !(a.project == kRootProject ? cov_.loose : in_projects(a.project))) return false;
    return covered(lib_path_of(a));
  }

  // Whether the project `id`, under the name it has after this run, is one
  // of the covered folders.
  bool in_projects(ProjectId id) const {
    if (proj_index_.find(id) == proj_index_.end()) return false;
    return cov_.projects->count(std::string(current_name(id))) > 0;
  }

  std::string_view scope_project() const {
    return std::string_view(cov_.scope).substr(0, cov_.scope.find('/'));
  }

  bool project_removable(const Project& p) const {
    if (p.state != ItemState::live) return false;
    if (!cov_.scope.empty() && cov_.scope != p.name) return false;
    if (cov_.projects && !cov_.projects->count(p.name)) return false;
    return covered(p.name);
  }

  void claim_project(std::size_t seen, std::size_t snap) {
    seen_snap_[seen] = snap;
    seen_id_[seen] = snap_.projects[snap].id;
    proj_claim_[snap] = seen;
  }

  void claim_asset(std::size_t file, std::size_t snap) {
    file_asset_[file] = snap;
    asset_claim_[snap] = file;
  }

  // ---- matching -----------------------------------------------------------

  // A folder inode alone is not proof: filesystems reuse the inode of a
  // deleted folder at once. A renamed folder still holds the project's files
  // (same inode, size and mtime), or both are empty.
  bool same_folder(std::size_t seen, const Project& p) const {
    const std::string& name = seen_[seen].name;
    if (name == p.name) return true;
    // Where the proof could hide, trust the inode: part of the folder could
    // not be listed, none of its files could be read, or the project had no
    // files to recognise. An empty folder is not taken for a project that
    // had files, though: that is a new folder far more often than a rename.
    for (const auto& u : cov_.unlisted)
      if (path_within(u, name)) return true;
    bool project_empty = true;
    for (const auto& a : snap_.assets)
      if (a.project == p.id && a.state == ItemState::live) {
        project_empty = false;
        break;
      }
    if (project_empty) return true;
    if (files_of_[seen].empty()) return false;
    bool any_readable = false;
    for (std::size_t k : files_of_[seen]) any_readable |= files_[k].ok;
    if (!any_readable) return true;
    for (std::size_t k : files_of_[seen]) {
      const auto& f = files_[k];
      const std::uint32_t j = asset_by_ino_.find(f.dev, f.ino);
      if (j == InodeIndex::kNone) continue;
      const auto& a = snap_.assets[j];
      if (a.project == p.id && a.size == f.size && a.mtime_ns == f.mtime_ns) return true;
    }
    return false;
  }

  void match_projects_by_inode_and_name() {
    for (std::size_t i = 0; i < seen_.size(); ++i) {
      auto it = proj_by_ino_.find({seen_[i].dev, seen_[i].ino});
      if (it != proj_by_ino_.end() && proj_claim_[it->second] == npos && same_folder(i, snap_.projects[it->second]))
        claim_project(i, it->second);
    }
    for (std::size_t i = 0; i < seen_.size(); ++i) {
      if (seen_snap_[i] != npos) continue;
      auto it = proj_by_name_.find(seen_[i].name);
      if (it != proj_by_name_.end() && proj_claim_[it->second] == npos) claim_project(i, it->second);
    }
  }

  void match_files_by_inode_and_path() {
    // First every file still where its inode was indexed, then moves (same
    // inode, size and mtime elsewhere): a new hard link to an indexed file
    // must not take the original's id.
    for (std::size_t k = 0; k < files_.size(); ++k) {
      const auto& f = files_[k];
      if (f.gone || asset_by_ino_.shared(f.dev, f.ino)) continue;
      auto pid = project_of(f);
      const std::uint32_t j = asset_by_ino_.find(f.dev, f.ino);
      if (j == InodeIndex::kNone || asset_claim_[j] != npos) continue;
      const auto& a = snap_.assets[j];
      if (pid && a.project == *pid && a.path == f.path) claim_asset(k, j);
    }
    for (std::size_t k = 0; k < files_.size(); ++k) {
      const auto& f = files_[k];
      if (f.gone || file_asset_[k] != npos) continue;
      // Hard-linked inodes name several assets: their paths decide.
      const std::uint32_t j =
          asset_by_ino_.shared(f.dev, f.ino) ? InodeIndex::kNone : asset_by_ino_.find(f.dev, f.ino);
      if (j != InodeIndex::kNone && asset_claim_[j] == npos) {
        const auto& a = snap_.assets[j];
        if (a.size == f.size && a.mtime_ns == f.mtime_ns) {
          claim_asset(k, j);
          continue;
        }
      }
      match_file_by_path(k);
    }
  }

  // Items that left the library and came back keep their inodes: a folder
  // moved out and back in, a file restored by moving it. Identity by inode
  // holds for them as for live items, empty files and folders of only
  // empty files included, which content cannot recognise.

  // Tombstoned assets by (dev, ino), built on first need.
  const std::unordered_map<DevIno, std::vector<std::size_t>, DevInoHash>& tombstones_by_inode() {
    if (!tombs_built_) {
      tombs_built_ = true;
      for (std::size_t j = 0; j < snap_.assets.size(); ++j)
        if (snap_.assets[j].state == ItemState::tombstone) tomb_by_ino_[{snap_.assets[j].dev, snap_.assets[j].ino}].push_back(j);
    }
    return tomb_by_ino_;
  }

  // The tombstoned asset that is file `k` come back: same inode, size and
  // mtime (an inode alone may have been reused), of project `project` when
  // given. npos when there is none.
  std::size_t tombstone_of(std::size_t k, std::optional<ProjectId> project) {
    const auto& f = files_[k];
    const auto& by_ino = tombstones_by_inode();
    auto it = by_ino.find({f.dev, f.ino});
    if (it == by_ino.end()) return npos;
    for (std::size_t j : it->second) {
      const auto& a = snap_.assets[j];
      if (asset_claim_[j] == npos && a.size == f.size && a.mtime_ns == f.mtime_ns && (!project || a.project == *project))
        return j;
    }
    return npos;
  }

  // A folder with a tombstoned project's inode is that project come back
  // when it has its name, or holds one of its files (same inode, size and
  // mtime): folder inodes are reused at once, so a new empty folder under
  // another name does not inherit a deleted project's metadata.
  void match_tombstoned_projects_by_inode() {
    if (tomb_proj_by_ino_.empty()) return;
    for (std::size_t i = 0; i < seen_.size(); ++i) {
      if (seen_snap_[i] != npos) continue;
      auto it = tomb_proj_by_ino_.find({seen_[i].dev, seen_[i].ino});
      if (it == tomb_proj_by_ino_.end()) continue;
      for (std::size_t j : it->second) {
        if (proj_claim_[j] != npos) continue;
        const auto& p = snap_.projects[j];
        bool proven = seen_[i].name == p.name;
        for (std::size_t k = 0; !proven && k < files_of_[i].size(); ++k)
          proven = tombstone_of(files_of_[i][k], p.id) != npos;
        if (proven) {
          claim_project(i, j);
          break;
        }
      }
    }
  }

  void match_tombstoned_files_by_inode() {
    for (std::size_t k = 0; k < files_.size(); ++k) {
      const auto& f = files_[k];
      if (f.gone || !f.ok || file_asset_[k] != npos || asset_by_ino_.find(f.dev, f.ino) != InodeIndex::kNone) continue;
      if (const std::size_t j = tombstone_of(k, std::nullopt); j != npos) claim_asset(k, j);
    }
  }

  void match_file_by_path(std::size_t k) {
    const auto& f = files_[k];
    auto pid = project_of(f);
    if (!pid || f.gone || file_asset_[k] != npos) return;
    if (!paths_built_) {
      // Built on first need: a rescan where every file kept its inode never
      // pays for it.
      paths_built_ = true;
      for (std::size_t i = 0; i < snap_.assets.size(); ++i)
        if (snap_.assets[i].state == ItemState::live) live_of_project_[snap_.assets[i].project].push_back(i);
    }
    // Paths are indexed project by project as files ask for them: a scoped
    // run builds the keys of its own project only.
    if (paths_of_.insert(*pid).second)
      if (auto it = live_of_project_.find(*pid); it != live_of_project_.end())
        for (std::size_t i : it->second) asset_by_path_[key_u64_str(*pid, snap_.assets[i].path)] = i;
    if (asset_by_path_.empty()) return;
    auto it = asset_by_path_.find(key_u64_str(*pid, f.path));
    if (it != asset_by_path_.end() && asset_claim_[it->second] == npos) claim_asset(k, it->second);
  }

  void match_files_by_path() {
    for (std::size_t k = 0; k < files_.size(); ++k)
      if (files_[k].project != kLooseFiles && content_matched_[files_[k].project]) match_file_by_path(k);
  }

  void match_projects_by_content() {
    content_matched_.assign(seen_.size(), false);
    std::vector<std::size_t> unresolved;
    for (std::size_t i = 0; i < seen_.size(); ++i)
      if (seen_snap_[i] == npos) unresolved.push_back(i);
    if (unresolved.empty()) return;

    // Candidates: live projects about to vanish, and tombstones.
    std::unordered_map<ProjectId, std::size_t> cand;  // id → snapshot index
    for (std::size_t j = 0; j < snap_.projects.size(); ++j) {
      const auto& p = snap_.projects[j];
      if (proj_claim_[j] == npos &&
          (p.state == ItemState::tombstone || project_removable(p) ||
           (p.state == ItemState::live && cov_.vanishing.count(p.id))))
        cand[p.id] = j;
    }
    if (cand.empty()) return;
    std::unordered_map<ContentHash, std::vector<ProjectId>, ContentHashHasher> owners;
    std::unordered_map<ProjectId, std::unordered_set<ContentHash, ContentHashHasher>> sets;
    for (const auto& a : snap_.assets) {
      auto it = cand.find(a.project);
      if (it == cand.end()) continue;
      // A live project's current files; all files of a tombstone (a crash
      // between batches may have left some of them live).
      const bool project_live = snap_.projects[it->second].state == ItemState::live;
      if ((project_live && a.state != ItemState::live) || a.size == 0) continue;
      if (sets[a.project].insert(a.hash).second) owners[a.hash].push_back(a.project);
    }

    for (std::size_t i : unresolved) {
      std::unordered_set<ContentHash, ContentHashHasher> mine;
      for (std::size_t k : files_of_[i])
        if (files_[k].ok && files_[k].size > 0) mine.insert(files_[k].hash);  // empty files prove nothing
      if (mine.empty()) continue;
      std::unordered_map<ProjectId, std::size_t> common;
      for (const auto& h : mine)
        if (auto it = owners.find(h); it != owners.end())
          for (ProjectId p : it->second) ++common[p];
      double best = 0.5;
      std::optional<ProjectId> winner;
      for (auto [p, n] : common) {
        if (proj_claim_[cand[p]] != npos) continue;
        double jaccard = static_cast<double>(n) / static_cast<double>(mine.size() + sets[p].size() - n);
        if (jaccard >= best && (!winner || jaccard > best || p < *winner)) best = jaccard, winner = p;
      }
      if (winner) {
        claim_project(i, cand[*winner]);
        content_matched_[i] = true;
      }
    }
  }

  void new_projects() {
    for (std::size_t i = 0; i < seen_.size(); ++i)
      if (seen_snap_[i] == npos) seen_id_[i] = plan_.next_project_id++;
  }

  void match_files_by_content() {
    // Candidates are the few assets that vanished in this run, and tombstones.
    std::unordered_map<ContentHash, std::vector<std::size_t>, ContentHashHasher> cands;
    bool wanted = false;
    for (std::size_t k = 0; k < files_.size() && !wanted; ++k) wanted = file_asset_[k] == npos && files_[k].ok;
    if (!wanted) return;
    for (std::size_t j = 0; j < snap_.assets.size(); ++j) {
      const auto& a = snap_.assets[j];
      if (asset_claim_[j] == npos && (a.state == ItemState::tombstone || asset_removable(a))) cands[a.hash].push_back(j);
    }
    if (cands.empty()) return;
    for (std::size_t k = 0; k < files_.size(); ++k) {
      const auto& f = files_[k];
      if (file_asset_[k] != npos || !f.ok) continue;
      auto it = cands.find(f.hash);
      if (it == cands.end()) continue;
      const ProjectId pid = *project_of(f);
      std::size_t best = npos;
      int best_score = -1;
      for (std::size_t j : it->second) {
        if (asset_claim_[j] != npos) continue;
        const auto& a = snap_.assets[j];
        // Equal bytes alone are weak evidence for small files (empty files,
        // licence texts): away from its project such a file must keep its name.
        const bool same_name = base_name(a.path) == base_name(f.path);
        if (a.size == 0 || (a.project != pid && !same_name && a.size < kDistinctiveBytes)) continue;
        int score = (a.project == pid ? 8 : 0) + (a.path == f.path ? 4 : 0) +
                    (base_name(a.path) == base_name(f.path) ? 2 : 0) + (a.state == ItemState::live ? 1 : 0);
        if (score > best_score) best_score = score, best = j;
      }
      if (best != npos) claim_asset(k, best);
    }
  }

  // ---- writes -------------------------------------------------------------

  void write_projects() {
    for (std::size_t i = 0; i < seen_.size(); ++i) {
      const auto& s = seen_[i];
      Project after;
      const Project* before = nullptr;
      if (seen_snap_[i] != npos) {
        before = &snap_.projects[seen_snap_[i]];
        after = *before;
        if (before->state == ItemState::tombstone) ++plan_.counts.projects_added;
        else if (before->name != s.name) ++plan_.counts.projects_renamed;
      } else {
        after.id = seen_id_[i];
        after.added_ns = now_;
        ++plan_.counts.projects_added;
      }
      after.name = s.name;
      after.dev = s.dev;
      after.ino = s.ino;
      after.mtime_ns = s.mtime_ns;
      after.state = ItemState::live;
      after.removed_ns = 0;
      if (!before || encode(*before) != encode(after)) plan_.projects.push_back({before, std::move(after)});
      if (files_of_[i].empty() && covered(s.name))
        plan_.notices.push_back({s.name, ProblemKind::empty_project, "project folder holds no files", 0});
    }
    for (std::size_t j = 0; j < snap_.projects.size(); ++j) {
      const auto& p = snap_.projects[j];
      if (proj_claim_[j] != npos || !project_removable(p)) continue;
      Project after = p;
      after.state = ItemState::tombstone;
      after.removed_ns = now_;
      plan_.projects.push_back({&p, std::move(after)});
      ++plan_.counts.projects_removed;
      removed_projects_.emplace(p.id, 0);
    }
  }

  void write_files() {
    auto& c = plan_.counts;
    for (std::size_t k = 0; k < files_.size(); ++k) {
      const auto& f = files_[k];
      if (!f.ok) continue;  // kept as it was; counted as an error by the sync
      const ProjectId pid = *project_of(f);
      Asset after;
      const Asset* before = nullptr;
      if (file_asset_[k] != npos) {
        before = &snap_.assets[file_asset_[k]];
        after = *before;
        if (before->state == ItemState::tombstone) {
          ++c.added, ++c.revived;
        } else if (before->project != pid || before->path != f.path) {
          ++c.moved;
        } else if (before->hash != f.hash) {
          ++c.changed;
          if (mode_ == Mode::verify && before->size == f.size && before->mtime_ns == f.mtime_ns)
            plan_.notices.push_back({lib_path_of(*before), ProblemKind::content_changed,
                                     "content changed but size and modification time did not", 0});
        } else {
          ++c.unchanged;
        }
      } else {
        after.id = plan_.next_asset_id++;
        after.added_ns = now_;
        ++c.added;
      }
      after.project = pid;
      after.path = f.path;
      take_file_facts(after, f);
      after.kind = kind_of(base_name(f.path));
      if (after.kind != Kind::image) forget_image_facts(after);
      after.state = ItemState::live;
      after.removed_ns = 0;
      if (!before || !same_record(*before, after)) plan_.assets.push_back({before, std::move(after)});
    }
  }

  // Gone files become tombstones, each one noticed, except that a project
  // folder gone as a whole is one notice (its files are not listed).
  void write_removals() {
    for (std::size_t j = 0; j < snap_.assets.size(); ++j) {
      const auto& a = snap_.assets[j];
      if (asset_claim_[j] != npos || !asset_removable(a)) continue;
      Asset after = a;
      after.state = ItemState::tombstone;
      after.removed_ns = now_;
      plan_.assets.push_back({&a, std::move(after)});
      ++plan_.counts.removed;
      if (auto gone = removed_projects_.find(a.project); gone != removed_projects_.end())
        ++gone->second;
      else if (project_live_after(a.project))
        plan_.notices.push_back({lib_path_of(a), ProblemKind::removed,
                                 "the file is gone; its tags and notes are kept in case it comes back", 0});
    }
    for (const auto& p : snap_.projects) {
      auto gone = removed_projects_.find(p.id);
      if (gone == removed_projects_.end()) continue;
      const std::uint64_t n = gone->second;
      std::string kept = "its tags, notes and collections are";
      if (n > 0)
        kept = "its " + std::to_string(n) + (n == 1 ? " file" : " files") +
               " and their tags, notes and collections are";
      plan_.notices.push_back(
          {p.name, ProblemKind::removed, "the folder is gone; " + kept + " kept in case it comes back", 0});
    }
  }

  // Whether the project `id` (or the root) is live once the plan is written.
  bool project_live_after(ProjectId id) const {
    if (id == kRootProject) return true;
    if (removed_projects_.count(id)) return false;
    auto it = proj_index_.find(id);
    if (it == proj_index_.end()) return false;
    return proj_claim_[it->second] != npos || snap_.projects[it->second].state == ItemState::live;
  }

  static bool same_record(const Asset& a, const Asset& b) {
    return a.project == b.project && a.path == b.path && a.dev == b.dev && a.ino == b.ino && a.size == b.size &&
           a.mtime_ns == b.mtime_ns && a.hash == b.hash && a.kind == b.kind && a.state == b.state &&
           a.removed_ns == b.removed_ns && a.image == b.image && a.width == b.width && a.height == b.height;
  }

  const Snapshot& snap_;
  const InodeIndex& asset_by_ino_;
  const std::vector<SeenProject>& seen_;
  const std::vector<SeenFile>& files_;
  const Coverage& cov_;
  Mode mode_;
  std::int64_t now_;
  Plan plan_;

  std::unordered_map<ProjectId, std::size_t> proj_index_;
  std::unordered_map<ProjectId, std::uint64_t> removed_projects_;  // tombstoned in this run → files gone with it
  std::unordered_map<DevIno, std::size_t, DevInoHash> proj_by_ino_;
  std::unordered_map<DevIno, std::vector<std::size_t>, DevInoHash> tomb_proj_by_ino_;  // tombstoned projects
  std::unordered_map<DevIno, std::vector<std::size_t>, DevInoHash> tomb_by_ino_;       // tombstoned assets
  bool tombs_built_ = false;
  bool paths_built_ = false;
  std::unordered_map<std::string_view, std::size_t> proj_by_name_;
  std::unordered_map<std::string, std::size_t> asset_by_path_;
  std::unordered_map<ProjectId, std::vector<std::size_t>> live_of_project_;  // live assets by project
  std::unordered_set<ProjectId> paths_of_;  // projects whose paths are in asset_by_path_
  std::vector<std::size_t> proj_claim_, seen_snap_, asset_claim_, file_asset_;
  std::vector<std::vector<std::size_t>> files_of_;  // seen project → its files
  std::vector<ProjectId> seen_id_;
  std::vector<bool> content_matched_;
};

}  // namespace

Plan reconcile(const Snapshot& before, const InodeIndex& inodes, const std::vector<SeenProject>& projects,
               const std::vector<SeenFile>& files, const Coverage& coverage, Mode mode, std::int64_t now_ns) {
  return Reconciler(before, inodes, projects, files, coverage, mode, now_ns).run();
}

}  // namespace lima::index
