// The client commands for metadata beyond tag links: tags (list with
// counts, rename, merge, delete), notes of projects and files, and a
// project's main image (chosen, or back to the automatic choice).
#include <cstdio>
#include <iostream>
#include <iterator>

#include "cli/client_session.h"
#include "index/names.h"

namespace lima::cli {

using nlohmann::json;

namespace {

// -- tags --

constexpr const char* kTagsHelp = R"(usage: limafs tags [list] [options]
       limafs tags rename TAG NEW-NAME
       limafs tags merge TAG INTO-TAG
       limafs tags delete TAG... [--force]

List the tags with how many projects and files carry each, or change them
for every item at once; the mount's tags/ follows when the command returns.
rename gives a tag a name that is free; merge moves every link of TAG onto
INTO-TAG (created if needed) and deletes TAG; delete removes tags and their
links, projects and files stay. A tag still on a project or a file is
deleted only with --force, which removes it from all of them.

Options:
  --force         delete tags that are still in use
)";

void print_tag(const json& t) {
  std::printf("%8llu %8llu  %s\n", t.value("projects", 0ull), t.value("assets", 0ull),
              index::printable(str(t, "name")).c_str());
}

// "1 project", "2 projects".
std::string count(const json& j, const char* key, const std::string& one) {
  const auto n = j.value(key, 0ull);
  return std::to_string(n) + " " + one + (n == 1 ? "" : "s");
}

// True when the tag is on at least one live project or file.
bool in_use(Session& s, const std::string& tag) {
  const auto q = "?limit=1&tag=" + url_encode(tag);
  return !s.call("GET", "/api/v1/projects" + q)["items"].empty() ||
         !s.call("GET", "/api/v1/assets" + q)["items"].empty();
}

int cmd_tags_impl(Session& s) {
  const auto& pos = s.args.positional;
  const std::string verb = pos.empty() ? "list" : pos[0];
  auto need = [&](std::size_t n, const char* what) {
    if (pos.size() != n) throw Failure{"tags " + verb + ": expected " + what, kUsage};
  };
  if (s.args.has("force") && verb != "delete") throw Failure{"tags: --force goes with delete only", kUsage};
  if (verb == "list") {
    need(pos.empty() ? 0 : 1, "no argument");
    const auto tags = s.all("/api/v1/tags");
    if (s.json_out) {
      print_json(tags);
      return kOk;
    }
    if (!tags.empty()) std::printf("%8s %8s  %s\n", "PROJECTS", "FILES", "TAG");
    for (const auto& t : tags) print_tag(t);
    return kOk;
  }
  if (verb == "rename" || verb == "merge") {
    need(3, verb == "rename" ? "TAG and NEW-NAME" : "TAG and INTO-TAG");
    const auto path = "/api/v1/tags/" + url_encode(pos[1]);
    const auto tag = verb == "rename" ? s.call("PATCH", path, json{{"name", pos[2]}})
                                      : s.call("POST", path + "/merge", json{{"into", pos[2]}});
    if (s.json_out) {
      print_json(tag);
      return kOk;
    }
    std::printf("%s tag %s %s %s (%s, %s)\n", verb == "rename" ? "renamed" : "merged",
                index::printable(pos[1]).c_str(), verb == "rename" ? "to" : "into",
                index::printable(str(tag, "name")).c_str(), count(tag, "projects", "project").c_str(),
                count(tag, "assets", "file").c_str());
    return kOk;
  }
  if (verb == "delete") {
    if (pos.size() < 2) throw Failure{"tags delete: expected at least one TAG", kUsage};
    json deleted = json::array();
    for (std::size_t i = 1; i < pos.size(); ++i) {
      const std::string& tag = pos[i];
      if (!s.args.has("force") && in_use(s, tag))
        throw Failure{"tag '" + index::printable(tag) +
                      "' is still on projects or files; --force deletes it with its links"};
      s.call("DELETE", "/api/v1/tags/" + url_encode(tag));
      deleted.push_back(tag);
      if (!s.json_out) std::printf("deleted tag %s\n", index::printable(tag).c_str());
    }
    if (s.json_out) print_json(json{{"deleted", deleted}});
    return kOk;
  }
  throw Failure{"tags: unknown action '" + index::printable(verb) + "' (list, rename, merge, delete)", kUsage};
}

// -- note --

constexpr const char* kNoteHelp = R"(usage: limafs note TARGET [options]
       limafs note TARGET TEXT...
       limafs note TARGET -
       limafs note TARGET --clear

Show, set or clear the note of a project or a file. TARGET is a project's
folder name, or "Project/path/to/file" for a file. Several TEXT words are
joined by spaces; "-" reads the note from standard input (several lines).
Without TEXT, prints the note (nothing when there is none).

Options:
  --clear         remove the note
)";

