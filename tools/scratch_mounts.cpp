#include "scratch_mounts.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace lima::bench {
namespace {

namespace stdfs = std::filesystem;

constexpr std::size_t kMaxSignalPaths = 4;
constexpr std::size_t kMaxPathBytes = 4096;

// Written before g_signal_path_count is published; read by the handler only.
char g_signal_paths[kMaxSignalPaths][kMaxPathBytes];
std::atomic<std::size_t> g_signal_path_count{0};

extern "C" void detach_and_die(int sig) {
  for (std::size_t i = g_signal_path_count.load(); i > 0; --i) ::umount2(g_signal_paths[i - 1], MNT_DETACH);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

TmpfsMount::TmpfsMount(stdfs::path dir, const std::string& size) : dir_(std::move(dir)) {
  const std::string options = "size=" + size + ",mode=0755";
  if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    throw std::system_error(errno, std::generic_category(), "cannot mount a tmpfs on " + dir_.string());
  }
}

TmpfsMount::~TmpfsMount() { ::umount2(dir_.c_str(), MNT_DETACH); }

bool clear_stale_mount(const stdfs::path& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno != ENOTCONN) return false;
    return ::umount2(dir.c_str(), MNT_DETACH) == 0;
  }
  struct stat parent {};
  const stdfs::path up = dir.parent_path().empty() ? stdfs::path(".") : dir.parent_path();
  if (!S_ISDIR(st.st_mode) || ::stat(up.c_str(), &parent) != 0 || parent.st_dev == st.st_dev) return false;
  return ::umount2(dir.c_str(), MNT_DETACH) == 0;
}

void prepare_mountpoint(const stdfs::path& dir) {
  clear_stale_mount(dir);
  std::error_code ec;
  stdfs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create " + dir.string() + ": " + ec.message());
  if (!stdfs::is_directory(dir, ec)) throw std::runtime_error(dir.string() + " is not a directory");
  if (!stdfs::is_empty(dir, ec) || ec) {
    throw std::runtime_error(dir.string() + " is not empty" + (ec ? ": " + ec.message() : std::string()));
  }
}

void unmount_on_signal(const std::vector<stdfs::path>& dirs) {
  g_signal_path_count.store(0);
  std::size_t n = 0;
  for (const auto& d : dirs) {
    const std::string s = d.string();
    if (n == kMaxSignalPaths || s.size() >= kMaxPathBytes) continue;
    std::memcpy(g_signal_paths[n], s.c_str(), s.size() + 1);
    ++n;
  }
  g_signal_path_count.store(n);
  struct sigaction sa {};
  sa.sa_handler = detach_and_die;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

std::string mount_unavailable_reason() {
  if (::access("/dev/fuse", F_OK) != 0) return "/dev/fuse is absent";
  if (::geteuid() != 0) return "mounting the tmpfs baseline needs root";
  return "";
}

}  // namespace lima::bench
