#include "cli/daemon_registry.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

namespace lima::cli {

namespace stdfs = std::filesystem;

namespace {

stdfs::path runtime_dir_path() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  const bool use_xdg = xdg && *xdg == '/' && ::access(xdg, W_OK | X_OK) == 0;
  return use_xdg ? stdfs::path(xdg) / "limafs" : stdfs::path("/tmp") / ("limafs-" + std::to_string(::getuid()));
}

bool is_private_dir(const stdfs::path& dir) {
  struct stat st {};
  return ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::getuid() && (st.st_mode & 077) == 0;
}

}  // namespace

index::Result<stdfs::path> runtime_dir() {
  const stdfs::path dir = runtime_dir_path();
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return index::fail(index::Errc::io, "cannot create " + dir.string() + ": " + std::strerror(errno));
  if (!is_private_dir(dir))
    return index::fail(index::Errc::io, dir.string() + " is not a private directory of this user; remove it");
  return dir;
}

index::Result<std::unique_ptr<Registration>> Registration::create(const DaemonEntry& e) {
  auto dir = runtime_dir();
  if (!dir) return tl::unexpected(dir.error());
  const auto file = *dir / (std::to_string(e.pid) + ".json");
  const auto temp = *dir / (std::to_string(e.pid) + ".json.tmp");
  nlohmann::json j = {{"pid", e.pid},         {"library", e.library}, {"state_dir", e.state_dir},
                      {"mountpoint", e.mountpoint}, {"api", e.api},   {"token_file", e.token_file}};
  {
    std::ofstream out(temp, std::ios::trunc);
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    if (!out) return index::fail(index::Errc::io, "cannot write " + temp.string());
  }
  std::error_code ec;
  stdfs::rename(temp, file, ec);
  if (ec) return index::fail(index::Errc::io, "cannot write " + file.string() + ": " + ec.message());
  return std::unique_ptr<Registration>(new Registration(file));
}

Registration::~Registration() {
  std::error_code ec;
  stdfs::remove(file_, ec);
}

std::vector<DaemonEntry> running_daemons(bool tidy) {
  std::vector<DaemonEntry> out;
  auto dir = tidy ? runtime_dir() : index::Result<stdfs::path>(runtime_dir_path());
  if (!dir || (!tidy && !is_private_dir(*dir))) return out;
  std::error_code ec;
  for (const auto& f : stdfs::directory_iterator(*dir, ec)) {
    if (f.path().extension() != ".json") continue;
    std::ifstream in(f.path());
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("pid") || !j["pid"].is_number_integer()) continue;
    DaemonEntry e;
    e.pid = j["pid"].get<pid_t>();
    if (e.pid <= 0 || (::kill(e.pid, 0) != 0 && errno == ESRCH)) {
      if (tidy) stdfs::remove(f.path(), ec);  // its daemon is gone
      continue;
    }
    e.library = j.value("library", "");
    e.state_dir = j.value("state_dir", "");
    e.mountpoint = j.value("mountpoint", "");
    e.api = j.value("api", "");
    e.token_file = j.value("token_file", "");
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace lima::cli
