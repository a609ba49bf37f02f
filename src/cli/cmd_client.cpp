// The client subcommands: status, tag, untag, search, collection, sync,
// export, import. Each finds the running daemon (api_client.h), calls the
// control API, and prints people's output (or the API's JSON with --json).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <thread>

#include "cli/api_client.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "cli/progress_view.h"
#include "index/names.h"

namespace lima::cli {

using nlohmann::json;

namespace {

constexpr const char* kCommonOptions = R"(
Finding the daemon:
  --library PATH  talk to the daemon serving this library (or mountpoint);
                  needed only when several run
  --api URL       talk to the API at URL (e.g. http://127.0.0.1:7700)
  --token-file F  send the bearer token in F (default: the daemon's own)
  --json          print the API's JSON instead of text
  -h, --help      show this help
)";

const std::vector<OptionSpec> kCommon = {
    {"library", true}, {"api", true}, {"token-file", true}, {"json"}, {"help"}};

// Thrown by the helpers below: becomes one line on stderr and exit 1.
struct Failure {
  std::string message;
  int code = kError;
};

struct Session {
  ParsedArgs args;
  std::unique_ptr<ApiClient> api;
  bool json_out = false;

  json call(const std::string& method, const std::string& path, const std::optional<json>& body = std::nullopt) {
    auto r = body ? api->call(method, path, *body) : api->call(method, path);
    if (!r) throw Failure{r.error().message};
    return r->body;
  }
  // Every item of a paginated list.
  json all(const std::string& path) {
    json items = json::array();
    std::string cursor;
    for (;;) {
      const auto sep = path.find('?') == std::string::npos ? "?" : "&";
      auto page = call("GET", path + sep + "limit=1000" + (cursor.empty() ? "" : "&cursor=" + url_encode(cursor)));
      for (auto& item : page["items"]) items.push_back(std::move(item));
      if (!page["next_cursor"].is_string()) return items;
      cursor = page["next_cursor"].get<std::string>();
    }
  }
};

// Parses the options, shows help, connects. Returns nullopt when done (help).
std::optional<Session> open_session(const char* command, const std::vector<std::string>& argv,
                                    std::vector<OptionSpec> extra, const char* help, int& exit_code) {
  std::string err;
  extra.insert(extra.end(), kCommon.begin(), kCommon.end());
  auto args = parse_args(argv, extra, err);
  if (!args) {
    exit_code = complain(kUsage, std::string(command) + ": " + err + " (try 'limafs " + command + " --help')");
    return std::nullopt;
  }
  if (args->has("help")) {
    std::fputs(help, stdout);
    std::fputs(kCommonOptions, stdout);
    exit_code = kOk;
    return std::nullopt;
  }
  ClientOptions o{args->value("api"), args->value("library"), args->value("token-file")};
  auto api = ApiClient::connect(o);
  if (!api) {
    exit_code = complain(api.error().code == index::Errc::invalid_argument ? kUsage : kError, api.error().message);
    return std::nullopt;
  }
  Session s{std::move(*args), std::move(*api), false};
  s.json_out = s.args.has("json");
  return s;
}

void print_json(const json& j) { std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str()); }

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string join(const json& arr, const char* sep = ", ") {
  std::string out;
  for (const auto& v : arr) out += (out.empty() ? "" : sep) + (v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

// Runs a command body, turning Failure into one line and an exit code.
template <class Fn>
int guarded(Fn&& fn) {
  try {
    return fn();
  } catch (const Failure& f) {
    return complain(f.code, f.message);
  }
}

// A project by exact folder name.
json find_project(Session& s, const std::string& name) {
  auto page = s.call("GET", "/api/v1/projects?name=" + url_encode(name));
  if (page["items"].empty()) throw Failure{"no project named '" + index::printable(name) + "'"};
  return page["items"][0];
}

// "Project" or "Project/path/in/it" → ("projects"|"assets", id, label).
struct Target {
  std::string kind;
  std::uint64_t id;
  std::string label;
};

Target find_target(Session& s, const std::string& text) {
  auto page = s.call("GET", "/api/v1/projects?name=" + url_encode(text));
  if (!page["items"].empty()) return {"projects", page["items"][0]["id"].get<std::uint64_t>(), text};
  const auto slash = text.find('/');
  if (slash == std::string::npos) throw Failure{"no project named '" + index::printable(text) + "'"};
  const auto project = find_project(s, text.substr(0, slash));
  const auto rest = text.substr(slash + 1);
  auto assets = s.call("GET", "/api/v1/projects/" + std::to_string(project["id"].get<std::uint64_t>()) +
                                  "/assets?path=" + url_encode(rest));
  if (assets["items"].empty()) throw Failure{"project '" + str(project, "name") + "' has no file '" + index::printable(rest) + "'"};
  return {"assets", assets["items"][0]["id"].get<std::uint64_t>(), text};
}

json find_collection(Session& s, const std::string& name) {
  for (auto& c : s.all("/api/v1/collections"))
    if (str(c, "name") == name) return c;
  throw Failure{"no collection named '" + index::printable(name) + "'"};
}

// -- status --

constexpr const char* kStatusHelp = R"(usage: limafs status [options]

Show what the running daemon serves: the library (online or not, and why),
the mount, the watcher, the API, index counts and the last sync run.
)";

int cmd_status(const std::vector<std::string>& argv) {
  int code = kOk;
  auto s = open_session("status", argv, {}, kStatusHelp, code);
  if (!s) return code;
  return guarded([&] {
    const auto st = s->call("GET", "/api/v1/status");
    if (s->json_out) {
      print_json(st);
      return kOk;
    }
    const auto& lib = st["library"];
    std::printf("library   %s (%s)\n", str(lib, "path").c_str(), lib.value("online", false) ? "online" : "OFFLINE");
    if (!lib.value("online", false) && lib.contains("offline_reason"))
      std::printf("          offline since %s: %s\n", str(lib, "offline_since").c_str(),
                  str(lib, "offline_reason").c_str());
    std::printf("state     %s\n", str(lib, "state_dir").c_str());
    if (const auto& w = st["watcher"]; w.is_object()) {
      const std::string state = str(w, "state");
      if (state == "watching")
        std::printf("watcher   watching %llu directories (limit %llu), %llu events, %llu runs\n",
                    w.value("watches", 0ull), w.value("watch_limit", 0ull), w.value("events", 0ull),
                    w.value("runs", 0ull));
      else if (w.contains("reason") && w["reason"].is_string())
        std::printf("watcher   %s: %s\n", state.c_str(), w["reason"].get<std::string>().c_str());
      else
        std::printf("watcher   %s\n", state.c_str());
      if (w.contains("next_reconcile_at") && w["next_reconcile_at"].is_string())
        std::printf("schedule  next full sync %s\n", w["next_reconcile_at"].get<std::string>().c_str());
    }
    if (st["mount"].is_object())
      std::printf("mount     %s (%s)\n", str(st["mount"], "mountpoint").c_str(),
                  st["mount"].value("mounted", false) ? "mounted" : "not mounted");
    std::printf("api       %s\n", s->api->url().c_str());
    const auto& n = st["counts"];
    auto count = [&](const char* key, const char* one, const char* many) {
      const auto v = n.value(key, 0ull);
      return std::to_string(v) + " " + (v == 1 ? one : many);
    };
    std::printf("index     %s, %s, %s, %s\n", count("projects", "project", "projects").c_str(),
                count("assets", "file", "files").c_str(), count("tags", "tag", "tags").c_str(),
                count("collections", "collection", "collections").c_str());
    if (st["last_run"].is_object()) {
      const auto& r = st["last_run"];
      const auto& c = r["counts"];
      std::printf("last run  %llu: %s, %s (%llu added, %llu changed, %llu removed, %llu errors)\n",
                  r.value("id", 0ull), str(r, "status").c_str(), str(r, "started_at").c_str(), c.value("added", 0ull),
                  c.value("changed", 0ull), c.value("removed", 0ull), c.value("errors", 0ull));
    }
    if (st["running_run"].is_number()) std::printf("running   sync run %llu\n", st["running_run"].get<unsigned long long>());
    return kOk;
  });
}

// -- tag / untag --

constexpr const char* kTagHelp = R"(usage: limafs tag TARGET TAG... [options]
       limafs untag TARGET TAG... [options]

Add tags to (or remove them from) a project or a file. TARGET is a
project's folder name, or "Project/path/to/file" for a file. Tagging twice,
or removing a tag that is not there, is not an error. The mount shows the
change when the command returns.
)";

int cmd_tag_common(const std::vector<std::string>& argv, bool add) {
  int code = kOk;
  auto s = open_session(add ? "tag" : "untag", argv, {}, kTagHelp, code);
  if (!s) return code;
  if (s->args.positional.size() < 2)
    return complain(kUsage, std::string(add ? "tag" : "untag") + ": expected TARGET and at least one TAG");
  return guarded([&] {
    const auto target = find_target(*s, s->args.positional[0]);
    json result;
    for (std::size_t i = 1; i < s->args.positional.size(); ++i)
      result = s->call(add ? "PUT" : "DELETE", "/api/v1/" + target.kind + "/" + std::to_string(target.id) + "/tags/" +
                                                   url_encode(s->args.positional[i]));
    if (s->json_out) print_json(result);
    else std::printf("%s: %s\n", index::printable(target.label).c_str(),
                     result["tags"].empty() ? "(no tags)" : join(result["tags"]).c_str());
    return kOk;
  });
}

// -- search --

constexpr const char* kSearchHelp = R"(usage: limafs search WORD... [options]

List the projects and files matching every WORD: each word must be the
start of a word of the project's or file's name or of one of its tags
(case-insensitive; "benc" finds 3DBenchy.stl). The same as the mount's
search/<words>/ directory.
)";

int cmd_search(const std::vector<std::string>& argv) {
  int code = kOk;
  auto s = open_session("search", argv, {}, kSearchHelp, code);
  if (!s) return code;
  if (s->args.positional.empty()) return complain(kUsage, "search: expected at least one WORD");
  return guarded([&] {
    std::string q;
    for (const auto& w : s->args.positional) q += (q.empty() ? "" : " ") + w;
    const auto items = s->all("/api/v1/search?q=" + url_encode(q));
    if (s->json_out) {
      print_json(items);
      return kOk;
    }
    for (const auto& it : items) {
      if (str(it, "type") == "project")
        std::printf("project  %s\n", index::printable(str(it, "name")).c_str());
      else
        std::printf("file     %s/%s\n", index::printable(str(it, "project_name")).c_str(),
                    index::printable(str(it, "path")).c_str());
    }
    if (items.empty()) std::fprintf(stderr, "limafs: nothing matches '%s'\n", q.c_str());
    return items.empty() ? kError : kOk;
  });
}

// -- collection --

constexpr const char* kCollectionHelp = R"(usage: limafs collection [list] [options]
       limafs collection show NAME
       limafs collection create NAME [PROJECT...]
       limafs collection add NAME PROJECT... [--position N]
       limafs collection remove NAME PROJECT...
       limafs collection order NAME PROJECT...   (every member, in the new order)
       limafs collection rename NAME NEW-NAME
       limafs collection delete NAME

Manage collections: named, ordered sets of projects, shown in the mount as
collections/NAME/. PROJECT is a project's folder name.
)";

