// `limafs have FILE...`: is this file in the library already? Hashes each
// local file as the index does (XXH3-128, what `xxhsum -H2` prints) and asks
// the daemon for the live assets with that content (GET /assets?hash=).
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "cli/client_session.h"
#include "index/hasher.h"
#include "index/names.h"

namespace lima::cli {

using nlohmann::json;

namespace {

constexpr const char* kHaveHelp = R"(usage: limafs have FILE... [options]

Tell whether the library holds a copy of each FILE (any file on this
machine, a symlink is followed): its content hash (XXH3-128, as
'xxhsum -H2 FILE' prints it) is looked up in the index, so a copy is found
whatever its name or folder. Prints each copy as "FILE: Project/path" (by
path), or "FILE: no copy in the library".

Exit status: 0 every FILE has a copy in the library, 1 some FILE has none
(or an error: a FILE that cannot be read, no daemon), 2 bad command line.
)";

// The content hash of a local file, following symlinks; Failure when it
// cannot be read.
index::ContentHash hash_local(const std::string& file) {
  std::error_code ec;
  const auto real = std::filesystem::canonical(file, ec);
  if (ec) throw Failure{"cannot read " + index::printable(file) + ": " + ec.message()};
  std::vector<char> buffer(std::size_t{1} << 20);
  const auto h = index::hash_file(AT_FDCWD, real.c_str(), buffer, nullptr);
  if (h.not_regular) throw Failure{"cannot read " + index::printable(file) + ": not a regular file"};
  if (h.error) throw Failure{"cannot read " + index::printable(file) + ": " + std::strerror(h.error)};
  if (h.unstable) throw Failure{"cannot read " + index::printable(file) + ": it kept changing while it was read"};
  return h.hash;
}

}  // namespace

int cmd_have(const std::vector<std::string>& argv) {
  int code = kOk;
  auto s = open_session("have", argv, {}, kHaveHelp, code);
  if (!s) return code;
  if (s->args.positional.empty()) return complain(kUsage, "have: expected at least one FILE");
  bool all_found = true, failed = false;
  json report = json::array();
  for (const auto& file : s->args.positional) {
    const int one = guarded([&] {
      const auto hash = hash_local(file).to_string();
      auto copies = s->all("/api/v1/assets?hash=" + url_encode(hash));
      std::sort(copies.begin(), copies.end(),
                [](const json& a, const json& b) { return library_path_of(a) < library_path_of(b); });
      all_found = all_found && !copies.empty();
      if (s->json_out) {
        report.push_back(json{{"file", file}, {"hash", hash}, {"copies", copies}});
      } else {
        for (const auto& a : copies)
          std::printf("%s: %s\n", index::printable(file).c_str(), index::printable(library_path_of(a)).c_str());
        if (copies.empty()) std::printf("%s: no copy in the library\n", index::printable(file).c_str());
      }
      return kOk;
    });
    if (one != kOk) failed = true;
    if (one == kUsage) return one;
  }
  if (s->json_out) print_json(report);
  return failed || !all_found ? kError : kOk;
}

}  // namespace lima::cli
