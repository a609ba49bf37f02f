// A read-only ZIP archive: the members a package file (3MF, FreeCAD's
// .FCStd) holds, listed from its central directory and read one at a time.
// Stored and deflate members, ZIP64 end records; every member read is
// CRC-32 checked. Safe on hostile files: offsets past the file, members
// overlapping the central directory, and members that inflate past their
// declared size or a caller's cap are refused with a reason, in bounded
// memory and time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <tl/expected.hpp>

namespace lima::thumbs {

class ZipArchive {
 public:
  /// Opens `file` and reads its central directory. Errors: "not a zip
  /// archive: <why>" (no end record, offsets past the file, a central
  /// directory that does not parse, ...), or "cannot open/read <file>: ...".
  static tl::expected<ZipArchive, std::string> open(const std::filesystem::path& file);

  ZipArchive(ZipArchive&& other) noexcept;
  ZipArchive& operator=(ZipArchive&& other) noexcept;
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;
  ~ZipArchive();

  /// The members' names, in central directory order (directories included).
  std::vector<std::string> names() const;

  /// Whether a member is named exactly `name`.
  bool contains(std::string_view name) const;

  /// The stored name of the member whose name equals `name` ignoring ASCII
  /// case ("metadata/THUMBNAIL.png" finds "Metadata/thumbnail.png"); an
  /// exact match wins. nullopt when there is none.
  std::optional<std::string> find_ignoring_case(std::string_view name) const;

  /// The uncompressed size the central directory declares for the member
  /// named exactly `name` (read() checks the real one); nullopt when none.
  std::optional<std::uint64_t> uncompressed_size(std::string_view name) const;

  /// The member's bytes. Refuses, with a reason, a member that is missing,
  /// encrypted, stored with a method other than stored/deflate, declared or
  /// found (while inflating: headers can lie) larger than `max_bytes`,
  /// inflating to a size other than declared, truncated, or whose CRC-32
  /// does not match.
  tl::expected<std::string, std::string> read(std::string_view name, std::uint64_t max_bytes) const;

 private:
  struct Entry {
    std::string name;
    std::uint16_t flags = 0, method = 0;
    std::uint32_t crc = 0;
    std::uint64_t compressed = 0, uncompressed = 0, local_offset = 0;
  };

  ZipArchive(int fd, std::uint64_t data_end, std::vector<Entry> entries);

  int fd_ = -1;
  std::uint64_t data_end_ = 0;  ///< where the central directory starts: member data ends before it
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> by_name_;  ///< first entry of each name
};

}  // namespace lima::thumbs