void print_collection(const json& c) {
  std::printf("%s (%llu projects)\n", index::printable(str(c, "name")).c_str(), c.value("size", 0ull));
  if (c.contains("projects"))
    for (const auto& p : c["projects"]) std::printf("  %s\n", index::printable(str(p, "name")).c_str());
}

int cmd_collection(const std::vector<std::string>& argv) {
  int code = kOk;
  auto s = open_session("collection", argv, {{"position", true}}, kCollectionHelp, code);
  if (!s) return code;
  const auto& pos = s->args.positional;
  const std::string verb = pos.empty() ? "list" : pos[0];
  auto need = [&](std::size_t n, const char* what) {
    if (pos.size() < n) throw Failure{"collection " + verb + ": expected " + what, kUsage};
  };
  return guarded([&] {
    json out;
    if (verb == "list") {
      out = s->all("/api/v1/collections");
      if (!s->json_out)
        for (const auto& c : out) print_collection(c);
    } else if (verb == "show") {
      need(2, "NAME");
      const auto c = find_collection(*s, pos[1]);
      out = s->call("GET", "/api/v1/collections/" + std::to_string(c["id"].get<std::uint64_t>()));
      if (!s->json_out) print_collection(out);
    } else if (verb == "create") {
      need(2, "NAME");
      json ids = json::array();
      for (std::size_t i = 2; i < pos.size(); ++i) ids.push_back(find_project(*s, pos[i])["id"]);
      out = s->call("POST", "/api/v1/collections", json{{"name", pos[1]}, {"projects", ids}});
      if (!s->json_out) print_collection(out);
    } else if (verb == "add" || verb == "remove") {
      need(3, "NAME and at least one PROJECT");
      const auto id = std::to_string(find_collection(*s, pos[1])["id"].get<std::uint64_t>());
      std::optional<std::uint64_t> position;
      if (auto p = s->args.value("position")) {
        if (p->empty() || p->find_first_not_of("0123456789") != std::string::npos || p->size() > 9)
          throw Failure{"collection add: --position wants a number (0 = first), not '" + *p + "'", kUsage};
        position = std::stoull(*p);
      }
      for (std::size_t i = 2; i < pos.size(); ++i) {
        const auto pid = std::to_string(find_project(*s, pos[i])["id"].get<std::uint64_t>());
        // Several projects go in the order given, from --position on.
        const std::string query = position ? "?position=" + std::to_string(*position + (i - 2)) : "";
        out = s->call(verb == "add" ? "PUT" : "DELETE", "/api/v1/collections/" + id + "/projects/" + pid + query);
      }
      if (!s->json_out) print_collection(out);
    } else if (verb == "order") {
      need(3, "NAME and every PROJECT in the new order");
      const auto id = std::to_string(find_collection(*s, pos[1])["id"].get<std::uint64_t>());
      json ids = json::array();
      for (std::size_t i = 2; i < pos.size(); ++i) ids.push_back(find_project(*s, pos[i])["id"]);
      out = s->call("PUT", "/api/v1/collections/" + id + "/order", json{{"projects", ids}});
      if (!s->json_out) print_collection(out);
    } else if (verb == "rename") {
      need(3, "NAME and NEW-NAME");
      const auto id = std::to_string(find_collection(*s, pos[1])["id"].get<std::uint64_t>());
      out = s->call("PATCH", "/api/v1/collections/" + id, json{{"name", pos[2]}});
      if (!s->json_out) print_collection(out);
    } else if (verb == "delete") {
      need(2, "NAME");
      const auto id = std::to_string(find_collection(*s, pos[1])["id"].get<std::uint64_t>());
      s->call("DELETE", "/api/v1/collections/" + id);
      out = json{{"deleted", pos[1]}};
      if (!s->json_out) std::printf("deleted collection %s\n", index::printable(pos[1]).c_str());
    } else {
      throw Failure{"collection: unknown action '" + verb + "' (list, show, create, add, remove, order, rename, delete)", kUsage};
    }
    if (s->json_out) print_json(out);
    return kOk;
  });
}

