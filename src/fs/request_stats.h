// Per-operation counters of the requests the kernel sent the mount, shown in
// MOUNT/.limafs/stats so anyone can see what reaches the daemon (and what
// the kernel's caches answered without asking).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace lima::fs {

enum class Op : std::uint8_t {
  lookup, forget, getattr, readlink, opendir, readdir, readdirplus, open, read, release, statfs,
  getxattr, listxattr, access, refused,  // refused: a mutating request (EROFS)
  count_
};

inline constexpr std::array<std::string_view, static_cast<std::size_t>(Op::count_)> kOpNames{
    "lookup", "forget", "getattr", "readlink", "opendir", "readdir", "readdirplus", "open", "read",
    "release", "statfs", "getxattr", "listxattr", "access", "refused"};

class RequestStats {
 public:
  void count(Op op) { counts_[static_cast<std::size_t>(op)].fetch_add(1, std::memory_order_relaxed); }
  void error() { errors_.fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t get(Op op) const { return counts_[static_cast<std::size_t>(op)].load(std::memory_order_relaxed); }

  /// "total N\n" then "<op> N\n" per operation, then "errors N\n" (answers
  /// of EIO after a failure).
  std::string text() const {
    std::uint64_t total = 0;
    std::string body;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      const auto n = counts_[i].load(std::memory_order_relaxed);
      total += n;
      body += std::string(kOpNames[i]) + " " + std::to_string(n) + "\n";
    }
    return "total " + std::to_string(total) + "\n" + body + "errors " +
           std::to_string(errors_.load(std::memory_order_relaxed)) + "\n";
  }

 private:
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Op::count_)> counts_{};
  std::atomic<std::uint64_t> errors_{0};
};

}  // namespace lima::fs
