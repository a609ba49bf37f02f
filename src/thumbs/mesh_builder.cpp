#include "thumbs/mesh_builder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lima::thumbs {
Outcome<ModelFile> ModelFile::open(const std::filesystem::path& file, const Limits& limits) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return failed(FailureKind::unparsable_model, std::string("cannot open: ") + std::strerror(errno));
  ModelFile f(fd, 0);
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return failed(FailureKind::unparsable_model, std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return failed(FailureKind::unparsable_model, "not a regular file");
  f.size_ = static_cast<std::uint64_t>(st.st_size);
  if (f.size_ > limits.max_model_bytes)
    return failed(FailureKind::over_cap, "the file is " + std::to_string(f.size_) + " bytes, over the cap of " +
                                             std::to_string(limits.max_model_bytes) + " bytes for a model");
  return f;
}

ModelFile::~ModelFile() {
  if (fd_ >= 0) ::close(fd_);
}

Outcome<std::size_t> ModelFile::read(char* to, std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t got = ::read(fd_, to + done, n - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return failed(FailureKind::unparsable_model, std::string("cannot read: ") + std::strerror(errno));
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  position_ += done;
  return done;
}

Outcome<std::string> ModelFile::read_rest() {
  std::string bytes(static_cast<std::size_t>(size_ > position_ ? size_ - position_ : 0), '\0');
  auto got = read(bytes.data(), bytes.size());  // a file that shrank meanwhile: what is there
  if (!got) return tl::unexpected<Failure>(std::move(got.error()));
  bytes.resize(*got);
  return bytes;
}

Outcome<std::string> read_model_file(const std::filesystem::path& file, const Limits& limits) {
  auto f = ModelFile::open(file, limits);
  if (!f) return tl::unexpected<Failure>(std::move(f.error()));
  return f->read_rest();
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
