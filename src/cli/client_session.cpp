#include "cli/client_session.h"

#include <algorithm>
#include <cstdio>

#include "index/catalog.h"
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

}  // namespace

json Session::call(const std::string& method, const std::string& path, const std::optional<json>& body) {
  auto r = body ? api->call(method, path, *body) : api->call(method, path);
  if (!r) throw Failure{r.error().message};
  return r->body;
}

json Session::all(const std::string& path, std::size_t at_most) {
  json items = json::array();
  std::string cursor;
  for (;;) {
    const auto sep = path.find('?') == std::string::npos ? "?" : "&";
    const std::size_t want = at_most == 0 ? 1000 : std::min<std::size_t>(1000, at_most - items.size());
    auto page = call("GET", path + sep + "limit=" + std::to_string(want) +
                                (cursor.empty() ? "" : "&cursor=" + url_encode(cursor)));
    for (auto& item : page["items"]) items.push_back(std::move(item));
    if (!page["next_cursor"].is_string() || (at_most != 0 && items.size() >= at_most)) return items;
    cursor = page["next_cursor"].get<std::string>();
  }
}

std::optional<Session> open_session(const char* command, const std::vector<std::string>& argv,
                                    std::vector<OptionSpec> extra, const char* help, int& exit_code,
                                    bool dash_words) {
  std::string err;
  extra.insert(extra.end(), kCommon.begin(), kCommon.end());
  auto args = parse_args(argv, extra, err, dash_words);
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

std::string library_path_of(const json& asset) {
  return index::library_path(str(asset, "project_name"), str(asset, "path"));
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string join(const json& arr, const char* sep) {
  std::string out;
  for (const auto& v : arr) out += (out.empty() ? "" : sep) + (v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

json find_project(Session& s, const std::string& name) {
  auto page = s.call("GET", "/api/v1/projects?name=" + url_encode(name));
  if (page["items"].empty()) throw Failure{"no project named '" + index::printable(name) + "'"};
  return page["items"][0];
}

json find_file(Session& s, const json& project, const std::string& path) {
  auto assets = s.call("GET", "/api/v1/projects/" + std::to_string(project["id"].get<std::uint64_t>()) +
                                  "/assets?path=" + url_encode(path));
  if (assets["items"].empty())
    throw Failure{"project '" + index::printable(str(project, "name")) + "' has no file '" + index::printable(path) +
                  "'"};
  return assets["items"][0];
}

Target find_target(Session& s, const std::string& text) {
  auto page = s.call("GET", "/api/v1/projects?name=" + url_encode(text));
  if (!page["items"].empty()) return {"projects", page["items"][0]["id"].get<std::uint64_t>(), text};
  const auto slash = text.find('/');
  if (slash == std::string::npos) throw Failure{"no project named '" + index::printable(text) + "'"};
  const auto project = find_project(s, text.substr(0, slash));
  return {"assets", find_file(s, project, text.substr(slash + 1))["id"].get<std::uint64_t>(), text};
}

json find_collection(Session& s, const std::string& name) {
  for (auto& c : s.all("/api/v1/collections"))
    if (str(c, "name") == name) return c;
  throw Failure{"no collection named '" + index::printable(name) + "'"};
}

}  // namespace lima::cli