int cmd_note_impl(Session& s) {
  const auto& pos = s.args.positional;
  if (pos.empty()) throw Failure{"note: expected TARGET", kUsage};
  const bool clear = s.args.has("clear");
  if (clear && pos.size() > 1) throw Failure{"note: --clear takes no TEXT", kUsage};
  const auto target = find_target(s, pos[0]);
  if (pos.size() == 1 && !clear) {
    const auto item = s.call("GET", target.path());
    if (s.json_out) print_json(json{{"target", pos[0]}, {"note", str(item, "note")}});
    else if (const auto note = str(item, "note"); !note.empty())
      std::printf("%s%s", note.c_str(), note.ends_with('\n') ? "" : "\n");
    return kOk;
  }
  std::string text;
  if (pos.size() == 2 && pos[1] == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
    while (!text.empty() && text.back() == '\n') text.pop_back();
  } else {
    for (std::size_t i = 1; i < pos.size(); ++i) text += (i > 1 ? " " : "") + pos[i];
  }
  if (!clear && text.empty()) throw Failure{"note: the note is empty (use --clear to remove a note)", kUsage};
  const auto item = s.call("PATCH", target.path(), json{{"note", text}});
  if (s.json_out) print_json(item);
  else if (clear) std::printf("%s: note removed\n", index::printable(target.label).c_str());
  else std::printf("%s: note set\n", index::printable(target.label).c_str());
  return kOk;
}

// -- main-image --

constexpr const char* kMainImageHelp = R"(usage: limafs main-image PROJECT [options]
       limafs main-image PROJECT IMAGE
       limafs main-image PROJECT --auto

Show or choose a project's main image (its picture, and the cover the API
serves). IMAGE is the path of an image file inside the project
("images/front.jpg"). --auto goes back to the automatic choice: an image
named like cover, main, preview, thumb or render, else the shallowest one.
A chosen image that disappears from the library makes way for the
automatic choice until it comes back.

Options:
  --auto          drop the choice: pick automatically again
)";

void print_main_image(const json& project) {
  const auto& m = project["main_image"];
  const auto name = index::printable(str(project, "name"));
  if (!m.is_object()) std::printf("%s: no image\n", name.c_str());
  else
    std::printf("%s: %s (%s)\n", name.c_str(), index::printable(str(m, "path")).c_str(),
                m.value("chosen", false) ? "chosen" : "automatic");
}

int cmd_main_image_impl(Session& s) {
  const auto& pos = s.args.positional;
  const bool automatic = s.args.has("auto");
  if (pos.empty() || pos.size() > 2) throw Failure{"main-image: expected PROJECT and at most one IMAGE", kUsage};
  if (automatic && pos.size() == 2) throw Failure{"main-image: --auto takes no IMAGE", kUsage};
  const auto project = find_project(s, pos[0]);
  const auto path = "/api/v1/projects/" + std::to_string(project["id"].get<std::uint64_t>());
  json detail;
  if (automatic) detail = s.call("PATCH", path, json{{"main_image", nullptr}});
  else if (pos.size() == 2) detail = s.call("PATCH", path, json{{"main_image", find_file(s, project, pos[1])["id"]}});
  else detail = s.call("GET", path);
  if (s.json_out) print_json(detail);
  else print_main_image(detail);
  return kOk;
}

}  // namespace

int cmd_tags(const std::vector<std::string>& argv) {
  int code = kOk;
  auto s = open_session("tags", argv, {{"force"}}, kTagsHelp, code);
  if (!s) return code;
  return guarded([&] { return cmd_tags_impl(*s); });
}

int cmd_note(const std::vector<std::string>& argv) {
  int code = kOk;
  auto s = open_session("note", argv, {{"clear"}}, kNoteHelp, code);
  if (!s) return code;
  return guarded([&] { return cmd_note_impl(*s); });
}

int cmd_main_image(const std::vector<std::string>& argv) {
  int code = kOk;
  auto s = open_session("main-image", argv, {{"auto"}}, kMainImageHelp, code);
  if (!s) return code;
  return guarded([&] { return cmd_main_image_impl(*s); });
}

}  // namespace lima::cli