// -- sync --

constexpr const char* kSyncHelp = R"(usage: limafs sync [SCOPE] [options]

Ask the daemon to sync its index with the disk, and follow the run until it
ends (progress on a terminal). SCOPE limits the run to one project or a
folder in it ("Benchy" or "Benchy/parts"). Only one run goes at a time: if
one is running already, this follows that one.

Options:
  --verify        rehash every file (finds silent changes); slower
  --no-wait       start the run and return at once

Exit status: 0 ok, 1 failed, 3 partial (some files could not be indexed),
4 the library is offline.
)";

int exit_for(const std::string& status) {
  if (status == "ok") return kOk;
  if (status == "partial") return kPartial;
  if (status == "offline") return kOffline;
  if (status == "interrupted") return kInterrupted;
  return kError;
}

int cmd_sync(const std::vector<std::string>& argv) {
  int code = kOk;
  auto s = open_session("sync", argv, {{"verify"}, {"no-wait"}}, kSyncHelp, code);
  if (!s) return code;
  if (s->args.positional.size() > 1) return complain(kUsage, "sync: expected at most one SCOPE");
  return guarded([&] {
    json body = {{"mode", s->args.has("verify") ? "verify" : "incremental"}};
    if (!s->args.positional.empty()) body["scope"] = s->args.positional[0];
    auto r = s->api->call("POST", "/api/v1/sync/runs", body);
    if (!r) throw Failure{r.error().message};
    json run = r->body;
    const auto id = std::to_string(run["id"].get<std::uint64_t>());
    if (r->status == 200 && !s->json_out)
      std::fprintf(stderr, "limafs: a sync is already running (run %s); following it\n", id.c_str());
    const bool tty = ::isatty(STDERR_FILENO) == 1;
    while (!s->args.has("no-wait") && str(run, "status") == "running") {
      if (tty && run.contains("progress")) {
        const auto& p = run["progress"];
        std::fprintf(stderr, "\r\033[Ksync run %s: %s, %llu/%llu files, %s/%s", id.c_str(), str(p, "phase").c_str(),
                     p.value("files_done", 0ull), p.value("files_total", 0ull),
                     human_bytes(p.value("bytes_done", 0.0)).c_str(), human_bytes(p.value("bytes_total", 0.0)).c_str());
        std::fflush(stderr);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      run = s->call("GET", "/api/v1/sync/runs/" + id);
    }
    if (tty) std::fprintf(stderr, "\r\033[K");
    if (s->json_out) {
      print_json(run);
    } else {
      const auto& c = run["counts"];
      std::printf("sync run %s: %s (%llu added, %llu changed, %llu moved, %llu removed, %llu unchanged, %llu errors)\n",
                  id.c_str(), str(run, "status").c_str(), c.value("added", 0ull), c.value("changed", 0ull),
                  c.value("moved", 0ull), c.value("removed", 0ull), c.value("unchanged", 0ull), c.value("errors", 0ull));
      for (const auto& p : run["problems"])
        std::printf("  %-22s %s: %s\n", str(p, "kind").c_str(), index::printable(str(p, "path")).c_str(),
                    str(p, "detail").c_str());
    }
    return s->args.has("no-wait") ? kOk : exit_for(str(run, "status"));
  });
}

// -- export / import --

constexpr const char* kExportHelp = R"(usage: limafs export [FILE] [options]

Write every tag, collection, note and chosen main image as JSON to FILE (or
standard output). 'limafs import' brings it back, into this index or a
fresh one: items are found by project name and content hash, so renamed
folders keep their metadata. The daemon also keeps the latest automatic
exports in STATE/backups.
)";

