// The client subcommands: status, tag, untag, search, collection, sync,
// export, import (the metadata edits of tags, notes and main images, and
// `have`, live in files of their own). Each finds the running daemon
// (client_session.h), calls the control API, and prints people's output (or
// the API's JSON with --json).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <thread>

#include "cli/client_session.h"
#include "cli/progress_view.h"
#include "index/names.h"
#include "index/query.h"

namespace lima::cli {

using nlohmann::json;

namespace {

// -- status --

constexpr const char* kStatusHelp = R"(usage: limafs status [options]

Show what the running daemon serves: the library (online or not, and why),
the mount, the watcher, the API, index counts, the pictures being made and
the last sync run.
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
    if (const auto& p = st["pictures"]; p.is_object())
      std::printf("pictures  %llu queued, %llu being made, %llu made, %llu failed since start, %.1f per second\n",
                  p.value("queued", 0ull), p.value("running", 0ull), p.value("made", 0ull), p.value("failed", 0ull),
                  p.value("per_second", 0.0));
    else
      std::printf("pictures  none are made (--thumb-workers 0)\n");
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
      result = s->call(add ? "PUT" : "DELETE", target.path() + "/tags/" + url_encode(s->args.positional[i]));
    if (s->json_out) print_json(result);
    else std::printf("%s: %s\n", index::printable(target.label).c_str(),
                     result["tags"].empty() ? "(no tags)" : join(result["tags"]).c_str());
    return kOk;
  });
}

// -- search --

constexpr const char* kSearchHelp = R"(usage: limafs search QUERY... [options]

List the projects and files matching QUERY, best first: the search language
of the mount's search/QUERY/ directories and of the API (man limafs, SEARCH
LANGUAGE). The arguments are joined with spaces into one query.

  benchy -draft               every word must match; -word excludes
  tag:pla (boat or benchy)    fields, or, parentheses
  '"speed boat"' ext:stl      an exact phrase (quote it for the shell), an extension
  type:image has:tags         kinds; has:/missing: tags, image, note
  size:>10M modified:<30d     sizes (K M G T) and times (h d w m y, or a date)

An argument that starts with one dash is a query word ("-draft"), not an
option; only -h and the --options below are options. After "--" everything
is query text. Each line shows the fields that matched.

Options:
  --limit N       print at most N results (default: all)
)";

