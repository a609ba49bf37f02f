#include "library_scratch.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <system_error>

#include "library_plan.h"
#include "library_generator.h"
#include "seeded_rng.h"

namespace lima::bench {

namespace stdfs = std::filesystem;

namespace {

constexpr std::size_t kBufferBytes = 64 * 1024;  // what write_file_content asks for

}  // namespace

FileMaker::FileMaker() : buffer_(kBufferBytes) {}

void FileMaker::create(const stdfs::path& path, std::uint64_t triangles, std::uint64_t seed) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot create " + path.string());
  PlannedFile file;
  file.size = stl_bytes(triangles);
  file.content_seed = seed;
  file.stl = true;
  const bool written = write_file_content(fd, file, buffer_.data(), buffer_.size());
  const int write_errno = errno;
  if (::close(fd) != 0 && written) {
    throw std::system_error(errno, std::generic_category(), "cannot close " + path.string());
  }
  if (!written) throw std::system_error(write_errno, std::generic_category(), "cannot write " + path.string());
}

std::string scratch_run_prefix() {
  std::uint64_t state = static_cast<std::uint64_t>(::getpid()) ^
                        static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  char tag[16];
  std::snprintf(tag, sizeof tag, "%08llx", static_cast<unsigned long long>(splitmix64(state) & 0xffffffffULL));
  return std::string(kScratchPrefix) + tag + "-";
}

std::size_t sweep_scratch(const stdfs::path& library) {
  std::vector<stdfs::path> found;
  std::error_code ec;
  for (auto it = stdfs::recursive_directory_iterator(library, ec); !ec && it != stdfs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->path().filename().string().starts_with(kScratchPrefix)) continue;
    found.push_back(it->path());
    it.disable_recursion_pending();  // all of it goes
  }
  if (ec) throw std::runtime_error("cannot walk " + library.string() + ": " + ec.message());
  for (const auto& path : found) {
    stdfs::remove_all(path, ec);
    if (ec) throw std::runtime_error("cannot remove " + path.string() + ": " + ec.message());
  }
  return found.size();
}

}  // namespace lima::bench
