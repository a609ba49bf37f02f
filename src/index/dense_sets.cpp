#include "index/dense_sets.h"

#include <algorithm>
#include <cstring>
#include <mutex>

namespace lima::index {

namespace {

// Arrays given back, kept for the next search (most recently used last).
struct Pool {
  std::mutex mu;
  std::vector<std::vector<std::uint16_t>> free;
  std::size_t bytes = 0;
};

Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: arrays may outlive static destruction order
  return *p;
}

std::size_t bytes_of(const std::vector<std::uint16_t>& v) { return v.capacity() * sizeof(std::uint16_t); }

}  // namespace

PooledArray::PooledArray(std::size_t n) {
  {
    auto& p = pool();
    std::lock_guard lock(p.mu);
    // The smallest kept array that is big enough.
    auto best = p.free.end();
    for (auto it = p.free.begin(); it != p.free.end(); ++it)
      if (it->capacity() >= n && (best == p.free.end() || it->capacity() < best->capacity())) best = it;
    if (best != p.free.end()) {
      p.bytes -= bytes_of(*best);
      v_ = std::move(*best);
      p.free.erase(best);
    }
  }
  // A kept array is all ones up to its size; only what lies beyond is
  // written.
  v_.resize(n, 0xffff);
}

PooledArray::~PooledArray() {
  if (v_.capacity() == 0) return;
  auto& p = pool();
  std::lock_guard lock(p.mu);
  if (bytes_of(v_) > kDensePoolBytes) return;
  // Make room by dropping the smallest arrays kept.
  while (p.bytes + bytes_of(v_) > kDensePoolBytes && !p.free.empty()) {
    auto smallest = std::min_element(p.free.begin(), p.free.end(),
                                     [](const auto& a, const auto& b) { return a.capacity() < b.capacity(); });
    if (smallest->capacity() > v_.capacity()) return;  // keep the bigger ones already there
    p.bytes -= bytes_of(*smallest);
    p.free.erase(smallest);
  }
  p.bytes += bytes_of(v_);
  p.free.push_back(std::move(v_));
}

void TrackedArray::reset(std::size_t b) {
  std::memset(v_.data() + block_begin(b), 0xff, kDenseBlock * sizeof(std::uint16_t));
  touched_[b] = 0;
}

void TrackedArray::clear() {
  for (std::size_t b = 0; b < touched_.size(); ++b)
    if (touched_[b]) reset(b);
}

void DenseSet::intersect(const DenseSet& o) {
  for (std::size_t b = 0; b < cells_.blocks(); ++b) {
    if (!cells_.touched(b)) continue;
    if (!o.cells_.touched(b)) {
      cells_.reset(b);
      continue;
    }
    Cell* a = cells_.data() + cells_.block_begin(b);
    const Cell* y = o.cells_.data() + cells_.block_begin(b);
    for (std::size_t i = 0; i < kDenseBlock; ++i) {
      const Cell x = a[i], z = y[i];
      const unsigned sx = x & 0xff, sz = z & 0xff;
      const Cell both = static_cast<Cell>(((sx + sz) & 0xff) | ((x | z) & 0xff00));
      a[i] = (sx != kAbsent && sz != kAbsent) ? both : kEmptyCell;
    }
  }
}

void DenseSet::unite(const DenseSet& o) {
  o.cells_.for_each_block([&](std::size_t begin, std::size_t) {
    cells_.mark(begin);
    Cell* a = cells_.data() + begin;
    const Cell* y = o.cells_.data() + begin;
    for (std::size_t i = 0; i < kDenseBlock; ++i) {
      const Cell x = a[i], z = y[i];
      const unsigned sx = x & 0xff, sz = z & 0xff;
      // An absent cell's fields (all ones) do not join.
      const unsigned fx = sx != kAbsent ? x & 0xff00u : 0, fz = sz != kAbsent ? z & 0xff00u : 0;
      const Cell joined = static_cast<Cell>((sx < sz ? sx : sz) | fx | fz);
      a[i] = (sx & sz) == kAbsent ? kEmptyCell : joined;
    }
  });
}

void DenseSet::subtract(const DenseSet& o) {
  for (std::size_t b = 0; b < cells_.blocks(); ++b) {
    if (!cells_.touched(b) || !o.cells_.touched(b)) continue;
    Cell* a = cells_.data() + cells_.block_begin(b);
    const Cell* y = o.cells_.data() + cells_.block_begin(b);
    for (std::size_t i = 0; i < kDenseBlock; ++i) a[i] = (y[i] & 0xff) != kAbsent ? kEmptyCell : a[i];
  }
}

std::size_t DenseSet::count() const {
  const Cell* a = cells_.data();
  std::size_t n = 0;
  cells_.for_each_block([&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) n += (a[i] & 0xff) != kAbsent;
  });
  return n;
}

}  // namespace lima::index
