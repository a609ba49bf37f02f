#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "index/hasher.h"
#include "test_support.h"

using namespace lima::index;
using lima::test::TempDir;

TEST_CASE("content hashes are what `xxhsum -H2` prints") {
  TempDir dir;
  const std::size_t sizes[] = {0, 1, 15, 240, 241, 4096, (1u << 20) - 1, (1u << 20) + 3, 5u << 20};
  unsigned seed = 1;
  for (auto n : sizes) lima::test::write_file(dir / ("f" + std::to_string(n)), lima::test::random_bytes(n, seed++));
  const std::string out = lima::test::shell("cd '" + dir.path().string() + "' && xxhsum -H2 f* 2>&1");
  REQUIRE(out.find("f0") != std::string::npos);
  std::size_t checked = 0;
  for (auto n : sizes) {
    const std::string name = "f" + std::to_string(n);
    auto h = hash_path(dir / name);
    REQUIRE(h);
    INFO(name);
    CHECK(out.find(h->hex() + "  " + name + "\n") != std::string::npos);
    ++checked;
  }
  CHECK(checked == std::size(sizes));
  CHECK(hash_path(dir / "f0")->to_string() == "xxh3:99aa06d3014798d86001c324468d497f");
}

TEST_CASE("hashing never follows a symlink nor blocks on a FIFO") {
  TempDir dir;
  lima::test::write_file(dir / "real", "data");
  std::filesystem::create_symlink(dir / "real", dir / "link");
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0644) == 0);
  std::vector<char> buf(4096);
  auto l = hash_file(AT_FDCWD, (dir / "link").c_str(), buf, nullptr);
  CHECK(l.not_regular);
  auto f = hash_file(AT_FDCWD, (dir / "fifo").c_str(), buf, nullptr);
  CHECK(f.not_regular);
  auto gone = hash_file(AT_FDCWD, (dir / "missing").c_str(), buf, nullptr);
  CHECK(gone.error == ENOENT);
}

TEST_CASE("a file that keeps changing while it is read is reported, not hashed") {
  TempDir dir;
  const auto p = dir / "growing.bin";
  lima::test::write_file(p, lima::test::random_bytes(32u << 20, 7));
  HashedFile r;
  {
    lima::test::AppendingWriter writer(p);
    std::vector<char> buf(4096);  // small reads: each pass takes a while
    r = hash_file(AT_FDCWD, p.c_str(), buf, nullptr);
  }
  CHECK(r.unstable);
  CHECK(r.error == 0);
}

TEST_CASE("the hash pool runs every job and waits for them") {
  HashPool pool(3, 4);
  std::atomic<int> done{0};
  for (int i = 0; i < 200; ++i) pool.submit([&](std::span<char> buf) {
    CHECK(buf.size() == (128u << 10));
    ++done;
  });
  pool.wait_idle();
  CHECK(done == 200);
}

TEST_CASE("hashing gives a file up between two reads when told to stop, and only then") {
  TempDir dir;
  lima::test::write_file(dir / "big.stl", lima::test::random_bytes(5u << 20, 7));
  std::vector<char> buffer(1u << 20);
  int asked = 0;
  auto h = hash_file(AT_FDCWD, (dir / "big.stl").c_str(), buffer, nullptr, 3, [&] { return ++asked == 2; });
  CHECK(h.stopped);
  CHECK(asked == 2);  // after the second of five reads
  CHECK(h.size == 0);
  CHECK(h.error == 0);

  auto whole = hash_file(AT_FDCWD, (dir / "big.stl").c_str(), buffer, nullptr, 3, [] { return false; });
  CHECK_FALSE(whole.stopped);
  CHECK(whole.size == 5u << 20);
  CHECK(whole.hash == *hash_path(dir / "big.stl"));
}
