#include "index/backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "index/backup_internal.h"
#include "index/log.h"
#include "index/records_json.h"

namespace lima::index {

using backup_detail::now_ns;

// ---- automatic export -----------------------------------------------------

namespace {

constexpr std::string_view kBackupPrefix = "metadata-";
constexpr std::string_view kBackupSuffix = ".json";

// "metadata-yyyymmddTHHMMSSmmmZ.json"
bool is_backup_name(std::string_view n) {
  if (n.size() != kBackupPrefix.size() + 19 + kBackupSuffix.size()) return false;
  if (!n.starts_with(kBackupPrefix) || !n.ends_with(kBackupSuffix)) return false;
  std::string_view stamp = n.substr(kBackupPrefix.size(), 19);
  for (std::size_t i = 0; i < stamp.size(); ++i) {
    char ch = stamp[i];
    bool ok = i == 8 ? ch == 'T' : i == 18 ? ch == 'Z' : ch >= '0' && ch <= '9';
    if (!ok) return false;
  }
  return true;
}

std::string backup_name(std::int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02d%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_ms % 1000));
  return std::string(kBackupPrefix) + buf + std::string(kBackupSuffix);
}

bool metadata_changed(const Changes& c) {
  return !c.tags.empty() || !c.tagged_projects.empty() || !c.tagged_assets.empty() || !c.collections.empty() ||
         c.tag_names || c.collection_names || c.notes || c.saved_searches;
}

// Writes `text` to `to` through a temp file beside it: complete or absent.
Result<void> write_atomically(const std::filesystem::path& to, const std::string& text) {
  const std::filesystem::path tmp = to.parent_path() / ("." + to.filename().string() + ".tmp");
  auto io_error = [&](const char* what) {
    int e = errno;
    ::unlink(tmp.c_str());
    if (e == ENOSPC || e == EDQUOT)
      return fail(Errc::no_space, "no space left on the state directory's filesystem (" + to.parent_path().string() +
                                      "): cannot write " + tmp.string());
    return fail(Errc::io, std::string(what) + " " + tmp.string() + ": " + std::strerror(e));
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create");
  for (std::size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return io_error("cannot write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return io_error("cannot sync");
  }
  if (::close(fd) != 0) return io_error("cannot close");
  if (::rename(tmp.c_str(), to.c_str()) != 0) return io_error("cannot rename");
  if (int dir = ::open(to.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

}  // namespace

BackupWriter::BackupWriter(Catalog& c, std::filesystem::path directory, std::size_t keep,
                           std::chrono::milliseconds delay)
    : c_(c),
      dir_(directory.empty() ? c.state_dir() / "backups" : std::move(directory)),
      keep_(std::max<std::size_t>(keep, 1)),
      delay_(delay) {
  // Temp files of a write that crashed.
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir_, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    std::string n = it->path().filename().string();
    if (n.size() > 5 && n[0] == '.' && n.ends_with(".tmp") && is_backup_name(n.substr(1, n.size() - 5)))
      std::filesystem::remove(it->path(), ec);
  }
  thread_ = std::thread([this] { run(); });
  subscription_ = c_.subscribe([this](const Changes& ch) {
    if (metadata_changed(ch)) touch();
  });
}

BackupWriter::~BackupWriter() {
  c_.unsubscribe(subscription_);
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  (void)flush();
}

void BackupWriter::touch() {
  {
    std::lock_guard lock(mu_);
    dirty_ = armed_ = true;
    last_change_ = std::chrono::steady_clock::now();
  }
  cv_.notify_all();
}

void BackupWriter::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (!armed_) {
      cv_.wait(lock);
      continue;
    }
    auto due = last_change_ + delay_;
    if (std::chrono::steady_clock::now() < due) {
      cv_.wait_until(lock, due);
      continue;
    }
    armed_ = false;
    lock.unlock();
    // A failure is kept in last_error_ and said once in the log (again
    // only when it changes): the next metadata change tries again.
    const auto before = last_error();
    if (auto written = flush(); !written && written.error().message != before.value_or(""))
      log::warning("the metadata backup could not be written: " + written.error().message +
                   " (the index keeps every change; the next change tries again)");
    else if (written && before && !last_error())
      log::notice("the metadata backup is written again");
    lock.lock();
  }
}

Result<std::optional<std::filesystem::path>> BackupWriter::flush() {
  std::lock_guard file_lock(file_mu_);
  {
    std::lock_guard lock(mu_);
    if (!dirty_) return std::nullopt;
    dirty_ = armed_ = false;
  }
  auto written = write_export();
  std::lock_guard lock(mu_);
  if (!written) {
    dirty_ = true;
    last_error_ = written.error().message;
    return tl::unexpected(written.error());
  }
  last_error_.reset();
  return std::optional<std::filesystem::path>(std::move(*written));
}

Result<std::filesystem::path> BackupWriter::write_export() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return fail(Errc::io, "cannot create " + dir_.string() + ": " + ec.message());
  std::string text;
  try {
    ReadTxn t(c_.env());
    text = dump_json(export_metadata(c_, t)) + "\n";
  } catch (const LmdbError& e) {
    return fail(Errc::io, std::string("cannot read the index: ") + e.what());
  }
  // A name later than the last one, even within one millisecond.
  std::int64_t ms = std::max(now_ns() / 1'000'000, last_stamp_ms_ + 1);
  while (std::filesystem::exists(dir_ / backup_name(ms), ec)) ++ms;
  last_stamp_ms_ = ms;
  const auto path = dir_ / backup_name(ms);
  if (auto w = write_atomically(path, text); !w) return tl::unexpected(w.error());
  prune();
  return path;
}

void BackupWriter::prune() const {
  auto files = list();
  std::error_code ec;
  for (std::size_t i = keep_; i < files.size(); ++i) std::filesystem::remove(files[i], ec);
}

std::vector<std::filesystem::path> BackupWriter::list() const {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir_, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    std::error_code ec2;
    if (is_backup_name(it->path().filename().string()) && it->is_regular_file(ec2)) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.filename() > b.filename(); });
  return out;
}

std::optional<std::string> BackupWriter::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

}  // namespace lima::index