int cmd_export(const std::vector<std::string>& argv) {
  int code = kOk;
  auto s = open_session("export", argv, {}, kExportHelp, code);
  if (!s) return code;
  if (s->args.positional.size() > 1) return complain(kUsage, "export: expected at most one FILE");
  return guarded([&] {
    auto r = s->api->call("GET", "/api/v1/metadata/export");
    if (!r) throw Failure{r.error().message};
    const std::string text = r->body.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
    if (s->args.positional.empty() || s->args.positional[0] == "-") {
      std::fwrite(text.data(), 1, text.size(), stdout);
      return kOk;
    }
    const std::string file = s->args.positional[0], temp = file + ".tmp";
    {
      std::ofstream out(temp, std::ios::trunc | std::ios::binary);
      out << text;
      if (!out.flush()) throw Failure{"cannot write " + temp};
    }
    if (std::rename(temp.c_str(), file.c_str()) != 0) throw Failure{"cannot write " + file};
    std::fprintf(stderr, "limafs: metadata written to %s\n", file.c_str());
    return kOk;
  });
}

constexpr const char* kImportHelp = R"(usage: limafs import FILE [options]

Merge a metadata export (from 'limafs export' or STATE/backups) into the
running daemon's index: tags are added, notes and chosen main images set,
collections created or completed. Nothing is removed. Items that match no
project or file are listed. Importing the same file twice changes nothing
the second time. FILE "-" reads standard input.
)";

