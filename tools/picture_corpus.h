// The files the pictures benchmark makes pictures of, generated once into
// the work directory and reused: a library of one project folder holding
// large photo-like images (JPEG, PNG and WebP, written by the `vips` command
// from pixels drawn here: colour clouds at three scales under fine grain,
// so they compress and scale like photographs rather than flat colour),
// and a large binary STL model (a finely tessellated bumpy torus).
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

namespace lima::bench {

/// One kind of image in the corpus.
struct CorpusKind {
  const char* extension;  ///< "jpg", "png", "webp"
  const char* options;    ///< the vips save options, "[Q=90]"
  int count, width, height;
};

/// 24 JPEGs of 12 MP (4000x3000), 24 PNGs of 4 MP (2304x1728), 6 WebPs of
/// 6 MP (3000x2000).
const std::vector<CorpusKind>& corpus_kinds();

/// The image library: LIBRARY/<kProjectFolder>/photo-NN.EXT.
inline constexpr const char* kCorpusProject = "Photo Set";

struct ImageCorpus {
  std::filesystem::path library;            ///< the library root (holds one project folder)
  std::vector<std::filesystem::path> files; ///< every image, in name order
  std::uint64_t bytes = 0;
  std::uint64_t pixels = 0;
  double seconds = 0;  ///< to generate; 0 when reused
  bool reused = false;
};

/// Generates the image library into dir (with the `vips` program), or
/// reuses it when dir holds a complete one of the same shape. Throws
/// std::runtime_error.
ImageCorpus make_image_corpus(const std::filesystem::path& dir, std::ostream* log);

struct MeshFile {
  std::filesystem::path path;
  std::uint64_t triangles = 0, bytes = 0;
  bool reused = false;
};

/// Writes (or reuses) a binary STL of `triangles` triangles into dir.
/// Throws std::runtime_error.
MeshFile make_mesh_file(const std::filesystem::path& dir, std::uint64_t triangles);

}  // namespace lima::bench
