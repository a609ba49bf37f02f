#include "index/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace lima::log {

namespace {

std::atomic<int> g_level{static_cast<int>(Level::info)};

// $JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected; it only
// counts while stderr still is that stream (not redirected by a child).
bool stderr_is_journal() {
  const char* js = std::getenv("JOURNAL_STREAM");
  if (!js || !*js) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  return ::fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

std::atomic<int> g_journal{-1};  // -1: not decided yet

bool journal() {
  int j = g_journal.load();
  if (j < 0) {
    j = stderr_is_journal() ? 1 : 0;
    g_journal.store(j);
  }
  return j == 1;
}

std::mutex g_mu;

}  // namespace

void set_level(Level level) { g_level.store(static_cast<int>(level)); }
Level level() { return static_cast<Level>(g_level.load()); }

std::optional<Level> parse_level(std::string_view name) {
  if (name == "error") return Level::error;
  if (name == "warning" || name == "warn") return Level::warning;
  if (name == "notice") return Level::notice;
  if (name == "info") return Level::info;
  if (name == "debug") return Level::debug;
  return std::nullopt;
}

void set_journal_format(bool on) { g_journal.store(on ? 1 : 0); }

void write(Level lv, std::string_view message) {
  if (static_cast<int>(lv) > g_level.load()) return;
  std::string line;
  if (journal()) {
    line = "<" + std::to_string(static_cast<int>(lv)) + ">";
  } else {
    line = "limafs: ";
    if (lv == Level::error) line += "error: ";
    else if (lv == Level::warning) line += "warning: ";
  }
  // One entry is one line: embedded newlines would split it.
  for (char c : message) line.push_back(c == '\n' ? ' ' : c);
  line.push_back('\n');
  std::lock_guard lock(g_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace lima::log
