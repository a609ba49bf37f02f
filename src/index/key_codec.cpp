#include "index/key_codec.h"

#include <xxhash.h>

#include <cassert>

namespace lima::index {

void put_u64(std::string& out, std::uint64_t v) {
  char b[8];
  for (int i = 7; i >= 0; --i, v >>= 8) b[i] = static_cast<char>(v & 0xff);
  out.append(b, 8);
}

void put_u32(std::string& out, std::uint32_t v) {
  char b[4];
  for (int i = 3; i >= 0; --i, v >>= 8) b[i] = static_cast<char>(v & 0xff);
  out.append(b, 4);
}

std::uint64_t get_u64(std::string_view in, std::size_t offset) {
  assert(in.size() >= offset + 8);
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[offset + i]);
  return v;
}

std::uint32_t get_u32(std::string_view in, std::size_t offset) {
  assert(in.size() >= offset + 4);
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[offset + i]);
  return v;
}

std::string key_u64(std::uint64_t a) {
  std::string k;
  k.reserve(8);
  put_u64(k, a);
  return k;
}

std::string key_u64_u64(std::uint64_t a, std::uint64_t b) {
  std::string k;
  k.reserve(16);
  put_u64(k, a);
  put_u64(k, b);
  return k;
}

std::string key_u64_str(std::uint64_t a, std::string_view s) {
  std::string k;
  k.reserve(8 + s.size());
  put_u64(k, a);
  k.append(s);
  return k;
}

std::string bounded(std::string_view field) {
  if (field.size() <= kInlineKeyBytes) return std::string(field);
  std::string k(field.substr(0, kInlineKeyBytes));
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits(field.data(), field.size()));
  k.append(reinterpret_cast<const char*>(c.digest), sizeof c.digest);
  return k;
}

std::string key_u64_bounded(std::uint64_t a, std::string_view field) { return key_u64_str(a, bounded(field)); }

ValueWriter& ValueWriter::u8(std::uint8_t v) {
  out_.push_back(static_cast<char>(v));
  return *this;
}
ValueWriter& ValueWriter::u32(std::uint32_t v) {
  put_u32(out_, v);
  return *this;
}
ValueWriter& ValueWriter::u64(std::uint64_t v) {
  put_u64(out_, v);
  return *this;
}
ValueWriter& ValueWriter::str(std::string_view s) {
  put_u32(out_, static_cast<std::uint32_t>(s.size()));
  out_.append(s);
  return *this;
}
ValueWriter& ValueWriter::raw(std::string_view s) {
  out_.append(s);
  return *this;
}

bool ValueReader::need(std::size_t n) {
  if (!ok_ || in_.size() - pos_ < n) ok_ = false;
  return ok_;
}

std::uint8_t ValueReader::u8() {
  if (!need(1)) return 0;
  return static_cast<std::uint8_t>(in_[pos_++]);
}
std::uint32_t ValueReader::u32() {
  if (!need(4)) return 0;
  auto v = get_u32(in_, pos_);
  pos_ += 4;
  return v;
}
std::uint64_t ValueReader::u64() {
  if (!need(8)) return 0;
  auto v = get_u64(in_, pos_);
  pos_ += 8;
  return v;
}
std::string ValueReader::str() {
  auto n = u32();
  return std::string(raw(n));
}
std::string_view ValueReader::raw(std::size_t n) {
  if (!need(n)) return {};
  auto v = in_.substr(pos_, n);
  pos_ += n;
  return v;
}

}  // namespace lima::index
