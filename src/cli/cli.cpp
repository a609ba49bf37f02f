#include "cli/cli.h"

#include <cstdio>
#include <iostream>
#include <system_error>

#include "index/state_dir.h"

#ifndef LIMA_VERSION
#define LIMA_VERSION "dev"
#endif

namespace lima::cli {

namespace {

constexpr const char* kUsageText = R"(usage: limafs COMMAND [ARGS...]

Index a library of 3D-printing projects and browse it by tag.

Commands:
  mount LIBRARY MOUNTPOINT
                  sync, then serve the read-only view of LIBRARY on MOUNTPOINT
  scan LIBRARY    index LIBRARY once (sync the index with the disk)
  runs LIBRARY    list the recorded sync runs, newest first
  thumbnail INPUT OUTPUT
                  write a PNG picture of INPUT (--size N), as a desktop
                  thumbnailer; no daemon needed

Talking to the running daemon (through its control API):
  status          what it serves: library, mount, API, counts, last run
  tag TARGET TAG...    tag a project (or "Project/path/file")
  untag TARGET TAG...  remove tags
  tags ...        list tags with counts; rename, merge, delete
  note TARGET [TEXT]   show, set (or --clear) a note
  main-image PROJECT [IMAGE]
                  show or choose the main image (--auto: automatic)
  search WORD...  projects and files matching every word
                  (--save NAME: keep the query as a saved search)
  searches ...    saved searches: list, show, create, rename, set, delete
  have FILE...    is this file's content in the library already?
  problems        the problem report (--kind KIND: only those)
  collection ...  list, show, create, add, remove, order, rename, delete
  sync [SCOPE]    sync the index with the disk (--verify rehashes,
                  --cancel stops the running sync)
  export [FILE]   write all metadata (tags, collections, notes) as JSON
  import FILE     merge such an export into the index
  help [COMMAND]  show help for a command

Options:
  -h, --help      show this help
  --version       show the version

Run 'limafs COMMAND --help' for a command's options; see limafs(1).
)";

}  // namespace

const char* version() { return LIMA_VERSION; }

int complain(int code, const std::string& message) {
  std::fprintf(stderr, "limafs: %s\n", message.c_str());
  return code;
}

std::filesystem::path resolve_library(const std::string& arg) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(arg, ec);
  if (ec) return std::filesystem::path(arg).lexically_normal();
  auto canon = std::filesystem::weakly_canonical(abs, ec);
  std::filesystem::path p = ec ? abs.lexically_normal() : canon;
  std::string s = p.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

bool is_inside(const std::filesystem::path& inner, const std::filesystem::path& outer) {
  const std::string a = inner.string(), b = outer.string();
  return a == b || a.starts_with(b == "/" ? b : b + "/");
}

std::filesystem::path resolve_state(const std::filesystem::path& library, const std::vector<std::string>& state_opt) {
  // Symlinks resolved like the library's, so "is it inside the library?"
  // compares real locations.
  return resolve_library(state_opt.empty() ? index::default_state_dir(library).string() : state_opt.back());
}

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs("limafs: no command given\n", stderr);
    std::fputs(kUsageText, stderr);
    return kUsage;
  }
  const std::string cmd = args.front();
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "-h" || cmd == "--help") {
    std::fputs(kUsageText, stdout);
    return kOk;
  }
  if (cmd == "--version") {
    std::printf("limafs %s\n", version());
    return kOk;
  }
  if (cmd == "help") {
    if (rest.empty()) {
      std::fputs(kUsageText, stdout);
      return kOk;
    }
    if (rest.front() == "mount") return cmd_mount({"--help"});
    if (rest.front() == "scan") return cmd_scan({"--help"});
    if (rest.front() == "runs") return cmd_runs({"--help"});
    if (rest.front() == "thumbnail") return cmd_thumbnail({"--help"});
    if (int code = cmd_client(rest.front(), {"--help"}); code >= 0) return code;
    return complain(kUsage, "unknown command '" + rest.front() + "'");
  }
  if (cmd == "mount") return cmd_mount(rest);
  if (cmd == "scan") return cmd_scan(rest);
  if (cmd == "runs") return cmd_runs(rest);
  if (cmd == "thumbnail") return cmd_thumbnail(rest);
  if (int code = cmd_client(cmd, rest); code >= 0) return code;
  return complain(kUsage, "unknown command '" + cmd + "' (try 'limafs --help')");
}

}  // namespace lima::cli
