#include "mount_library.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "seeded_rng.h"

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;

/// Bumped whenever the same shape would produce different names or bytes.
constexpr int kFormat = 1;

constexpr std::array<const char*, 8> kAdjectives = {"Articulated", "Compact", "Hollow",  "Modular",
                                                    "Parametric",  "Rugged",  "Twisted", "Vented"};
constexpr std::array<const char*, 8> kNouns = {"Bracket", "Dragon", "Enclosure", "Gear",
                                               "Hinge",   "Lamp",   "Planter",   "Vase"};

std::string stamp_text(const MountShape& shape) {
  return "format " + std::to_string(kFormat) + "\nprojects " + std::to_string(shape.projects) +
         "\nfiles-per-project " + std::to_string(shape.files_per_project) + "\n";
}

bool has_stamp(const stdfs::path& dir, const MountShape& shape) {
  std::ifstream in(dir / kMountStampName);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str() == stamp_text(shape);
}

/// Deterministic printable content of 200-500 bytes for one file.
std::string file_content(std::size_t project, std::size_t file) {
  SeededRng rng(static_cast<std::uint64_t>(project) * 1'000'003u + file + 1);
  const std::size_t size = 200 + static_cast<std::size_t>(rng.next() % 301);
  std::string out = mount_project_name(project) + "/" + mount_file_path(file) + "\n";
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789 ";
  while (out.size() + 1 < size) out += kAlphabet[rng.next() % (sizeof kAlphabet - 1)];
  out += '\n';
  return out;
}

void write_file(const stdfs::path& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + path.string() + ": " + std::strerror(errno));
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(err));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

std::string mount_project_name(std::size_t index) {
  char number[32];
  std::snprintf(number, sizeof number, "%05zu", index);
  return std::string(kAdjectives[index % kAdjectives.size()]) + " " +
         kNouns[(index / kAdjectives.size()) % kNouns.size()] + " " + number;
}

std::string mount_file_path(std::size_t index) {
  char name[48];
  switch (index % 3) {
    case 0: std::snprintf(name, sizeof name, "models/part-%02zu.stl", index / 3); break;
    case 1: std::snprintf(name, sizeof name, "images/photo-%02zu.jpg", index / 3); break;
    default: std::snprintf(name, sizeof name, "notes-%02zu.txt", index / 3); break;
  }
  return name;
}

MountLibraryStats generate_mount_library(const stdfs::path& dir, const MountShape& shape, std::ostream* log) {
  MountLibraryStats stats;
  stats.files = shape.files();
  if (has_stamp(dir, shape)) {
    for (std::size_t p = 0; p < shape.projects; ++p) {
      for (std::size_t f = 0; f < shape.files_per_project; ++f) stats.bytes += file_content(p, f).size();
    }
    stats.already_generated = true;
    return stats;
  }
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  stdfs::remove_all(dir, ec);
  if (ec) throw std::runtime_error("cannot remove " + dir.string() + ": " + ec.message());
  stdfs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create " + dir.string() + ": " + ec.message());
  for (std::size_t p = 0; p < shape.projects; ++p) {
    const stdfs::path project = dir / mount_project_name(p);
    for (const char* sub : {"", "models", "images"}) {
      stdfs::create_directories(project / sub, ec);
      if (ec) throw std::runtime_error("cannot create " + (project / sub).string() + ": " + ec.message());
    }
    for (std::size_t f = 0; f < shape.files_per_project; ++f) {
      const std::string content = file_content(p, f);
      write_file(project / mount_file_path(f), content);
      stats.bytes += content.size();
    }
    if (log && (p + 1) % 1000 == 0) *log << "generated " << p + 1 << "/" << shape.projects << " projects\n" << std::flush;
  }
  write_file(dir / kMountStampName, stamp_text(shape));
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

}  // namespace lima::bench