int cmd_import(const std::vector<std::string>& argv) {
  int code = kOk;
  auto s = open_session("import", argv, {}, kImportHelp, code);
  if (!s) return code;
  if (s->args.positional.size() != 1) return complain(kUsage, "import: expected one FILE");
  return guarded([&] {
    const auto& file = s->args.positional[0];
    std::string text;
    if (file == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), {});
    } else {
      std::ifstream in(file, std::ios::binary);
      if (!in) throw Failure{"cannot read " + file};
      text.assign(std::istreambuf_iterator<char>(in), {});
    }
    auto r = s->api->call("POST", "/api/v1/metadata/import", text, "application/json");
    if (!r) throw Failure{r.error().message};
    const auto& rep = r->body;
    if (s->json_out) {
      print_json(rep);
      return kOk;
    }
    std::printf("projects  %llu matched, %llu unmatched\n", rep.value("projects_matched", 0ull),
                rep.value("projects_unmatched", 0ull));
    std::printf("files     %llu matched, %llu unmatched\n", rep.value("assets_matched", 0ull),
                rep.value("assets_unmatched", 0ull));
    std::printf("changes   %llu tags added, %llu notes, %llu main images, %llu collections created, %llu members added\n",
                rep.value("tags_added", 0ull), rep.value("notes_set", 0ull), rep.value("main_images_set", 0ull),
                rep.value("collections_created", 0ull), rep.value("members_added", 0ull));
    if (rep.contains("unmatched"))
      for (const auto& u : rep["unmatched"]) std::printf("  no match: %s\n", index::printable(u.get<std::string>()).c_str());
    return kOk;
  });
}

}  // namespace

int cmd_client(const std::string& command, const std::vector<std::string>& args) {
  if (command == "status") return cmd_status(args);
  if (command == "tag") return cmd_tag_common(args, true);
  if (command == "untag") return cmd_tag_common(args, false);
  if (command == "search") return cmd_search(args);
  if (command == "collection") return cmd_collection(args);
  if (command == "sync") return cmd_sync(args);
  if (command == "export") return cmd_export(args);
  if (command == "import") return cmd_import(args);
  return -1;
}

}  // namespace lima::cli
