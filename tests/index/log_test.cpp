// The daemon's log lines: levels in words on a terminal or in a file, as
// syslog priorities for the journal, and the level filter.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "index/log.h"
#include "test_support.h"

namespace {

/// What `fn` wrote to standard error.
template <class Fn>
std::string stderr_of(Fn fn) {
  lima::test::TempDir tmp;
  const auto path = tmp / "err";
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(fd, STDERR_FILENO);
  ::close(fd);
  fn();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  return lima::test::read_file(path);
}

struct RestoreLog {
  ~RestoreLog() {
    lima::log::set_level(lima::log::Level::info);
    lima::log::set_journal_format(false);
  }
};

}  // namespace

TEST_CASE("log lines say their level in words, or as a priority for the journal", "[log]") {
  using namespace lima::log;
  RestoreLog restore;
  set_journal_format(false);
  CHECK(stderr_of([] {
          info("serving /lib");
          warning("library offline");
          error("sync failed");
        }) == "limafs: serving /lib\nlimafs: warning: library offline\nlimafs: error: sync failed\n");

  set_journal_format(true);
  CHECK(stderr_of([] {
          notice("serving /lib");
          warning("library offline");
          error("two\nlines");
        }) == "<5>serving /lib\n<4>library offline\n<3>two lines\n");

  set_level(Level::warning);
  CHECK(stderr_of([] {
          info("not shown");
          debug("nor this");
          warning("shown");
        }) == "<4>shown\n");

  CHECK(parse_level("debug") == Level::debug);
  CHECK(parse_level("warning") == Level::warning);
  CHECK_FALSE(parse_level("loud"));
}
