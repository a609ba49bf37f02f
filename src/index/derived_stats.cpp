#include "index/derived_stats.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "index/key_codec.h"

namespace lima::index {

namespace {

// A project's change in live files, images and models over one batch.
struct Delta {
  std::int64_t files = 0, images = 0, models = 0;
  bool zero() const { return files == 0 && images == 0 && models == 0; }
};

void count(Delta& d, const Asset& a, std::int64_t sign) {
  d.files += sign;
  if (a.kind == Kind::image) d.images += sign;
  if (a.kind == Kind::model) d.models += sign;
}

std::string encode_stats(const ProjectStats& s) {
  std::string v;
  v.reserve(24);
  put_u64(v, s.files);
  put_u64(v, s.images);
  put_u64(v, s.models);
  return v;
}

std::optional<ProjectStats> decode_stats(std::string_view v) {
  if (v.size() != 24) return std::nullopt;
  return ProjectStats{get_u64(v, 0), get_u64(v, 8), get_u64(v, 16)};
}

std::uint64_t plus(std::uint64_t n, std::int64_t d) {
  if (d >= 0) return n + static_cast<std::uint64_t>(d);
  const auto minus = static_cast<std::uint64_t>(-d);
  return minus > n ? 0 : n - minus;  // never below zero, whatever the table held
}

// A live copy of at least one byte: what sharing is made of.
bool is_copy(const Asset& a) { return a.state == ItemState::live && a.size > 0; }

}  // namespace

// Whether the live copies of h lie in two projects or more. Reads the
// copies' records only when asset_hashes holds two of them or more.
bool content_is_shared(const Txn& t, const Tables& db, const ContentHash& h) {
  std::vector<AssetId> ids;
  t.scan_prefix(db.asset_hashes, h.view(), [&](std::string_view k, std::string_view) {
    if (k.size() == 24) ids.push_back(get_u64(k, 16));
    return true;
  });
  if (ids.size() < 2) return false;
  std::optional<ProjectId> first;
  for (AssetId id : ids) {
    auto v = t.get(db.assets, key_u64(id));
    if (!v) continue;
    auto a = decode_asset(id, *v);
    if (!a || !is_copy(*a) || a->hash != h) continue;
    if (!first) first = a->project;
    else if (*first != a->project) return true;
  }
  return false;
}

namespace {

void set_shared(WriteTxn& t, const Tables& db, const ContentHash& h, bool shared) {
  if (shared) t.put(db.shared_content, h.view(), {});
  else t.del(db.shared_content, h.view());
}

// projects_lacking's value for stats s; 0: no row.
std::uint8_t lacking_bits(const ProjectStats& s) {
  if (s.files == 0) return 0;
  return static_cast<std::uint8_t>((s.images == 0 ? 1 : 0) | (s.models == 0 ? 2 : 0));
}

std::string lacking_value(std::uint8_t bits) { return std::string(1, static_cast<char>(bits)); }

void set_lacking(WriteTxn& t, const Tables& db, std::string_view key, const ProjectStats& s) {
  const auto bits = lacking_bits(s);
  if (bits == 0) t.del(db.projects_lacking, key);
  else t.put(db.projects_lacking, key, lacking_value(bits));
}

bool hash_less(const ContentHash& a, const ContentHash& b) {
  return std::memcmp(a.bytes.data(), b.bytes.data(), a.bytes.size()) < 0;
}

}  // namespace

void derived_stats_update(WriteTxn& t, const Tables& db, std::span<const AssetChange> changes,
                          const std::vector<bool>* shared_later) {
  std::map<ProjectId, Delta> deltas;
  std::vector<ContentHash> recheck;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const auto& [before, now] = changes[i];
    const bool was_live = before && before->state == ItemState::live, is_live = now.state == ItemState::live;
    if (was_live) count(deltas[before->project], *before, -1);
    if (is_live) count(deltas[now.project], now, +1);
    const bool was_copy = before && is_copy(*before), now_copy = is_copy(now);
    if (was_copy && now_copy && before->hash == now.hash && before->project == now.project) continue;
    if (shared_later && (*shared_later)[i]) continue;
    if (was_copy) recheck.push_back(before->hash);
    if (now_copy) recheck.push_back(now.hash);
  }

