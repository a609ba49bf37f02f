#include "thumbs/picture_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace lima::thumbs {

namespace {

namespace stdfs = std::filesystem;

const std::string kVersionDir = "v" + std::to_string(kPictureVersion);

std::optional<FailureKind> parse_failure_kind(std::string_view s) {
  for (auto k : {FailureKind::undecodable_image, FailureKind::unparsable_model, FailureKind::over_cap,
                 FailureKind::no_picture})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

// Writes `bytes` to `target` through a temporary file in the same directory
// and a rename; fsync is not needed: a picture lost to a crash is made again.
tl::expected<void, std::string> write_atomically(const stdfs::path& target, std::string_view bytes) {
  std::error_code ec;
  stdfs::create_directories(target.parent_path(), ec);
  if (ec) return tl::unexpected("cannot create " + target.parent_path().string() + ": " + ec.message());
  auto tmp = target;
  tmp += ".tmp" + std::to_string(::getpid()) + "-" + std::to_string(reinterpret_cast<std::uintptr_t>(&bytes));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return tl::unexpected("cannot write " + tmp.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = std::strerror(n < 0 ? errno : EIO);
      ::close(fd);
      ::unlink(tmp.c_str());
      return tl::unexpected("cannot write " + tmp.string() + ": " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 || ::rename(tmp.c_str(), target.c_str()) != 0) {
    std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return tl::unexpected("cannot write " + target.string() + ": " + why);
  }
  return {};
}

}  // namespace

bool is_hash(std::string_view hash) {
  if (hash.size() != 32) return false;
  for (char c : hash)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

PictureStore::PictureStore(stdfs::path root) : root_(std::move(root)), current_(root_ / kVersionDir) {}

stdfs::path PictureStore::dir_of(std::string_view hash) const { return current_ / std::string(hash.substr(0, 2)); }

stdfs::path PictureStore::picture_path(std::string_view hash, int size) const {
  return dir_of(hash) / (std::string(hash) + "-" + std::to_string(size) + ".webp");
}

std::optional<stdfs::path> PictureStore::find(std::string_view hash, int size) const {
  if (!is_hash(hash)) return std::nullopt;
  auto p = picture_path(hash, size);
  if (::access(p.c_str(), F_OK) != 0) return std::nullopt;
  return p;
}

tl::expected<void, std::string> PictureStore::put(std::string_view hash, int size, const Picture& picture) {
  if (!is_hash(hash)) return tl::unexpected("not a content hash: " + std::string(hash));
  return write_atomically(picture_path(hash, size), picture.bytes);
}

std::optional<Failure> PictureStore::failure(std::string_view hash) const {
  if (!is_hash(hash)) return std::nullopt;
  std::ifstream in(dir_of(hash) / (std::string(hash) + ".failed"));
  if (!in) return std::nullopt;
  std::string kind, reason;
  std::getline(in, kind);
  std::getline(in, reason);
  auto k = parse_failure_kind(kind);
  if (!k) return std::nullopt;
  return Failure{*k, reason};
}

tl::expected<void, std::string> PictureStore::put_failure(std::string_view hash, const Failure& failure) {
  if (!is_hash(hash)) return tl::unexpected("not a content hash: " + std::string(hash));
  std::string reason = failure.reason;
  for (char& c : reason)
    if (c == '\n' || c == '\r') c = ' ';
  std::string text = std::string(to_string(failure.kind)) + "\n" + reason + "\n";
  return write_atomically(dir_of(hash) / (std::string(hash) + ".failed"), text);
}

void PictureStore::forget(std::string_view hash) {
  if (!is_hash(hash)) return;
  for (int size : kSizes) ::unlink(picture_path(hash, size).c_str());
  ::unlink((dir_of(hash) / (std::string(hash) + ".failed")).c_str());
}

PictureStore::Collected PictureStore::collect(const std::function<bool(std::string_view hash)>& needed,
                                              const std::atomic<bool>& stop) {
  Collected out;
  std::error_code ec;
  // Other versions' pictures: nobody asks for them any more.
  for (stdfs::directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
    if (stop.load()) return out;
    if (it->path().filename() == kVersionDir) continue;
    std::error_code rm;
    out.removed += stdfs::remove_all(it->path(), rm);
  }
  for (stdfs::directory_iterator shard(current_, ec), end; !ec && shard != end; shard.increment(ec)) {
    std::error_code ec2;
    for (stdfs::directory_iterator it(shard->path(), ec2), end2; !ec2 && it != end2; it.increment(ec2)) {
      if (stop.load()) return out;
      const auto name = it->path().filename().string();
      const std::string_view hash = std::string_view(name).substr(0, 32);
      // Leftover temporary files are removed too (a crash between write and rename).
      const bool temporary = name.find(".tmp") != std::string::npos;
      if (!temporary && is_hash(hash) && needed(hash)) {
        ++out.kept;
        continue;
      }
      std::error_code size_ec, rm;
      const auto bytes = it->file_size(size_ec);
      if (stdfs::remove(it->path(), rm)) {
        ++out.removed;
        if (!size_ec) out.bytes_removed += bytes;
      }
    }
  }
  return out;
}

}  // namespace lima::thumbs
