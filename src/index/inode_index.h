// A compact open-addressing table from (device, inode) to the position of a
// live asset in a vector of them: built per project folder as the walk
// reaches it (the unchanged-file gate) and per batch (identity by inode in
// reconciliation).
#pragma once

#include <cstdint>
#include <vector>

#include "index/records.h"

namespace lima::index {

class InodeIndex {
 public:
  static constexpr std::uint32_t kNone = 0xffffffff;

  InodeIndex() = default;
  /// Indexes the live assets of `assets` by (dev, ino).
  explicit InodeIndex(const std::vector<Asset>& assets) {
    std::size_t live = 0;
    for (const auto& a : assets) live += a.state == ItemState::live;
    std::size_t cap = 16;
    while (cap < live * 2) cap <<= 1;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    for (std::size_t i = 0; i < assets.size(); ++i)
      if (assets[i].state == ItemState::live) insert(assets[i].dev, assets[i].ino, static_cast<std::uint32_t>(i));
  }

  /// Position of a live asset with this (dev, ino), or kNone.
  std::uint32_t find(std::uint64_t dev, std::uint64_t ino) const {
    const Slot* s = slot(dev, ino);
    return s ? s->pos : kNone;
  }
  /// True when several live assets share this (dev, ino): hard links. The
  /// inode then says which content, not which of the paths.
  bool shared(std::uint64_t dev, std::uint64_t ino) const {
    const Slot* s = slot(dev, ino);
    return s && s->shared;
  }

 private:
  struct Slot {
    std::uint64_t dev = 0, ino = 0;
    std::uint32_t pos = kNone;
    bool shared = false;
  };
  const Slot* slot(std::uint64_t dev, std::uint64_t ino) const {
    if (slots_.empty()) return nullptr;
    for (std::size_t i = mix(dev, ino) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.pos == kNone) return nullptr;
      if (s.ino == ino && s.dev == dev) return &s;
    }
  }
  static std::size_t mix(std::uint64_t dev, std::uint64_t ino) {
    std::uint64_t x = ino ^ (dev * 0x9E3779B97F4A7C15ull);
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return static_cast<std::size_t>(x);
  }
  void insert(std::uint64_t dev, std::uint64_t ino, std::uint32_t pos) {
    for (std::size_t i = mix(dev, ino) & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.pos == kNone) {
        s = Slot{dev, ino, pos};
        return;
      }
      if (s.dev == dev && s.ino == ino) {
        s.shared = true;  // hard links: several assets, one inode
        return;
      }
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
};

}  // namespace lima::index
