// What the model readers share: reading a whole model file under the size
// cap, and a mesh under construction that keeps the drawable triangles,
// counts the dropped ones and stops at the triangle cap and the deadline.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include "thumbs/mesh.h"

namespace lima::thumbs {

/// A model file open for reading, its size within the cap.
class ModelFile {
 public:
  /// Fails with over_cap when the file is over limits.max_model_bytes, with
  /// unparsable_model when it cannot be opened or is not a regular file.
  static Outcome<ModelFile> open(const std::filesystem::path& file, const Limits& limits);
  ModelFile(ModelFile&& other) noexcept : fd_(other.fd_), size_(other.size_), position_(other.position_) {
    other.fd_ = -1;
  }
  ModelFile& operator=(ModelFile&&) = delete;
  ~ModelFile();

  /// The size when opened.
  std::uint64_t size() const { return size_; }
  /// Up to `n` bytes from where the last read ended: fewer only at the end
  /// of the file.
  Outcome<std::size_t> read(char* to, std::size_t n);
  /// The rest of the file (up to size()), in one read.
  Outcome<std::string> read_rest();

 private:
  ModelFile(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  int fd_;
  std::uint64_t size_;
  std::uint64_t position_ = 0;
};

/// The whole file, in one read: ModelFile::open, then read_rest.
Outcome<std::string> read_model_file(const std::filesystem::path& file, const Limits& limits);

/// "took longer than 20 s": the reason of a model given up at its deadline.
std::string over_time_reason(const Limits& limits);

/// True when the triangle (9 floats) has finite vertices and an area.
inline bool drawable_triangle(const float* v) {
  for (int i = 0; i < 9; ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, v + i, sizeof bits);
    if ((bits & 0x7f800000u) == 0x7f800000u) return false;  // inf or NaN
  }
  const float ax = v[3] - v[0], ay = v[4] - v[1], az = v[5] - v[2];
  const float bx = v[6] - v[0], by = v[7] - v[1], bz = v[8] - v[2];
  const float nx = ay * bz - az * by, ny = az * bx - ax * bz, nz = ax * by - ay * bx;
  return nx != 0.0f || ny != 0.0f || nz != 0.0f;
}

/// A mesh being read. add() every triangle of the file in order; finish()
/// gives the mesh, or why there is none.
class MeshBuilder {
 public:
  MeshBuilder(const Limits& limits, Deadline deadline) : limits_(limits), deadline_(deadline) {}

  /// Room for this many triangles (a binary STL knows its count).
  void reserve(std::uint64_t triangles) { mesh_.xyz.reserve(static_cast<std::size_t>(triangles) * 9); }

  /// Keeps the triangle (9 floats) when it is drawable, counts it as skipped
  /// otherwise. False once over limits.max_triangles or past the deadline:
  /// the reader stops, and finish() says why.
  bool add(const float* v) {
    if (++seen_ > limits_.max_triangles) return stop_over_triangles();
    if ((seen_ & 0x3fff) == 0 && Clock::now() > deadline_) return stop_over_time();
    if (!drawable_triangle(v)) {
      ++mesh_.skipped;
      return true;
    }
    mesh_.xyz.insert(mesh_.xyz.end(), v, v + 9);
    return true;
  }

  /// False (and finish() says why) when the deadline has passed.
  bool in_time() { return Clock::now() <= deadline_ || stop_over_time(); }

  /// Stops the reading with a reason of the reader's; the first one stays.
  void fail(std::string reason, FailureKind kind = FailureKind::unparsable_model) {
    if (!failure_) failure_ = Failure{kind, std::move(reason)};
  }
  bool failed() const { return failure_.has_value(); }

  /// The mesh; or the failure add()/fail() recorded; or "no triangles" when
  /// nothing drawable was added.
  Outcome<Mesh> finish();

 private:
  bool stop_over_triangles();
  bool stop_over_time();

  const Limits& limits_;
  Deadline deadline_;
  Mesh mesh_;
  std::uint64_t seen_ = 0;
  std::optional<Failure> failure_;
};

}  // namespace lima::thumbs
