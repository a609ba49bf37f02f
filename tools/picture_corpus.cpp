#include "picture_corpus.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "child_process.h"
#include "seeded_rng.h"
#include "torus_mesh.h"

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;

/// Bumped whenever the same kinds would give other pixels.
constexpr int kCorpusFormat = 2;
constexpr const char* kCorpusStamp = ".limafs-bench-corpus";

std::string stamp_text() {
  std::ostringstream out;
  out << "format " << kCorpusFormat << "\n";
  for (const auto& k : corpus_kinds()) {
    out << k.extension << " " << k.options << " " << k.count << " " << k.width << "x" << k.height << "\n";
  }
  return out.str();
}

std::string read_text(const stdfs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// "photo-07.jpg": numbered across the kinds, so no two files share a stem
/// (vipsthumbnail names its output after the stem).
std::string file_name(const CorpusKind& kind, int number) {
  char name[64];
  std::snprintf(name, sizeof name, "photo-%02d.%s", number, kind.extension);
  return name;
}

/// Random values on a square lattice of `cell` pixels, one per channel,
/// read back bilinearly with smoothstep weights: soft colour clouds.
class CloudLayer {
 public:
  CloudLayer(int width, int height, int cell, float amplitude, SeededRng& rng)
      : cell_(cell), columns_(width / cell + 2), amplitude_(amplitude) {
    values_.resize(static_cast<std::size_t>(columns_) * static_cast<std::size_t>(height / cell + 2) * 3);
    for (auto& v : values_) v = static_cast<float>(rng.uniform() * 2.0 - 1.0) * amplitude_;
  }

  /// Adds the layer's row y to out (width * 3 floats).
  void add_row(int y, int width, float* out) const {
    const int gy = y / cell_;
    const float ty = smooth(static_cast<float>(y % cell_) / static_cast<float>(cell_));
    for (int x = 0; x < width; ++x) {
      const int gx = x / cell_;
      const float tx = smooth(static_cast<float>(x % cell_) / static_cast<float>(cell_));
      for (int c = 0; c < 3; ++c) {
        const float top = mix(at(gx, gy, c), at(gx + 1, gy, c), tx);
        const float bottom = mix(at(gx, gy + 1, c), at(gx + 1, gy + 1, c), tx);
        out[3 * x + c] += mix(top, bottom, ty);
      }
    }
  }

 private:
  static float smooth(float t) { return t * t * (3.0f - 2.0f * t); }
  static float mix(float a, float b, float t) { return a + (b - a) * t; }
  float at(int gx, int gy, int c) const {
    return values_[(static_cast<std::size_t>(gy) * static_cast<std::size_t>(columns_) + static_cast<std::size_t>(gx)) *
                       3 +
                   static_cast<std::size_t>(c)];
  }

  int cell_, columns_;
  float amplitude_;
  std::vector<float> values_;
};

/// Writes a photo-like picture as a binary PPM.
void write_ppm(const stdfs::path& file, int width, int height, std::uint64_t seed) {
  SeededRng rng(seed);
  float base[3];
  for (auto& b : base) b = 70.0f + static_cast<float>(rng.below(110));
  const CloudLayer layers[] = {{width, height, 640, 80.0f, rng}, {width, height, 160, 40.0f, rng},
                               {width, height, 24, 14.0f, rng}};
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << "P6\n" << width << " " << height << "\n255\n";
  std::vector<float> row(static_cast<std::size_t>(width) * 3);
  std::vector<char> bytes(row.size());
  for (int y = 0; y < height; ++y) {
    for (std::size_t i = 0; i < row.size(); i += 3) std::copy(base, base + 3, row.begin() + static_cast<long>(i));
    for (const auto& layer : layers) layer.add_row(y, width, row.data());
    for (std::size_t i = 0; i < row.size(); ++i) {
      const float grain = static_cast<float>(rng.next() & 15) - 7.5f;
      bytes[i] = static_cast<char>(static_cast<unsigned char>(std::clamp(row[i] + grain, 0.0f, 255.0f)));
    }
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  if (!out.flush()) throw std::runtime_error("cannot write " + file.string());
}

void fill_stats(ImageCorpus& c) {
  std::error_code ec;
  int number = 0;
  for (const auto& k : corpus_kinds()) {
    for (int i = 0; i < k.count; ++i) {
      c.files.push_back(c.library / kCorpusProject / file_name(k, ++number));
      c.bytes += stdfs::file_size(c.files.back(), ec);
      c.pixels += static_cast<std::uint64_t>(k.width) * static_cast<std::uint64_t>(k.height);
    }
  }
  std::sort(c.files.begin(), c.files.end());
}

}  // namespace

const std::vector<CorpusKind>& corpus_kinds() {
  static const std::vector<CorpusKind> kinds = {
      {"jpg", "[Q=90]", 24, 4000, 3000},
      {"png", "", 24, 2304, 1728},
      {"webp", "[Q=85]", 6, 3000, 2000},
  };
  return kinds;
}

ImageCorpus make_image_corpus(const stdfs::path& dir, std::ostream* log) {
  ImageCorpus c;
  c.library = dir;
  if (read_text(dir / kCorpusStamp) == stamp_text()) {
    c.reused = true;
    fill_stats(c);
    return c;
  }
  if (find_in_path("vips").empty()) throw std::runtime_error("vips is not in PATH (Debian package libvips-tools)");
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  stdfs::remove_all(dir, ec);
  stdfs::create_directories(dir / kCorpusProject, ec);
  if (ec) throw std::runtime_error("cannot create " + (dir / kCorpusProject).string() + ": " + ec.message());
  const stdfs::path ppm = dir.parent_path() / (dir.filename().string() + "-scratch.ppm");
  const stdfs::path err = dir.parent_path() / (dir.filename().string() + "-vips.log");
  int number = 0;
  for (const auto& k : corpus_kinds()) {
    for (int i = 0; i < k.count; ++i) {
      const stdfs::path out = dir / kCorpusProject / file_name(k, ++number);
      if (log) *log << "  writing " << out.filename().string() << " (" << k.width << "x" << k.height << ")\n" << std::flush;
      write_ppm(ppm, k.width, k.height, derive_seed(static_cast<std::uint64_t>(number), 7));
      const ChildResult r = run_child({"vips", "copy", ppm.string(), out.string() + k.options}, err);
      if (!r.ok()) throw std::runtime_error("vips copy " + out.string() + " failed (" + r.describe() + "): " + file_tail(err));
    }
  }
  stdfs::remove(ppm, ec);
  stdfs::remove(err, ec);
  std::ofstream(dir / kCorpusStamp) << stamp_text();
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fill_stats(c);
  return c;
}

MeshFile make_mesh_file(const stdfs::path& dir, std::uint64_t triangles) {
  MeshFile m;
  m.triangles = triangles;
  m.bytes = 84 + 50 * triangles;
  m.path = dir / ("bumpy-torus-" + std::to_string(triangles) + ".stl");
  std::error_code ec;
  if (stdfs::file_size(m.path, ec) == m.bytes && !ec) {
    m.reused = true;
    return m;
  }
  stdfs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create " + dir.string() + ": " + ec.message());
  const stdfs::path part = m.path.string() + ".part";
  {
    std::ofstream out(part, std::ios::binary | std::ios::trunc);
    char header[84] = {};
    std::snprintf(header, 80, "limafs-bench bumpy torus, %llu triangles", static_cast<unsigned long long>(triangles));
    for (int i = 0; i < 4; ++i) header[80 + i] = static_cast<char>((triangles >> (8 * i)) & 0xff);
    out.write(header, sizeof header);
    const TorusMesh mesh = TorusMesh::make(triangles, 1);
    constexpr std::uint64_t kChunk = 20'000;
    std::vector<unsigned char> records(kChunk * 50);
    for (std::uint64_t done = 0; done < triangles; done += kChunk) {
      const std::uint64_t n = std::min(kChunk, triangles - done);
      mesh.write_records(done, n, records.data());
      out.write(reinterpret_cast<const char*>(records.data()), static_cast<std::streamsize>(n * 50));
    }
    if (!out.flush()) throw std::runtime_error("cannot write " + part.string());
  }
  stdfs::rename(part, m.path, ec);
  if (ec) throw std::runtime_error("cannot rename " + part.string() + ": " + ec.message());
  return m;
}

}  // namespace lima::bench
