// The library writer, the only code that writes into the library: new
// project folders and uploads appear whole or not at all, never overwrite
// unless asked, and never reach outside the library.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <map>
#include <thread>

#include "index/library_writer.h"
#include "test_support.h"

using namespace lima::index;
using lima::test::read_file;
using lima::test::TempDir;
using lima::test::write_file;
namespace stdfs = std::filesystem;

namespace {

// Every name under `root` with its type, size and modification time: what
// a user would see change.
std::map<std::string, std::string> snapshot(const stdfs::path& root) {
  std::map<std::string, std::string> out;
  struct stat st {};
  for (const auto& e : stdfs::recursive_directory_iterator(root)) {
    REQUIRE(::lstat(e.path().c_str(), &st) == 0);
    out[stdfs::relative(e.path(), root).string()] = std::to_string(st.st_mode) + " " + std::to_string(st.st_size) +
                                                    " " + std::to_string(st.st_mtim.tv_sec) + "." +
                                                    std::to_string(st.st_mtim.tv_nsec);
  }
  ::lstat(root.c_str(), &st);
  out["."] = std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  return out;
}

ProjectPath path(std::string_view text) {
  auto p = ProjectPath::parse(text);
  REQUIRE(p);
  return *p;
}

// Uploads `content` to `rel` in project folder `project`.
Result<void> upload(const LibraryWriter& w, std::string_view project, std::string_view rel, const std::string& content,
                    bool overwrite = false) {
  auto up = w.prepare_upload(project, path(rel), overwrite);
  if (!up) return tl::unexpected(up.error());
  if (auto r = up->open(); !r) return r;
  if (auto r = up->write(content.data(), content.size()); !r) return r;
  return up->commit();
}

struct Library {
  TempDir dir;
  stdfs::path root = dir / "library";
  LibraryWriter writer{root};
  Library() {
    stdfs::create_directories(root / "Benchy" / "stl");
    write_file(root / "Benchy" / "stl" / "hull.stl", "solid hull");
  }
};

}  // namespace

TEST_CASE("library writer: a new project folder is created at the top of the library, under a sane name only") {
  Library lib;
  REQUIRE(lib.writer.create_project_folder("New Thing"));
  CHECK(stdfs::is_directory(lib.root / "New Thing"));

  const auto before = snapshot(lib.root);
  auto again = lib.writer.create_project_folder("New Thing");
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::conflict);
  CHECK(again.error().message == "the library has a 'New Thing' already");
  for (const char* bad : {"", "a/b", ".hidden", " lead", "trail ", "+plus", "..", "x.part", "bell\x07"}) {
    auto r = lib.writer.create_project_folder(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::invalid_argument);
  }
  CHECK(snapshot(lib.root) == before);

  LibraryWriter offline(lib.dir / "not-there");
  auto r = offline.create_project_folder("Thing");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::library_offline);
  CHECK_FALSE(stdfs::exists(lib.dir / "not-there"));
}

TEST_CASE("library writer: paths that are not plainly inside a project are refused before anything is opened") {
  for (const char* bad : {"", "/etc/passwd", "../x.stl", "a/../../x.stl", "./x.stl", "a//b.stl", "a/", ".git/config",
                          "x.stl.part"}) {
    auto p = ProjectPath::parse(bad);
    REQUIRE_FALSE(p);
    CHECK(p.error().code == Errc::invalid_argument);
    CHECK(p.error().message.starts_with("path"));
  }
  CHECK_FALSE(ProjectPath::parse(std::string(256, 'x')));
  CHECK_FALSE(ProjectPath::parse(std::string("a\0b", 3)));
  const auto ok = path("stl/parts/hull.stl");
  CHECK(ok.parts() == std::vector<std::string>{"stl", "parts", "hull.stl"});
  CHECK(ok.folder() == "stl/parts");
  CHECK(path("hull.stl").folder().empty());
}

TEST_CASE("library writer: an upload appears whole, in new folders, only when it is committed") {
  Library lib;
  const auto before = snapshot(lib.root);
  const std::string content = lima::test::random_bytes(300000, 7);
  auto up = lib.writer.prepare_upload("Benchy", path("new/deeper/part.stl"), false);
  REQUIRE(up);
  REQUIRE(up->open());
  REQUIRE(up->write(content.data(), 1000));
  REQUIRE(up->write(content.data() + 1000, content.size() - 1000));
  CHECK(snapshot(lib.root) == before);  // nothing visible yet, folder times included
  REQUIRE(up->commit());
  CHECK(read_file(lib.root / "Benchy" / "new" / "deeper" / "part.stl") == content);
  // No temporary file is left anywhere.
  for (const auto& e : stdfs::recursive_directory_iterator(lib.root))
    CHECK_FALSE(e.path().filename().string().starts_with(".limafs-upload"));

  REQUIRE(upload(lib.writer, "Benchy", "top.stl", "top"));
  CHECK(read_file(lib.root / "Benchy" / "top.stl") == "top");
}

