#include "thumbs/zip_archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace lima::thumbs {
namespace {

// Record signatures and fixed sizes (APPNOTE.TXT 4.3).
constexpr std::uint32_t kLocalHeaderSig = 0x04034b50;
constexpr std::uint32_t kCentralHeaderSig = 0x02014b50;
constexpr std::uint32_t kEndSig = 0x06054b50;
constexpr std::uint32_t kZip64EndSig = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSig = 0x07064b50;
constexpr std::size_t kLocalHeaderSize = 30;
constexpr std::size_t kCentralHeaderSize = 46;
constexpr std::size_t kEndSize = 22;
constexpr std::size_t kZip64EndSize = 56;
constexpr std::size_t kZip64LocatorSize = 20;
constexpr std::size_t kMaxComment = 65535;

/// A central directory larger than this is refused (about a million members).
constexpr std::uint64_t kMaxCentralDirectory = 64ull << 20;
/// Deflate cannot expand data more than about 1032:1.
constexpr std::uint64_t kMaxDeflateRatio = 1032;
constexpr std::size_t kChunk = 64 * 1024;
constexpr std::uint64_t kInitialReserve = 16ull << 20;

std::uint16_t le16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t le32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint64_t le64(const unsigned char* p) {
  return static_cast<std::uint64_t>(le32(p)) | (static_cast<std::uint64_t>(le32(p + 4)) << 32);
}

tl::unexpected<std::string> not_zip(const std::string& why) {
  return tl::unexpected<std::string>("not a zip archive: " + why);
}

/// Reads exactly n bytes at off; false on a short read or an error (errno set).
bool read_at(int fd, void* buf, std::size_t n, std::uint64_t off) {
  auto* p = static_cast<unsigned char*>(buf);
  while (n > 0) {
    ssize_t got = ::pread(fd, p, n, static_cast<off_t>(off));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      if (got == 0) errno = EIO;
      return false;
    }
    p += got;
    n -= static_cast<std::size_t>(got);
    off += static_cast<std::uint64_t>(got);
  }
  return true;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lower(x) == lower(y);
         });
}

struct InflateStream {
  z_stream zs{};
  bool ready = false;
  InflateStream() { ready = inflateInit2(&zs, -MAX_WBITS) == Z_OK; }
  ~InflateStream() {
    if (ready) inflateEnd(&zs);
  }
  InflateStream(const InflateStream&) = delete;
  InflateStream& operator=(const InflateStream&) = delete;
};

}  // namespace

