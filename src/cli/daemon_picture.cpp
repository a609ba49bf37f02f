#include "cli/daemon_picture.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstring>

#include "cli/cli.h"
#include "index/hasher.h"
#include "thumbs/picture.h"
#include "thumbs/picture_store.h"

namespace lima::cli {

namespace stdfs = std::filesystem;

stdfs::path stored_picture_path(const stdfs::path& state_dir, const index::ContentHash& hash, int edge) {
  return thumbs::PictureStore(state_dir / "pictures").picture_path(hash.hex(), edge);
}

std::optional<int> stored_edge_for(int size) {
  for (const int edge : thumbs::kSizes)
    if (size <= edge) return edge;
  return std::nullopt;
}

const DaemonEntry* serving_daemon(const stdfs::path& real_file, const std::vector<DaemonEntry>& daemons) {
  for (const auto& d : daemons) {
    if (!d.library.empty() && is_inside(real_file, d.library)) return &d;
    if (!d.mountpoint.empty() && is_inside(real_file, d.mountpoint)) return &d;
  }
  return nullptr;
}

DaemonPicture find_daemon_picture(const stdfs::path& real_file, int size, const std::vector<DaemonEntry>& daemons) {
  DaemonPicture out;
  out.daemon = serving_daemon(real_file, daemons);
  if (!out.daemon) return out;
  if (out.daemon->state_dir.empty()) {
    out.why_none = "the daemon did not say where its state directory is";
    return out;
  }
  const auto edge = stored_edge_for(size);
  if (!edge) {
    out.why_none = "its pictures are at most 512 pixels, " + std::to_string(size) + " were asked for";
    return out;
  }
  std::vector<char> buffer(std::size_t{1} << 20);
  const auto hashed = index::hash_file(AT_FDCWD, real_file.c_str(), buffer, nullptr);
  if (hashed.error || hashed.not_regular || hashed.unstable) {
    out.why_none = hashed.error ? std::string("cannot hash the file: ") + std::strerror(hashed.error)
                                : std::string("cannot hash the file: it is not a regular file or kept changing");
    return out;
  }
  const auto stored = stored_picture_path(out.daemon->state_dir, hashed.hash, *edge);
  struct stat st {};
  if (::stat(stored.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    out.why_none = "it has no picture of this file yet";
    return out;
  }
  out.file = stored;
  return out;
}

}  // namespace lima::cli
