#include "bench_paths.h"

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>

#include "child_process.h"

namespace lima::bench {

namespace stdfs = std::filesystem;

stdfs::path resolve_limafs(const std::optional<stdfs::path>& given) {
  if (given) {
    stdfs::path p = *given;
    if (p.string().find('/') == std::string::npos) p = find_in_path(p.string());
    if (p.empty() || !is_executable(p)) throw std::runtime_error("--limafs " + given->string() + " is not an executable");
    return stdfs::absolute(p);
  }
  std::error_code ec;
  const stdfs::path self = stdfs::read_symlink("/proc/self/exe", ec);
  if (!ec && is_executable(self.parent_path() / "limafs")) return self.parent_path() / "limafs";
  if (stdfs::path p = find_in_path("limafs"); !p.empty()) return stdfs::absolute(p);
  throw std::runtime_error("cannot find limafs next to limafs-bench or in PATH; pass --limafs PATH");
}

stdfs::path default_work() {
  const char* tmp = std::getenv("TMPDIR");
  return stdfs::path(tmp && *tmp ? tmp : "/tmp") / "limafs-bench";
}

}  // namespace lima::bench