  for (const auto& [project, d] : deltas) {
    if (d.zero()) continue;
    const std::string key = key_u64(project);
    ProjectStats s;
    if (auto v = t.get(db.project_stats, key))
      if (auto old = decode_stats(*v)) s = *old;
    s = {plus(s.files, d.files), plus(s.images, d.images), plus(s.models, d.models)};
    if (s.files == 0) t.del(db.project_stats, key);
    else t.put(db.project_stats, key, encode_stats(s));
    set_lacking(t, db, key, s);
  }

  std::sort(recheck.begin(), recheck.end(), hash_less);
  recheck.erase(std::unique(recheck.begin(), recheck.end()), recheck.end());
  for (const auto& h : recheck) set_shared(t, db, h, content_is_shared(t, db, h));
}

void derived_stats_rebuild(WriteTxn& t, const Tables& db) {
  t.clear(db.project_stats);
  t.clear(db.shared_content);
  t.clear(db.projects_lacking);

  std::map<ProjectId, ProjectStats> stats;
  t.scan_prefix(db.assets, {}, [&](std::string_view k, std::string_view v) {
    if (k.size() != 8) return true;
    auto a = decode_asset(get_u64(k), v);
    if (!a || a->state != ItemState::live) return true;
    auto& s = stats[a->project];
    ++s.files;
    if (a->kind == Kind::image) ++s.images;
    if (a->kind == Kind::model) ++s.models;
    return true;
  });
  for (const auto& [project, s] : stats) {
    t.put_sorted(db.project_stats, key_u64(project), encode_stats(s));
    if (const auto bits = lacking_bits(s)) t.put_sorted(db.projects_lacking, key_u64(project), lacking_value(bits));
  }

  // asset_hashes is in hash order: a content's copies are neighbours, and
  // only a content with two copies or more is looked at further.
  std::optional<ContentHash> group;
  std::size_t copies = 0;
  auto close_group = [&] {
    if (group && copies >= 2 && content_is_shared(t, db, *group)) t.put_sorted(db.shared_content, group->view(), {});
  };
  t.scan_prefix(db.asset_hashes, {}, [&](std::string_view k, std::string_view) {
    if (k.size() != 24) return true;
    auto h = ContentHash::from_view(k.substr(0, 16));
    if (!h) return true;
    if (group && *group == *h) {
      ++copies;
      return true;
    }
    close_group();
    group = *h;
    copies = 1;
    return true;
  });
  close_group();
}

void projects_lacking_rebuild(WriteTxn& t, const Tables& db) {
  t.clear(db.projects_lacking);
  std::vector<std::pair<std::string, std::uint8_t>> rows;
  t.scan_prefix(db.project_stats, {}, [&](std::string_view k, std::string_view v) {
    if (auto s = decode_stats(v); s && k.size() == 8)
      if (const auto bits = lacking_bits(*s)) rows.emplace_back(std::string(k), bits);
    return true;
  });
  for (const auto& [k, bits] : rows) t.put_sorted(db.projects_lacking, k, lacking_value(bits));
}

void for_each_lacking_project(const Txn& t, const Tables& db,
                              const std::function<bool(ProjectId, const ProjectStats&, Lacking)>& fn) {
  t.scan_prefix(db.projects_lacking, {}, [&](std::string_view k, std::string_view v) {
    if (k.size() != 8 || v.size() != 1) return true;
    const auto bits = static_cast<std::uint8_t>(v[0]);
    auto s = project_stats(t, db, get_u64(k));
    if (!s) return true;
    return fn(get_u64(k), *s, Lacking{(bits & 1) != 0, (bits & 2) != 0});
  });
}

std::optional<ProjectStats> project_stats(const Txn& t, const Tables& db, ProjectId p) {
  auto v = t.get(db.project_stats, key_u64(p));
  if (!v) return std::nullopt;
  return decode_stats(*v);
}

void for_each_project_stats(const Txn& t, const Tables& db,
                            const std::function<bool(ProjectId, const ProjectStats&)>& fn) {
  t.scan_prefix(db.project_stats, {}, [&](std::string_view k, std::string_view v) {
    if (k.size() != 8) return true;
    if (auto s = decode_stats(v)) return fn(get_u64(k), *s);
    return true;
  });
}

void for_each_shared_content(const Txn& t, const Tables& db, const std::function<bool(const ContentHash&)>& fn) {
  t.scan_prefix(db.shared_content, {}, [&](std::string_view k, std::string_view) {
    if (auto h = ContentHash::from_view(k)) return fn(*h);
    return true;
  });
}

}  // namespace lima::index
