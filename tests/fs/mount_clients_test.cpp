// Real programs against a mounted tree: what a user's tools do with it.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "mount_fixture.h"

using namespace lima::test;

namespace {

std::string q(const stdfs::path& p) { return "'" + p.string() + "'"; }

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    auto end = s.find('\n', start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("ls -l shows folders and links to the real files", "[mount][clients]") {
  MountedLibrary m;
  m.tag_project("Benchy", "boat");
  m.tag_asset("Dragon", "parts/head.stl", "boat");
  const auto out = shell("ls -l " + q(m / "tags/boat") + " 2>&1; echo exit=$?");
  CHECK(out.find("dr-xr-xr-x 1 ") != std::string::npos);
  CHECK(out.find("Dragon - head.stl -> " + (m.lib() / "Dragon/parts/head.stl").string()) != std::string::npos);
  CHECK(out.find("exit=0") != std::string::npos);
  CHECK(out.find("cannot") == std::string::npos);
}

TEST_CASE("find -xtype f finds the files of a collection", "[mount][clients]") {
  MountedLibrary m;
  m.collection("Queue", {"Dragon", "Cube"});
  const auto base = m / "collections";
  CHECK(lines(shell("find " + q(base) + " -xtype f -name '*.stl'")) ==
        std::vector<std::string>{(base / "Queue/Cube/cube.stl").string(), (base / "Queue/Dragon/parts/head.stl").string(),
                                 (base / "Queue/Dragon/parts/tail.stl").string()});
  CHECK(shell("find " + q(base) + " -type f").empty());  // without -xtype, find sees links
  CHECK(lines(shell("find -L " + q(base / "Queue/Cube") + " -type f")) ==
        std::vector<std::string>{(base / "Queue/Cube/cube.stl").string(), (base / "Queue/Cube/notes.txt").string()});
}

TEST_CASE("du -L counts the real files' bytes", "[mount][clients]") {
  MountedLibrary m;
  std::uintmax_t bytes = 0;
  for (const auto& e : stdfs::recursive_directory_iterator(m.lib() / "Dragon"))
    if (e.is_regular_file()) bytes += e.file_size();
  CHECK(shell("du -L -s -b " + q(m / "projects/Dragon") + " | cut -f1") == std::to_string(bytes) + "\n");
}

TEST_CASE("tree and os.walk see folders and links, without following them", "[mount][clients]") {
  MountedLibrary m;
  const auto dir = m / "projects/Benchy";
  CHECK(shell("python3 -c 'import os,sys\n"
              "for root, dirs, files in os.walk(sys.argv[1], followlinks=False):\n"
              "  for f in sorted(files): print(os.path.relpath(os.path.join(root, f), sys.argv[1]), os.path.islink(os.path.join(root, f)))' " +
              q(dir)) == "3DBenchy.stl True\nimages/cover.png True\nsub/3DBenchy.stl True\n");
  if (shell("command -v tree").empty()) {
    WARN("tree is not installed: checked with os.walk only");
    return;
  }
  const auto out = shell("tree --noreport " + q(dir));
  CHECK(out.find("3DBenchy.stl -> " + (m.lib() / "Benchy/3DBenchy.stl").string()) != std::string::npos);
  CHECK(out.find("sub") != std::string::npos);
  CHECK(out.find("cover.png -> ") != std::string::npos);
}

TEST_CASE("cp -rL of a tag directory copies the real contents", "[mount][clients]") {
  MountedLibrary m;
  m.tag_project("Benchy", "boat");
  m.tag_asset("Dragon", "parts/head.stl", "boat");
  TempDir out;
  const auto dest = out / "boat";
  CHECK(shell("cp -rL " + q(m / "tags/boat") + " " + q(dest) + " 2>&1; echo $?") == "0\n");
  CHECK(read_file(dest / "Benchy/sub/3DBenchy.stl") == read_file(m.lib() / "Benchy/sub/3DBenchy.stl"));
  CHECK(read_file(dest / "Dragon - head.stl") == read_file(m.lib() / "Dragon/parts/head.stl"));
  CHECK(stdfs::is_regular_file(stdfs::symlink_status(dest / "Dragon - head.stl")));
}

TEST_CASE("tar -h of a collection archives the real files", "[mount][clients]") {
  MountedLibrary m;
  m.collection("Queue", {"Cube", "Dragon"});
  TempDir out;
  const auto tar = out / "queue.tar";
  CHECK(shell("tar -chf " + q(tar) + " -C " + q(m / "collections") + " Queue 2>&1; echo $?") == "0\n");
  CHECK(shell("tar -tf " + q(tar) + " | grep -c -v '/$'") == "5\n");
  CHECK(shell("tar -xf " + q(tar) + " -C " + q(out.path()) + " 2>&1; echo $?") == "0\n");
  CHECK(read_file(out / "Queue/Dragon/parts/tail.stl") == read_file(m.lib() / "Dragon/parts/tail.stl"));
  CHECK(read_file(out / "Queue/Cube/notes.txt") == "print at 0.2 mm\n");
}

TEST_CASE("cp -rL and tar -h of a tag whose flattened names would pass 255 bytes", "[mount][clients][names]") {
  const std::string file = std::string(251, 'f') + ".stl";  // 255 bytes
  const std::string project(255, 'P');
  MountedLibrary m([&](const stdfs::path& root) {
    write_file(root / "Benchy" / file, "solid long file\n");
    write_file(root / project / "3DBenchy.stl", "solid long project\n");
    write_file(root / project / "sub/3DBenchy.stl", "solid long project, sub\n");
  });
  m.tag_asset("Benchy", file, "long");
  m.tag_asset(project, "3DBenchy.stl", "long");
  m.tag_asset(project, "sub/3DBenchy.stl", "long");
  m.tag_project(project, "long");
  TempDir out;
  const auto dest = out / "long";
  CHECK(shell("cp -rL " + q(m / "tags/long") + " " + q(dest) + " 2>&1; echo $?") == "0\n");
  std::vector<std::string> copied;
  for (const auto& e : stdfs::recursive_directory_iterator(dest))
    if (e.is_regular_file()) copied.push_back(read_file(e.path()));
  std::sort(copied.begin(), copied.end());
  // Three tagged files, and the project's two files through its folder.
  CHECK(copied == std::vector<std::string>{"solid long file\n", "solid long project\n", "solid long project\n",
                                           "solid long project, sub\n", "solid long project, sub\n"});
  CHECK(shell("tar -chf " + q(out / "long.tar") + " -C " + q(m / "tags") + " long 2>&1; echo $?") == "0\n");
}

TEST_CASE("as README.txt says: the view refuses changes, but a write through a link changes the real file",
          "[mount][clients]") {
  MountedLibrary m;
  m.tag_asset("Cube", "notes.txt", "doc");
  const auto readme = read_file(m / "README.txt");
  CHECK(readme.find("writes the real file") != std::string::npos);
  CHECK(readme.find("grep -R") != std::string::npos);
  const auto link = m / "tags/doc/Cube - notes.txt";
  const auto real = m.lib() / "Cube/notes.txt";
  // Changing names in the view fails and leaves the library alone.
  CHECK(shell("rm " + q(link) + " 2>&1; echo $?").ends_with("1\n"));
  CHECK(shell("mv " + q(link) + " " + q(m / "tags/doc/x.txt") + " 2>&1; echo $?").ends_with("1\n"));
  CHECK(shell("sed -i s/0.2/0.3/ " + q(link) + " 2>&1; echo $?").find("Read-only file system") != std::string::npos);
  CHECK(shell("touch " + q(m / "tags/doc/new.txt") + " 2>&1; echo $?").ends_with("1\n"));
  CHECK(read_file(real) == "print at 0.2 mm\n");
  // Writing through the link is writing the library's file.
  CHECK(shell("echo 'and slowly' >> " + q(link) + "; echo $?") == "0\n");
  CHECK(read_file(real) == "print at 0.2 mm\nand slowly\n");
  TempDir out;
  write_file(out / "other.txt", "replaced\n");
  CHECK(shell("cp " + q(out / "other.txt") + " " + q(link) + "; echo $?") == "0\n");
  CHECK(read_file(real) == "replaced\n");
  // grep -r does not follow the links; grep -R does.
  CHECK(shell("grep -r -l replaced " + q(m / "tags/doc")).empty());
  CHECK(shell("grep -R -l replaced " + q(m / "tags/doc")) == link.string() + "\n");
}
