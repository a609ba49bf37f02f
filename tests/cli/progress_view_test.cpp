#include <catch2/catch.hpp>

#include "cli/progress_view.h"

using namespace lima::cli;
using lima::index::SyncPhase;
using lima::index::SyncProgress;

TEST_CASE("sizes and durations read naturally") {
  CHECK(human_bytes(0) == "0 B");
  CHECK(human_bytes(812) == "812 B");
  CHECK(human_bytes(1400) == "1.40 kB");
  CHECK(human_bytes(3.21e9) == "3.21 GB");
  CHECK(human_bytes(45.6e6) == "45.6 MB");
  CHECK(human_duration(0.42) == "0.42 s");
  CHECK(human_duration(12.34) == "12.3 s");
  CHECK(human_duration(245) == "4:05");
  CHECK(human_duration(3723) == "1:02:03");
}

TEST_CASE("the progress line shows counts while walking and a bar, rates and ETA while hashing") {
  SyncProgress p;
  p.phase = static_cast<int>(SyncPhase::walking);
  p.files_seen = 12345;
  auto walking = render_progress(p, 2.0, 200, true);
  CHECK(walking.find("12,345 files (walking)") != std::string::npos);
  CHECK(walking.find("files/s") != std::string::npos);
  CHECK(walking.find('[') == std::string::npos);  // no bar before the total is known

  p.walk_done = true;
  p.files_to_hash = 1000;
  p.files_hashed = 250;
  p.bytes_hashed = 500'000'000;
  auto hashing = render_progress(p, 5.0, 200, true);
  CHECK(hashing.find("[#####---------------]  25% ") == 0);
  CHECK(hashing.find("hashed 250/1,000 (500 MB)") != std::string::npos);
  CHECK(hashing.find("50 files/s") != std::string::npos);
  CHECK(hashing.find("100 MB/s") != std::string::npos);
  CHECK(hashing.find("ETA 15.0 s") != std::string::npos);

  auto plain = render_progress(p, 5.0, 200, false);
  CHECK(plain.find('[') == std::string::npos);

  p.phase = static_cast<int>(SyncPhase::writing);
  p.items_to_write = 4000;
  p.items_written = 1000;
  CHECK(render_progress(p, 6.0, 200, true).find("writing 1,000/4,000 changes") != std::string::npos);
}

TEST_CASE("the progress line never overflows the terminal") {
  SyncProgress p;
  p.walk_done = true;
  p.files_seen = p.files_to_hash = 123456789;
  p.files_hashed = 1234567;
  p.bytes_hashed = 98'765'432'100;
  for (std::size_t width : {20u, 40u, 79u}) {
    auto line = render_progress(p, 3.0, width, true);
    std::size_t cols = 0;
    for (unsigned char c : line) cols += (c & 0xC0) != 0x80;
    CHECK(cols <= width);
  }
}

TEST_CASE("a rescan shows a bar while walking, sized by the previous index") {
  SyncProgress p;
  p.phase = static_cast<int>(SyncPhase::walking);
  p.files_expected = 1000;
  p.files_seen = 500;
  auto line = render_progress(p, 1.0, 200, true);
  CHECK(line.find("[##########----------]  50% 500 files (walking)") == 0);
  CHECK(line.find("ETA 1.00 s") != std::string::npos);
}
