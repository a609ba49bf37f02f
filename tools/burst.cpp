#include "burst.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <system_error>

#include "library_scratch.h"
#include "seeded_rng.h"

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;
using Clock = std::chrono::steady_clock;

void make_dir(const stdfs::path& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0) throw std::system_error(errno, std::generic_category(), "cannot create " + dir.string());
}

std::string numbered(const char* stem, std::size_t n, const char* ext) {
  char name[64];
  std::snprintf(name, sizeof name, "%s-%05zu%s", stem, n, ext);
  return name;
}

}  // namespace

Burst write_burst(const stdfs::path& library, const std::string& project, std::size_t files, std::uint64_t seed) {
  Burst b;
  b.project = project;
  b.files = files;
  b.folders = (files + kBurstFolderFiles - 1) / kBurstFolderFiles;
  SeededRng rng(derive_seed(seed, 0xb125));
  FileMaker maker;
  const auto start = Clock::now();
  const stdfs::path root = library / project;
  make_dir(root);
  for (std::size_t f = 0; f < b.folders; ++f) {
    const stdfs::path folder = root / numbered("batch", f, "");
    make_dir(folder);
    for (std::size_t i = f * kBurstFolderFiles; i < std::min(files, (f + 1) * kBurstFolderFiles); ++i) {
      const auto triangles = static_cast<std::uint64_t>(rng.between(4, 12));
      maker.create(folder / numbered("part", i, ".stl"), triangles, derive_seed(seed, i));
      b.bytes += stl_bytes(triangles);
    }
  }
  b.ended = Clock::now();
  b.write_s = std::chrono::duration<double>(b.ended - start).count();
  return b;
}

}  // namespace lima::bench