tl::expected<ZipArchive, std::string> ZipArchive::open(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return tl::unexpected<std::string>("cannot open " + file.string() + ": " + std::strerror(errno));
  // Owned by the archive once made; closed here on every error.
  struct Closer {
    int& fd;
    ~Closer() {
      if (fd >= 0) ::close(fd);
    }
  } closer{fd};
  auto read_error = [&] { return tl::unexpected<std::string>("cannot read " + file.string() + ": " + std::strerror(errno)); };

  struct stat st {};
  if (::fstat(fd, &st) != 0) return read_error();
  if (!S_ISREG(st.st_mode)) return not_zip("not a regular file");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < kEndSize) return not_zip("too short for an end record");

  // The end record sits in the last 22 + 65535 (comment) bytes.
  const std::uint64_t tail_len = std::min<std::uint64_t>(size, kEndSize + kMaxComment + kZip64LocatorSize);
  std::vector<unsigned char> tail(static_cast<std::size_t>(tail_len));
  const std::uint64_t tail_start = size - tail_len;
  if (!read_at(fd, tail.data(), tail.size(), tail_start)) return read_error();
  std::optional<std::size_t> end_pos;
  for (std::size_t i = tail.size() - kEndSize + 1; i-- > 0;) {
    if (le32(&tail[i]) == kEndSig && i + kEndSize + le16(&tail[i + 20]) <= tail.size()) {
      end_pos = i;
      break;
    }
  }
  if (!end_pos) return not_zip("no end of central directory record");
  const unsigned char* end = &tail[*end_pos];
  const std::uint64_t end_offset = tail_start + *end_pos;
  if (le16(end + 4) != 0 && le16(end + 4) != 0xFFFF) return not_zip("spanned (multi-disk) archives are not supported");
  std::uint64_t count = le16(end + 10);
  std::uint64_t cd_size = le32(end + 12);
  std::uint64_t cd_offset = le32(end + 16);
  std::uint64_t cd_limit = end_offset;  // the central directory ends before this

  // Saturated fields mean a ZIP64 end record, found through the locator
  // just before the end record (65535 members is also a plain count).
  unsigned char loc[kZip64LocatorSize];
  const bool saturated = count == 0xFFFF || cd_size == 0xFFFFFFFF || cd_offset == 0xFFFFFFFF;
  if (saturated && end_offset >= kZip64LocatorSize) {
    if (!read_at(fd, loc, sizeof loc, end_offset - kZip64LocatorSize)) return read_error();
  }
  if (saturated && end_offset >= kZip64LocatorSize && le32(loc) == kZip64LocatorSig) {
    const std::uint64_t z64_offset = le64(loc + 8);
    if (z64_offset > end_offset - kZip64LocatorSize || end_offset - kZip64LocatorSize - z64_offset < kZip64EndSize)
      return not_zip("ZIP64 end record offset is past the end of the file");
    unsigned char z64[kZip64EndSize];
    if (!read_at(fd, z64, sizeof z64, z64_offset)) return read_error();
    if (le32(z64) != kZip64EndSig) return not_zip("ZIP64 end record has a bad signature");
    count = le64(z64 + 32);
    cd_size = le64(z64 + 40);
    cd_offset = le64(z64 + 48);
    cd_limit = z64_offset;
  }
  if (cd_offset > cd_limit || cd_size > cd_limit - cd_offset)
    return not_zip("central directory (" + std::to_string(cd_size) + " bytes at " + std::to_string(cd_offset) +
                   ") runs past its end record");
  if (cd_size > kMaxCentralDirectory) return not_zip("central directory is over the 64 MiB cap");
  if (count > cd_size / kCentralHeaderSize) return not_zip("more members declared than the central directory holds");

  std::vector<unsigned char> cd(static_cast<std::size_t>(cd_size));
  if (!read_at(fd, cd.data(), cd.size(), cd_offset)) return read_error();
  std::vector<Entry> entries;
  entries.reserve(static_cast<std::size_t>(count));
  std::size_t p = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::string which = "central directory entry " + std::to_string(i);
    if (cd.size() - p < kCentralHeaderSize) return not_zip(which + " runs past the directory's end");
    const unsigned char* h = &cd[p];
    if (le32(h) != kCentralHeaderSig) return not_zip(which + " has a bad signature");
    const std::size_t name_len = le16(h + 28), extra_len = le16(h + 30), comment_len = le16(h + 32);
    if (cd.size() - p - kCentralHeaderSize < name_len + extra_len + comment_len)
      return not_zip(which + " runs past the directory's end");
    Entry e;
    e.flags = le16(h + 8);
    e.method = le16(h + 10);
    e.crc = le32(h + 16);
    e.compressed = le32(h + 20);
    e.uncompressed = le32(h + 24);
    e.local_offset = le32(h + 42);
    e.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderSize), name_len);
    // ZIP64 extended information: 64-bit values for the fields saturated above, in this order.
    const unsigned char* x = h + kCentralHeaderSize + name_len;
    const unsigned char* x_end = x + extra_len;
    while (x_end - x >= 4) {
      const std::uint16_t id = le16(x), len = le16(x + 2);
      if (x_end - x - 4 < len) break;
      if (id == 0x0001) {
        const unsigned char* v = x + 4;
        const unsigned char* v_end = v + len;
        for (std::uint64_t* field : {&e.uncompressed, &e.compressed, &e.local_offset}) {
          if (*field != 0xFFFFFFFF) continue;
          if (v_end - v < 8) return not_zip(which + " has a short ZIP64 extra field");
          *field = le64(v);
          v += 8;
        }
      }
      x += 4 + len;
    }
    if (e.local_offset >= cd_offset) return not_zip(which + " (" + e.name + ") starts past the member data");
    entries.push_back(std::move(e));
    p += kCentralHeaderSize + name_len + extra_len + comment_len;
  }
  const int owned = std::exchange(fd, -1);
  return ZipArchive(owned, cd_offset, std::move(entries));
}

ZipArchive::ZipArchive(int fd, std::uint64_t data_end, std::vector<Entry> entries)
    : fd_(fd), data_end_(data_end), entries_(std::move(entries)) {
  for (std::size_t i = 0; i < entries_.size(); ++i) by_name_.emplace(entries_[i].name, i);
}

ZipArchive::ZipArchive(ZipArchive&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      data_end_(other.data_end_),
      entries_(std::move(other.entries_)),
      by_name_(std::move(other.by_name_)) {}

ZipArchive& ZipArchive::operator=(ZipArchive&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    data_end_ = other.data_end_;
    entries_ = std::move(other.entries_);
    by_name_ = std::move(other.by_name_);
  }
  return *this;
}

ZipArchive::~ZipArchive() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<std::string> ZipArchive::names() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(e.name);
  return out;
}

