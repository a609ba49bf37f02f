// Dense sets: what a part of a query selects, as one two-byte cell per
// item id (every project id, then every asset id) rather than a list
// sorted by item. Adding a posting is one store, AND / OR / NOT are sweeps
// that the compiler vectorises, and counting is a sweep too, so a word
// that half a million items hold costs no sorting and no allocation.
// Item ids are handed out in sequence, so a library's ids fill their
// range: a million assets cost 2 MiB a set. The arrays come from a pool
// shared by every search of the process, which keeps their memory between
// searches up to a bound (kDensePoolBytes) and frees the rest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>
#include <algorithm>

#include "index/word_index.h"

namespace lima::index {

/// One item of a set: its score in the low byte (kAbsent: not in the
/// set), the fields that matched (a FieldSet) in the high byte. A cell not
/// in the set is all ones (kEmptyCell), so that arrays are filled by
/// memset.
using Cell = std::uint16_t;
inline constexpr std::uint8_t kAbsent = 0xff;
inline constexpr Cell kEmptyCell = 0xffff;
inline std::uint8_t score_of(Cell c) { return static_cast<std::uint8_t>(c & 0xff); }
inline std::uint8_t fields_of(Cell c) { return static_cast<std::uint8_t>(c >> 8); }
inline bool present(Cell c) { return score_of(c) != kAbsent; }
/// The highest score a set holds: a query whose words could add up to
/// more is answered another way (Search::run).
inline constexpr std::uint32_t kDenseMaxScore = kAbsent - 1;

/// How much memory the pool keeps for later searches, at most.
inline constexpr std::size_t kDensePoolBytes = std::size_t{16} << 20;

/// The id ranges of one snapshot: projects 0..projects-1 take cells
/// 0..projects-1, assets 0..assets-1 the cells after them.
struct DenseShape {
  std::size_t projects = 0;
  std::size_t assets = 0;
  std::size_t size() const { return projects + assets; }
  /// The cell of `k`; size() when its id is beyond the ranges.
  std::size_t index(ItemKey k) const {
    const auto id = id_of(k);
    if (is_asset(k)) return id < assets ? projects + id : size();
    return id < projects ? id : size();
  }
  ItemKey item(std::size_t i) const { return i < projects ? project_key(i) : asset_key(i - projects); }
};

/// Memory from the pool: `n` values of two bytes, all ones. Must be given
/// back all ones again (TrackedArray sees to it).
class PooledArray {
 public:
  explicit PooledArray(std::size_t n);
  ~PooledArray();
  PooledArray(const PooledArray&) = delete;
  PooledArray& operator=(const PooledArray&) = delete;
  std::uint16_t* data() { return v_.data(); }
  const std::uint16_t* data() const { return v_.data(); }
  std::size_t size() const { return v_.size(); }

 private:
  std::vector<std::uint16_t> v_;
};

/// A pooled array, all ones at first, that knows which blocks of
/// kDenseBlock values it wrote: sweeps visit only those, and it leaves the
/// rest of the array alone, so a set of a few items costs a few blocks, not
/// the library. Its size is a whole number of blocks.
inline constexpr std::size_t kDenseBlockShift = 8;
inline constexpr std::size_t kDenseBlock = std::size_t{1} << kDenseBlockShift;

class TrackedArray {
 public:
  explicit TrackedArray(std::size_t n)
      : v_((n + kDenseBlock - 1) & ~(kDenseBlock - 1)), touched_(v_.size() >> kDenseBlockShift, 0) {}
  ~TrackedArray() { clear(); }
  TrackedArray(const TrackedArray&) = delete;
  TrackedArray& operator=(const TrackedArray&) = delete;

  std::size_t size() const { return v_.size(); }
  std::uint16_t operator[](std::size_t i) const { return v_.data()[i]; }
  void set(std::size_t i, std::uint16_t x) {
    touched_[i >> kDenseBlockShift] = 1;
    v_.data()[i] = x;
  }
  /// The values, to write through after mark(i).
  std::uint16_t* data() { return v_.data(); }
  const std::uint16_t* data() const { return v_.data(); }
  void mark(std::size_t i) { touched_[i >> kDenseBlockShift] = 1; }
  bool touched(std::size_t block) const { return touched_[block] != 0; }
  std::size_t blocks() const { return touched_.size(); }
  /// [begin, end) of a block.
  std::size_t block_begin(std::size_t b) const { return b << kDenseBlockShift; }
  std::size_t block_end(std::size_t b) const { return (b + 1) << kDenseBlockShift; }
  /// Calls fn(begin, end) for each block written.
  template <class F>
  void for_each_block(F&& fn) const {
    for (std::size_t b = 0; b < touched_.size(); ++b)
      if (touched_[b]) fn(block_begin(b), block_end(b));
  }
  /// Makes block `b` all ones again.
  void reset(std::size_t b);
  /// Makes every value all ones again.
  void clear();

 private:
  PooledArray v_;
  std::vector<std::uint8_t> touched_;
};

/// A set of items with their scores and matched fields.
class DenseSet {
 public:
  /// An empty set of `s`'s items.
  explicit DenseSet(const DenseShape& s) : shape_(s), cells_(s.size()) {}
  const DenseShape& shape() const { return shape_; }
  /// The number of cells: shape().size(), rounded up to whole blocks.
  std::size_t size() const { return cells_.size(); }
  Cell operator[](std::size_t i) const { return cells_[i]; }

  /// Puts cell `i` in the set with `score`, or keeps its better score;
  /// the fields join.
  void add(std::size_t i, std::uint8_t score, std::uint8_t fields) {
    cells_.mark(i);
    Cell& c = cells_.data()[i];
    const Cell was = present(c) ? c : Cell{kAbsent};
    const auto s = score < score_of(was) ? score : score_of(was);
    c = static_cast<Cell>(s | (was & 0xff00) | (fields << 8));
  }
  void remove(std::size_t i) { cells_.data()[i] = kEmptyCell; }
  /// Keeps the items also in `o`: scores add, fields join.
  void intersect(const DenseSet& o);
  /// Adds the items of `o`: the better score, fields join.
  void unite(const DenseSet& o);
  /// Removes the items of `o`.
  void subtract(const DenseSet& o);
  /// Empties the set.
  void clear() { cells_.clear(); }
  /// How many items it holds.
  std::size_t count() const;
  /// Calls fn(begin, end) for each range of cells that may hold items.
  template <class F>
  void for_each_block(F&& fn) const {
    cells_.for_each_block(std::forward<F>(fn));
  }

 private:
  DenseShape shape_;
  TrackedArray cells_;
};

}  // namespace lima::index
