#include "thumbs/mesh_builder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lima::thumbs {
namespace {

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Outcome<std::string> read_model_file(const std::filesystem::path& file, const Limits& limits) {
  Fd f{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return failed(FailureKind::unparsable_model, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0)
    return failed(FailureKind::unparsable_model, std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return failed(FailureKind::unparsable_model, "not a regular file");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > limits.max_model_bytes)
    return failed(FailureKind::over_cap, "the file is " + std::to_string(size) + " bytes, over the cap of " +
                                             std::to_string(limits.max_model_bytes) + " bytes for a model");
  std::string bytes(static_cast<std::size_t>(size), '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(f.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failed(FailureKind::unparsable_model, std::string("cannot read: ") + std::strerror(errno));
    if (n == 0) break;  // shrank while being read: parse what is there
    done += static_cast<std::size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

std::string over_time_reason(const Limits& limits) {
  const auto ms = limits.max_time.count();
  if (ms % 1000 == 0) return "took longer than " + std::to_string(ms / 1000) + " s";
  return "took longer than " + std::to_string(ms) + " ms";
}

bool MeshBuilder::stop_over_triangles() {
  if (!failure_)
    failure_ = Failure{FailureKind::over_cap,
                       "more than " + std::to_string(limits_.max_triangles) + " triangles, over the cap"};
  return false;
}

bool MeshBuilder::stop_over_time() {
  if (!failure_) failure_ = Failure{FailureKind::over_cap, over_time_reason(limits_)};
  return false;
}

Outcome<Mesh> MeshBuilder::finish() {
  if (failure_) return tl::unexpected<Failure>(std::move(*failure_));
  if (mesh_.xyz.empty()) {
    std::string reason = "no triangles";
    if (mesh_.skipped > 0)
      reason += " (" + std::to_string(mesh_.skipped) + " dropped: a vertex not a finite number, or no area)";
    return thumbs::failed(FailureKind::unparsable_model, std::move(reason));
  }
  return std::move(mesh_);
}

}  // namespace lima::thumbs