bool ZipArchive::contains(std::string_view name) const { return by_name_.count(std::string(name)) > 0; }

std::optional<std::string> ZipArchive::find_ignoring_case(std::string_view name) const {
  if (contains(name)) return std::string(name);
  for (const auto& e : entries_)
    if (equal_ignoring_case(e.name, name)) return e.name;
  return std::nullopt;
}

std::optional<std::uint64_t> ZipArchive::uncompressed_size(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return std::nullopt;
  return entries_[it->second].uncompressed;
}

tl::expected<std::string, std::string> ZipArchive::read(std::string_view name, std::uint64_t max_bytes) const {
  const std::string member(name);
  auto refuse = [&](const std::string& why) { return tl::unexpected<std::string>("zip member " + member + ": " + why); };
  auto it = by_name_.find(member);
  if (it == by_name_.end()) return refuse("no such member");
  const Entry& e = entries_[it->second];
  if (e.flags & 0x1) return refuse("encrypted");
  if (e.method != 0 && e.method != 8)
    return refuse("compression method " + std::to_string(e.method) + " is not supported (only stored and deflate)");
  if (e.uncompressed > max_bytes)
    return refuse(std::to_string(e.uncompressed) + " bytes uncompressed, over the cap of " + std::to_string(max_bytes));
  if (e.method == 8 && e.uncompressed > e.compressed * kMaxDeflateRatio + 1024)
    return refuse("declares " + std::to_string(e.uncompressed) + " bytes from " + std::to_string(e.compressed) +
                  " compressed, more than deflate can make");

  unsigned char local[kLocalHeaderSize];
  if (data_end_ - e.local_offset < kLocalHeaderSize) return refuse("local header runs into the central directory");
  if (!read_at(fd_, local, sizeof local, e.local_offset)) return refuse(std::string("cannot read: ") + std::strerror(errno));
  if (le32(local) != kLocalHeaderSig) return refuse("local header has a bad signature");
  const std::uint64_t data_start = e.local_offset + kLocalHeaderSize + le16(local + 26) + le16(local + 28);
  if (data_start > data_end_ || e.compressed > data_end_ - data_start)
    return refuse("data runs past the end of the member area (truncated archive?)");

  std::string out;
  if (e.method == 0) {
    if (e.compressed != e.uncompressed) return refuse("stored member whose sizes differ");
    out.resize(static_cast<std::size_t>(e.uncompressed));
    if (!read_at(fd_, out.data(), out.size(), data_start)) return refuse(std::string("cannot read: ") + std::strerror(errno));
  } else {
    InflateStream stream;
    if (!stream.ready) return refuse("cannot start inflating");
    z_stream& zs = stream.zs;
    // Grown as the data really inflates: a declared size is only a claim.
    out.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(e.uncompressed, kInitialReserve)));
    std::vector<unsigned char> in(kChunk), buf(kChunk);
    std::uint64_t remaining = e.compressed, pos = data_start;
    for (;;) {
      if (zs.avail_in == 0 && remaining > 0) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, in.size()));
        if (!read_at(fd_, in.data(), n, pos)) return refuse(std::string("cannot read: ") + std::strerror(errno));
        zs.next_in = in.data();
        zs.avail_in = static_cast<uInt>(n);
        remaining -= n;
        pos += n;
      }
      zs.next_out = buf.data();
      zs.avail_out = static_cast<uInt>(buf.size());
      const int rc = inflate(&zs, Z_NO_FLUSH);
      const std::size_t produced = buf.size() - zs.avail_out;
      if (out.size() + produced > e.uncompressed)
        return refuse("inflates past its declared " + std::to_string(e.uncompressed) + " bytes");
      out.append(reinterpret_cast<const char*>(buf.data()), produced);
      if (rc == Z_STREAM_END) break;
      if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_MEM_ERROR)
        return refuse(std::string("does not inflate: ") + (zs.msg ? zs.msg : "corrupt deflate data"));
      if (zs.avail_in == 0 && remaining == 0 && (rc == Z_BUF_ERROR || produced == 0))
        return refuse("deflate data is truncated");
    }
  }
  if (out.size() != e.uncompressed)
    return refuse("inflates to " + std::to_string(out.size()) + " bytes, not the declared " +
                  std::to_string(e.uncompressed));
  uLong crc = crc32(0L, Z_NULL, 0);
  for (std::size_t off = 0; off < out.size(); off += kChunk) {
    const std::size_t n = std::min(kChunk, out.size() - off);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(out.data() + off), static_cast<uInt>(n));
  }
  if (crc != e.crc) return refuse("CRC-32 mismatch (corrupt data)");
  return out;
}

}  // namespace lima::thumbs