TEST_CASE("library writer: an upload dropped or failing before it is in place leaves the library as it was") {
  Library lib;
  const auto before = snapshot(lib.root);
  {
    auto up = lib.writer.prepare_upload("Benchy", path("new/sub/part.stl"), false);
    REQUIRE(up);
    REQUIRE(up->open());
    REQUIRE(up->write("partial", 7));
  }  // dropped: the client went away
  CHECK(snapshot(lib.root) == before);
  {
    // The name is taken while the body arrives: the upload is refused and
    // the other file kept.
    auto up = lib.writer.prepare_upload("Benchy", path("new/sub/part.stl"), false);
    REQUIRE(up);
    REQUIRE(up->open());
    REQUIRE(up->write("mine", 4));
    stdfs::create_directories(lib.root / "Benchy" / "new");
    write_file(lib.root / "Benchy" / "new" / "sub" / "part.stl", "theirs");
    const auto theirs = snapshot(lib.root);
    auto r = up->commit();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::conflict);
    CHECK(r.error().message == "'new/sub/part.stl' appeared meanwhile (add overwrite=true to replace it)");
    CHECK(snapshot(lib.root) == theirs);
    CHECK(read_file(lib.root / "Benchy" / "new" / "sub" / "part.stl") == "theirs");
    stdfs::remove_all(lib.root / "Benchy" / "new");
  }
  {
    // Two uploads of one new path: the second to finish is refused and
    // removes nothing of the first.
    auto up = lib.writer.prepare_upload("Benchy", path("a/b/c.stl"), false);
    REQUIRE(up);
    REQUIRE(up->open());
    auto other = lib.writer.prepare_upload("Benchy", path("a/b/c.stl"), false);
    REQUIRE(other);
    REQUIRE(other->open());
    REQUIRE(other->commit());
    const auto with_other = snapshot(lib.root);
    CHECK_FALSE(up->commit());
    CHECK(snapshot(lib.root) == with_other);
  }
}

TEST_CASE("library writer: an existing file is replaced only when asked, and never a symlink or a folder") {
  Library lib;
  const auto before = snapshot(lib.root);
  auto refused = lib.writer.prepare_upload("Benchy", path("stl/hull.stl"), false);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::conflict);
  CHECK(refused.error().message == "'stl/hull.stl' exists already (add overwrite=true to replace it)");
  auto folder = lib.writer.prepare_upload("Benchy", path("stl"), true);
  REQUIRE_FALSE(folder);
  CHECK(folder.error().code == Errc::conflict);
  stdfs::create_symlink("hull.stl", lib.root / "Benchy" / "stl" / "link.stl");
  const auto with_link = snapshot(lib.root);
  auto link = lib.writer.prepare_upload("Benchy", path("stl/link.stl"), true);
  REQUIRE_FALSE(link);
  CHECK(link.error().code == Errc::invalid_argument);
  CHECK(snapshot(lib.root) == with_link);
  stdfs::remove(lib.root / "Benchy" / "stl" / "link.stl");
  CHECK(read_file(lib.root / "Benchy" / "stl" / "hull.stl") == "solid hull");

  REQUIRE(upload(lib.writer, "Benchy", "stl/hull.stl", "solid new hull", true));
  CHECK(read_file(lib.root / "Benchy" / "stl" / "hull.stl") == "solid new hull");
  CHECK(snapshot(lib.root).size() == before.size());  // replaced in place, no temporary left
}

TEST_CASE("library writer: uploads that create the same new folder at once both land") {
  Library lib;
  constexpr int kUploads = 8;
  std::vector<LibraryWriter::Upload> ups;
  for (int i = 0; i < kUploads; ++i) {
    auto up = lib.writer.prepare_upload("Benchy", path("shared/new/f" + std::to_string(i) + ".stl"), false);
    REQUIRE(up);
    REQUIRE(up->open());
    REQUIRE(up->write("x", 1));
    ups.push_back(std::move(*up));
  }
  std::vector<int> ok(kUploads, 0);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kUploads; ++i) threads.emplace_back([&, i] { ok[i] = ups[i].commit().has_value(); });
  }
  for (int i = 0; i < kUploads; ++i) {
    CHECK(ok[i]);
    CHECK(read_file(lib.root / "Benchy" / "shared" / "new" / ("f" + std::to_string(i) + ".stl")) == "x");
  }
}

TEST_CASE("library writer: nothing outside the library is written through symlinks or a missing project") {
  Library lib;
  const auto outside = lib.dir / "outside";
  stdfs::create_directories(outside);
  stdfs::create_directory_symlink(outside, lib.root / "Benchy" / "escape");
  stdfs::create_directory_symlink(outside, lib.root / "Linked");
  const auto before = snapshot(lib.dir.path());

  auto via_sub = lib.writer.prepare_upload("Benchy", path("escape/x.stl"), false);
  REQUIRE_FALSE(via_sub);
  CHECK(via_sub.error().code == Errc::invalid_argument);
  CHECK(via_sub.error().message == "'escape' is a symlink or not a folder; uploads never follow symlinks");
  auto via_deeper = lib.writer.prepare_upload("Benchy", path("escape/new/x.stl"), false);
  REQUIRE_FALSE(via_deeper);
  CHECK(via_deeper.error().code == Errc::invalid_argument);
  auto via_project = lib.writer.prepare_upload("Linked", path("x.stl"), false);
  REQUIRE_FALSE(via_project);
  CHECK(via_project.error().code == Errc::invalid_argument);
  auto through_file = lib.writer.prepare_upload("Benchy", path("stl/hull.stl/x.stl"), false);
  REQUIRE_FALSE(through_file);
  CHECK(through_file.error().code == Errc::invalid_argument);
  auto gone = lib.writer.prepare_upload("Gone", path("x.stl"), false);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code == Errc::conflict);
  CHECK(gone.error().message == "the folder of project 'Gone' is gone (sync)");
  CHECK(snapshot(lib.dir.path()) == before);
  CHECK(stdfs::is_empty(outside));
}
