#include "library_generator.h"

#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "seeded_rng.h"
#include "synthetic_png.h"
#include "torus_mesh.h"
#include "write_all.h"

namespace lima::bench {
namespace {

namespace fs = std::filesystem;

/// Bumped whenever the same (tier, seed) would produce different bytes, so an
/// old library is never mistaken for a current one.
constexpr int kFormat = 2;
constexpr std::size_t kBufferSize = 1 << 20;

void store_le32(unsigned char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

void store_le64(unsigned char* p, std::uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p, &v, sizeof v);
  } else {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
  }
}

std::string stamp_text(const GenStats& s) {
  std::ostringstream out;
  out << "limafs-bench library\n"
      << "format=" << kFormat << "\n"
      << "tier=" << tier_name(s.tier) << "\n"
      << "seed=" << s.seed << "\n"
      << "projects=" << s.projects << "\n"
      << "files=" << s.files << "\n"
      << "bytes=" << s.bytes << "\n"
      << "duplicates=" << s.duplicates << "\n";
  return out.str();
}

void set_mtime(const fs::path& path, std::int64_t mtime) {
  const struct timespec times[2] = {{mtime, 0}, {mtime, 0}};
  if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    throw GenerateError("cannot set mtime of " + path.string() + ": " + std::strerror(errno));
  }
}

/// Checks that dir can receive the library; returns the stats from its stamp
/// when it already holds exactly this library.
std::optional<GenStats> check_target(const fs::path& dir, Tier tier, std::uint64_t seed) {
  std::error_code ec;
  const auto status = fs::status(dir, ec);
  if (!fs::exists(status)) return std::nullopt;
  if (!fs::is_directory(status)) throw GenerateError(dir.string() + " exists and is not a directory");
  if (auto stamp = read_stamp(dir)) {
    if (stamp->tier == tier && stamp->seed == seed) return stamp;
    throw GenerateError(dir.string() + " holds another library (tier " + std::string(tier_name(stamp->tier)) +
                        ", seed " + std::to_string(stamp->seed) + "); use another directory");
  }
  if (fs::exists(dir / kStampName)) {
    throw GenerateError(dir.string() + " holds a library from another generator version; remove it first");
  }
  const bool empty = fs::is_empty(dir, ec);
  if (ec) throw GenerateError("cannot read " + dir.string() + ": " + ec.message());
  if (!empty) {
    throw GenerateError(dir.string() + " is not empty and holds no " + std::string(kStampName) +
                        "; refusing to write into it");
  }
  return std::nullopt;
}

/// Writes all planned files with a few threads; file i's bytes depend only on
/// the plan, so the thread count does not change the result.
void write_files(const fs::path& dir, const LibraryPlan& plan, std::ostream* log) {
  const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> files_done{0};
  std::atomic<std::uint64_t> bytes_done{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::string error;

  auto worker = [&] {
    auto buffer = std::make_unique<unsigned char[]>(kBufferSize);
    while (!failed) {
      const std::size_t i = next.fetch_add(1);
      if (i >= plan.files.size()) return;
      const PlannedFile& f = plan.files[i];
      const fs::path path = dir / f.path;
      const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      bool ok = fd >= 0 && write_file_content(fd, f, buffer.get(), kBufferSize);
      if (ok) {
        const struct timespec times[2] = {{f.mtime, 0}, {f.mtime, 0}};
        ok = ::futimens(fd, times) == 0;
      }
      int saved_errno = errno;
      if (fd >= 0 && ::close(fd) != 0 && ok) {
        ok = false;
        saved_errno = errno;
      }
      if (!ok) {
        std::lock_guard lock(error_mutex);
        if (!failed.exchange(true)) error = "cannot write " + path.string() + ": " + std::strerror(saved_errno);
        return;
      }
      files_done.fetch_add(1, std::memory_order_relaxed);
      bytes_done.fetch_add(f.size, std::memory_order_relaxed);
    }
  };

  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);

  const auto total = plan.files.size();
  auto last_log = std::chrono::steady_clock::now();
  while (files_done < total && !failed) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto now = std::chrono::steady_clock::now();
    if (log && now - last_log >= std::chrono::seconds(5)) {
      *log << "  " << files_done.load() << " / " << total << " files, " << bytes_done.load() / (1 << 20)
           << " MiB\n"
           << std::flush;
      last_log = now;
    }
  }
  for (auto& t : pool) t.join();
  if (failed) throw GenerateError(error);
}

}  // namespace

