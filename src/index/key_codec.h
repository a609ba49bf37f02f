// The key codec: how integers, ids and composite keys become LMDB key bytes.
// Integers are big-endian so byte order is numeric order; composite keys
// concatenate fixed-width fields and end with at most one variable-width
// field, so prefix iteration (MDB_SET_RANGE) walks one group in order.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lima::index {

/// Appends v as 8 big-endian bytes.
void put_u64(std::string& out, std::uint64_t v);
/// Appends v as 4 big-endian bytes.
void put_u32(std::string& out, std::uint32_t v);
/// Reads 8 big-endian bytes at offset (no bounds check beyond the assert).
std::uint64_t get_u64(std::string_view in, std::size_t offset = 0);
std::uint32_t get_u32(std::string_view in, std::size_t offset = 0);

/// Key of one u64.
std::string key_u64(std::uint64_t a);
/// Key of two u64s.
std::string key_u64_u64(std::uint64_t a, std::uint64_t b);
/// Key of a u64 followed by raw bytes.
std::string key_u64_str(std::uint64_t a, std::string_view s);

/// LMDB keys are at most 511 bytes. A variable-width field longer than this
/// is stored as its first kInlineKeyBytes bytes followed by the 16-byte
/// XXH3-128 of the whole field (so keys stay unique, and short fields keep
/// their natural order). DO NOT CHANGE (persisted).
inline constexpr std::size_t kInlineKeyBytes = 480;
/// The key form of a variable-width field (see kInlineKeyBytes).
std::string bounded(std::string_view field);
/// Key of a u64 followed by a bounded variable-width field.
std::string key_u64_bounded(std::uint64_t a, std::string_view field);

/// A growable byte buffer for values: length-prefixed strings, BE integers.
class ValueWriter {
 public:
  ValueWriter& u8(std::uint8_t v);
  ValueWriter& u32(std::uint32_t v);
  ValueWriter& u64(std::uint64_t v);
  ValueWriter& i64(std::int64_t v) { return u64(static_cast<std::uint64_t>(v)); }
  ValueWriter& str(std::string_view s);
  ValueWriter& raw(std::string_view s);
  void reserve(std::size_t n) { out_.reserve(n); }
  const std::string& bytes() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

/// Reads what ValueWriter wrote. Reading past the end sets a sticky error
/// instead of crashing: a corrupt record is reported, never trusted.
class ValueReader {
 public:
  explicit ValueReader(std::string_view in) : in_(in) {}
  std::uint8_t u8();
  std::uint32_t u32();
  std::uint64_t u64();
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  std::string str();
  std::string_view raw(std::size_t n);
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }

 private:
  bool need(std::size_t n);
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace lima::index
