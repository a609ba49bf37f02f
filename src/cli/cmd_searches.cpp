// The client command for saved searches: list them, show what one finds
// now, create, rename, change the query, delete. (`limafs search --save
// NAME QUERY` creates one too.) The mount shows each as searches/NAME/.
#include <algorithm>
#include <cstdio>

#include "cli/client_session.h"
#include "index/names.h"

namespace lima::cli {

using nlohmann::json;

namespace {

constexpr const char* kSearchesHelp = R"(usage: limafs searches [list] [options]
       limafs searches show NAME
       limafs searches create NAME QUERY...
       limafs searches rename NAME NEW-NAME
       limafs searches set NAME QUERY...
       limafs searches delete NAME...

Manage saved searches: a name for a query of the search language (see
'limafs search'), answered afresh whenever it is read. The mount shows each
as searches/NAME/, always current. list prints each name and its query;
show lists what the query finds now; create saves a query under a new name
(as 'limafs search --save NAME QUERY' does); rename gives one a free name;
set changes its query; delete removes saved searches (nothing else). Several
QUERY words are joined by spaces; a word that starts with one dash is a
query word ("-draft"), not an option. A query that does not parse is
refused with what is wrong and where.
)";

std::string search_path(const std::string& name) { return "/api/v1/searches/" + url_encode(name); }

void print_saved(const json& s) {
  std::printf("%s: %s\n", index::printable(str(s, "name")).c_str(), index::printable(str(s, "query")).c_str());
}

std::string joined(const std::vector<std::string>& words, std::size_t from) {
  std::string q;
  for (std::size_t i = from; i < words.size(); ++i) q += (i > from ? " " : "") + words[i];
  return q;
}

int cmd_searches_impl(Session& s) {
  const auto& pos = s.args.positional;
  const std::string verb = pos.empty() ? "list" : pos[0];
  auto need = [&](std::size_t n, const char* what, bool more_ok = false) {
    if (pos.size() < n || (!more_ok && pos.size() > n)) throw Failure{"searches " + verb + ": expected " + what, kUsage};
  };
  json out;
  if (verb == "list") {
    need(pos.empty() ? 0 : 1, "no argument");
    out = s.all("/api/v1/searches");
    if (!s.json_out) {
      std::size_t width = 0;
      for (const auto& i : out) width = std::max(width, index::printable(str(i, "name")).size());
      for (const auto& i : out)
        std::printf("%-*s  %s\n", static_cast<int>(std::min<std::size_t>(width, 40)),
                    index::printable(str(i, "name")).c_str(), index::printable(str(i, "query")).c_str());
    }
  } else if (verb == "show") {
    need(2, "NAME");
    out = s.all(search_path(pos[1]) + "/results");
    if (!s.json_out) {
      for (const auto& it : out) {
        if (str(it, "type") == "project")
          std::printf("project  %s\n", index::printable(str(it, "name")).c_str());
        else
          std::printf("file     %s\n", index::printable(library_path_of(it)).c_str());
      }
    }
  } else if (verb == "create") {
    need(3, "NAME and QUERY", true);
    out = s.call("POST", "/api/v1/searches", json{{"name", pos[1]}, {"query", joined(pos, 2)}});
    if (!s.json_out) print_saved(out);
  } else if (verb == "rename") {
    need(3, "NAME and NEW-NAME");
    out = s.call("PATCH", search_path(pos[1]), json{{"name", pos[2]}});
    if (!s.json_out) print_saved(out);
  } else if (verb == "set") {
    need(3, "NAME and QUERY", true);
    out = s.call("PATCH", search_path(pos[1]), json{{"query", joined(pos, 2)}});
    if (!s.json_out) print_saved(out);
  } else if (verb == "delete") {
    need(2, "at least one NAME", true);
    out = json{{"deleted", json::array()}};
    for (std::size_t i = 1; i < pos.size(); ++i) {
      s.call("DELETE", search_path(pos[i]));
      out["deleted"].push_back(pos[i]);
      if (!s.json_out) std::printf("deleted saved search %s\n", index::printable(pos[i]).c_str());
    }
  } else {
    throw Failure{"searches: unknown action '" + index::printable(verb) + "' (list, show, create, rename, set, delete)",
                  kUsage};
  }
  if (s.json_out) print_json(out);
  return kOk;
}

}  // namespace

int cmd_searches(const std::vector<std::string>& argv) {
  int code = kOk;
  auto s = open_session("searches", argv, {}, kSearchesHelp, code, true);
  if (!s) return code;
  return guarded([&] { return cmd_searches_impl(*s); });
}

int save_search(Session& s, const std::string& name, const std::string& query) {
  const auto saved = s.call("POST", "/api/v1/searches", json{{"name", name}, {"query", query}});
  if (s.json_out) print_json(saved);
  else std::printf("saved search %s: %s\n", index::printable(str(saved, "name")).c_str(),
                   index::printable(str(saved, "query")).c_str());
  return kOk;
}

}  // namespace lima::cli