int cmd_search(const std::vector<std::string>& argv) {
  int code = kOk;
  auto s = open_session("search", argv, {{"limit", true}}, kSearchHelp, code, true);
  if (!s) return code;
  if (s->args.positional.empty()) return complain(kUsage, "search: expected a QUERY (try 'limafs search --help')");
  std::size_t limit = 0;
  if (auto v = s->args.value("limit")) {
    char* end = nullptr;
    const auto n = std::strtoull(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || n == 0) return complain(kUsage, "search: --limit must be a positive number");
    limit = static_cast<std::size_t>(n);
  }
  std::string q;
  for (const auto& w : s->args.positional) q += (q.empty() ? "" : " ") + w;
  // A query that does not parse is a bad command line: said here, as the
  // daemon would say it.
  if (auto parsed = index::parse_query(q, 0); !parsed) return complain(kUsage, "search: " + parsed.error().message);
  return guarded([&] {
    const auto items = s->all("/api/v1/search?q=" + url_encode(q), limit);
    if (s->json_out) {
      print_json(items);
      return kOk;
    }
    for (const auto& it : items) {
      std::string matched;
      if (it.contains("matched"))
        for (const auto& f : it["matched"]) matched += (matched.empty() ? "" : ",") + f.get<std::string>();
      const auto where = str(it, "type") == "project" ? str(it, "name") : library_path_of(it);
      std::printf("%s  %s%s\n", str(it, "type") == "project" ? "project" : "file   ", index::printable(where).c_str(),
                  matched.empty() ? "" : ("  [" + matched + "]").c_str());
    }
    if (items.empty()) std::fprintf(stderr, "limafs: nothing matches '%s'\n", index::printable(q).c_str());
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
       limafs sync --cancel [options]

Ask the daemon to sync its index with the disk, and follow the run until it
ends (progress on a terminal). SCOPE limits the run to one project or a
folder in it ("Benchy" or "Benchy/parts"). Only one run goes at a time: if
one is running already, this follows that one.

With --cancel, stop the run going on instead (whoever started it: a sync
asked for, the watcher, the schedule, the daemon's start). It stops at its
next safe point and ends "cancelled": what it has not reached is left as
the index had it, nothing is removed for it, and a later sync of the same
scope (the scheduled one, or 'limafs sync') picks it up.

Options:
  --verify        rehash every file (finds silent changes); slower
  --cancel        cancel the running run, and follow it until it stops
  --no-wait       start (or cancel) the run and return at once

Exit status: 0 ok (with --cancel: the run was cancelled, or ended ok
before it could stop), 1 failed (with --cancel: also no run going on),
3 partial (some files could not be indexed), 4 the library is offline,
130 the run was interrupted or cancelled (by someone else).
)";

int exit_for(const std::string& status) {
  if (status == "ok") return kOk;
  if (status == "partial") return kPartial;
  if (status == "offline") return kOffline;
  if (status == "interrupted" || status == "cancelled") return kInterrupted;
  return kError;
}

// Asks the daemon to cancel the run going on; returns it (still running).
json cancel_running(Session& s) {
  const auto newest = s.call("GET", "/api/v1/sync/runs?limit=1");
  if (newest["items"].empty() || str(newest["items"][0], "status") != "running")
    throw Failure{"no sync run is going on; nothing to cancel"};
  const auto id = newest["items"][0]["id"].get<std::uint64_t>();
  return s.call("DELETE", "/api/v1/sync/runs/" + std::to_string(id));
}

int cmd_sync(const std::vector<std::string>& argv) {
  int code = kOk;
  auto s = open_session("sync", argv, {{"verify"}, {"no-wait"}, {"cancel"}}, kSyncHelp, code);
  if (!s) return code;
  const bool cancel = s->args.has("cancel");
  if (s->args.positional.size() > 1) return complain(kUsage, "sync: expected at most one SCOPE");
  if (cancel && (!s->args.positional.empty() || s->args.has("verify")))
    return complain(kUsage, "sync: --cancel stops the run going on; it takes no SCOPE and no --verify");
  return guarded([&]() -> int {
    json run;
    if (cancel) {
      run = cancel_running(*s);
      if (!s->json_out)
        std::fprintf(stderr, "limafs: cancelling sync run %llu\n", run["id"].get<unsigned long long>());
    } else {
      json body = {{"mode", s->args.has("verify") ? "verify" : "incremental"}};
      if (!s->args.positional.empty()) body["scope"] = s->args.positional[0];
      auto r = s->api->call("POST", "/api/v1/sync/runs", body);
      if (!r) throw Failure{r.error().message};
      run = r->body;
      if (r->status == 200 && !s->json_out)
        std::fprintf(stderr, "limafs: a sync is already running (run %llu); following it\n",
                     run["id"].get<unsigned long long>());
    }
    const auto id = std::to_string(run["id"].get<std::uint64_t>());
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
      if (str(run, "status") != "running" && str(run, "status") != "ok" && !str(run, "message").empty())
        std::printf("  %s\n", index::printable(str(run, "message")).c_str());
      for (const auto& p : run["problems"])
        std::printf("  %-22s %s: %s\n", str(p, "kind").c_str(), index::printable(str(p, "path")).c_str(),
                    str(p, "detail").c_str());
    }
    if (s->args.has("no-wait")) return kOk;
    const auto status = str(run, "status");
    if (cancel && status == "cancelled") return kOk;  // what was asked
    return exit_for(status);
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
  if (command == "tags") return cmd_tags(args);
  if (command == "note") return cmd_note(args);
  if (command == "main-image") return cmd_main_image(args);
  if (command == "have") return cmd_have(args);
  if (command == "problems") return cmd_problems(args);
  return -1;
}

}  // namespace lima::cli
