// `limafs problems`: the running daemon's problem report (GET
// /api/v1/problems, every page), one line per problem, "kind<TAB>path<TAB>
// detail", as MOUNT/.limafs/problems.txt lists them; --kind keeps some
// kinds, --json prints the API's items and counts.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/client_session.h"
#include "index/names.h"
#include "index/records.h"

namespace lima::cli {

using nlohmann::json;

namespace {

constexpr const char* kProblemsHelp = R"(usage: limafs problems [--kind KIND[,KIND...]]... [options]

Print the running daemon's problem report: what its syncs found (unreadable
files, symlinks, empty or removed folders, ...) and what its index shows
(duplicated content, projects without images or models, files no picture
could be made of), one line per problem, sorted by path:

  KIND<TAB>PATH<TAB>DETAIL

PATH is relative to the library. The same report as MOUNT/.limafs/problems.txt
and GET /api/v1/problems; a report only, nothing is changed. See limafs(1),
Problems, for every kind.

Options:
  --kind KIND     only problems of this kind; repeatable, or a comma list
                  (--kind loose_file,empty_project)

Exit status: 0 the report was printed (whatever it holds), 1 an error (no
daemon), 2 bad command line (a KIND that is no kind).
)";

// The kinds asked for, as the API's comma list ("" for all); a name that
// is no kind is a usage error naming the kinds there are.
std::string kinds_param(const std::vector<std::string>& values) {
  std::string list;
  for (const auto& value : values) {
    for (std::size_t start = 0; start <= value.size();) {
      const std::size_t end = std::min(value.find(',', start), value.size());
      const std::string name = value.substr(start, end - start);
      start = end + 1;
      if (!index::parse_problem_kind(name)) {
        std::string known;
        for (auto k : index::kProblemKinds) known += (known.empty() ? "" : ", ") + std::string(index::to_string(k));
        throw Failure{"problems: there is no problem kind '" + index::printable(name) + "' (kinds: " + known + ")",
                      kUsage};
      }
      list += (list.empty() ? "" : ",") + name;
    }
  }
  return list;
}

}  // namespace

int cmd_problems(const std::vector<std::string>& argv) {
  int code = kOk;
  auto s = open_session("problems", argv, {{"kind", true, true}}, kProblemsHelp, code);
  if (!s) return code;
  if (!s->args.positional.empty()) return complain(kUsage, "problems: takes no arguments (see --kind)");
  return guarded([&] {
    const std::string kinds = kinds_param(s->args.all("kind"));
    std::string path = "/api/v1/problems?limit=1000";
    if (!kinds.empty()) path += "&kind=" + url_encode(kinds);
    json items = json::array(), counts;
    std::string cursor;
    for (;;) {
      auto page = s->call("GET", path + (cursor.empty() ? "" : "&cursor=" + url_encode(cursor)));
      if (counts.is_null()) counts = page["counts"];
      for (auto& item : page["items"]) items.push_back(std::move(item));
      if (!page["next_cursor"].is_string()) break;
      cursor = page["next_cursor"].get<std::string>();
    }
    if (s->json_out) {
      print_json(json{{"items", items}, {"counts", counts}});
      return kOk;
    }
    for (const auto& p : items)
      std::printf("%s\t%s\t%s\n", str(p, "kind").c_str(), index::printable(str(p, "path")).c_str(),
                  index::printable(str(p, "detail")).c_str());
    return kOk;
  });
}

}  // namespace lima::cli