bool write_file_content(int fd, const PlannedFile& file, unsigned char* buffer, std::size_t buffer_size) {
  SeededRng rng(file.content_seed);
  std::uint64_t left = file.size;

  if (file.stl) {
    const std::uint64_t triangles = (file.size - 84) / 50;
    std::memset(buffer, ' ', 80);
    char header[81];
    std::snprintf(header, sizeof header, "limafs-bench synthetic binary STL %016llx",
                  static_cast<unsigned long long>(file.content_seed));
    std::memcpy(buffer, header, std::strlen(header));
    store_le32(buffer + 80, static_cast<std::uint32_t>(triangles));
    if (!write_all(fd, buffer, 84)) return false;
    const TorusMesh mesh = TorusMesh::make(triangles, file.content_seed);
    const std::uint64_t per_chunk = buffer_size / 50;
    for (std::uint64_t done = 0; done < triangles;) {
      const std::uint64_t n = std::min(per_chunk, triangles - done);
      mesh.write_records(done, n, buffer);
      if (!write_all(fd, buffer, n * 50)) return false;
      done += n;
    }
    return true;
  }
  if (file.png && file.size >= kMinSyntheticPng) {
    return write_synthetic_png(fd, file.size, file.content_seed, buffer, buffer_size);
  }

  while (left > 0) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer_size));
    for (std::size_t off = 0; off < n; off += 8) store_le64(buffer + off, rng.next());
    if (!write_all(fd, buffer, n)) return false;
    left -= n;
  }
  return true;
}

std::optional<GenStats> read_stamp(const fs::path& dir) {
  std::ifstream in(dir / kStampName);
  std::string line;
  if (!in || !std::getline(in, line) || line != "limafs-bench library") return std::nullopt;
  std::map<std::string, std::string> kv;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  if (kv["format"] != std::to_string(kFormat)) return std::nullopt;
  const auto tier = parse_tier(kv["tier"]);
  if (!tier) return std::nullopt;
  GenStats s;
  s.tier = *tier;
  s.already_generated = true;
  try {
    s.seed = std::stoull(kv.at("seed"));
    s.projects = std::stoull(kv.at("projects"));
    s.files = std::stoull(kv.at("files"));
    s.bytes = std::stoull(kv.at("bytes"));
    s.duplicates = std::stoull(kv.at("duplicates"));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return s;
}

fs::path bench_library_dir(const fs::path& work, Tier tier, std::uint64_t seed) {
  return work / ("lib-" + std::string(tier_name(tier)) + "-" + std::to_string(seed));
}

std::string generated_text(const GenStats& stats, const fs::path& dir) {
  if (stats.already_generated) return "reusing " + dir.string();
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f s", stats.seconds);
  return "generated " + dir.string() + " in " + secs;
}

GenStats generate_library(const fs::path& dir, Tier tier, std::uint64_t seed, std::ostream* log) {
  if (auto existing = check_target(dir, tier, seed)) return *existing;
  const auto start = std::chrono::steady_clock::now();
  const LibraryPlan plan = plan_library(tier, seed);
  GenStats stats;
  stats.tier = tier;
  stats.seed = seed;
  stats.projects = plan.projects.size();
  stats.files = plan.files.size();
  stats.bytes = plan.total_bytes();
  stats.duplicates = plan.duplicate_count();
  if (log) {
    *log << "generating tier " << tier_name(tier) << " (seed " << seed << "): " << stats.projects << " projects, "
         << stats.files << " files, " << stats.bytes / (1 << 20) << " MiB into " << dir.string() << "\n"
         << std::flush;
  }

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw GenerateError("cannot create " + dir.string() + ": " + ec.message());
  for (const auto& d : plan.dirs) {
    if (!fs::create_directory(dir / d.path, ec) && ec) {
      throw GenerateError("cannot create " + (dir / d.path).string() + ": " + ec.message());
    }
  }
  write_files(dir, plan, log);
  // Children before parents: creating entries changes a folder's mtime.
  for (auto it = plan.dirs.rbegin(); it != plan.dirs.rend(); ++it) set_mtime(dir / it->path, it->mtime);

  // The stamp goes last: a library without it is incomplete.
  {
    std::ofstream out(dir / kStampName, std::ios::binary | std::ios::trunc);
    out << stamp_text(stats);
    if (!out.flush()) throw GenerateError("cannot write " + (dir / kStampName).string());
  }
  set_mtime(dir / kStampName, plan.root_mtime);
  set_mtime(dir, plan.root_mtime);

  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

}  // namespace lima::bench
