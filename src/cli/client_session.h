// What the client commands share: their common options, finding and
// calling the daemon (a Session), turning failures into one line on stderr
// and an exit code, and finding projects, files and collections by the
// names people type ("Project" or "Project/path/in/it").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/api_client.h"
#include "cli/args.h"
#include "cli/cli.h"

namespace lima::cli {

/// Thrown by the helpers below: becomes one line on stderr and exit `code`.
struct Failure {
  std::string message;
  int code = kError;
};

struct Session {
  ParsedArgs args;
  std::unique_ptr<ApiClient> api;
  bool json_out = false;

  /// Calls the API; an error answer throws Failure with its message and code.
  nlohmann::json call(const std::string& method, const std::string& path,
                      const std::optional<nlohmann::json>& body = std::nullopt);
  /// Every item of a paginated list.
  /// Every item of a paginated list (at most `at_most` when not 0).
  nlohmann::json all(const std::string& path, std::size_t at_most = 0);
};

/// Parses the options (`extra` and the common ones), shows help, connects.
/// nullopt when done (help shown, or an error): exit with `exit_code`.
std::optional<Session> open_session(const char* command, const std::vector<std::string>& argv,
                                    std::vector<OptionSpec> extra, const char* help, int& exit_code,
                                    bool dash_words = false);

/// Runs a command body, turning Failure into one line and its exit code.
template <class Fn>
int guarded(Fn&& fn) {
  try {
    return fn();
  } catch (const Failure& f) {
    return complain(f.code, f.message);
  }
}

void print_json(const nlohmann::json& j);
/// j[key] when it is a string, else "".
std::string str(const nlohmann::json& j, const char* key);
/// An asset's library-relative path: "Project/path", or "path" for a
/// loose file in the library root.
std::string library_path_of(const nlohmann::json& asset);
/// The items of an array, as text, joined by `sep`.
std::string join(const nlohmann::json& arr, const char* sep = ", ");

/// A project by exact folder name (its summary).
nlohmann::json find_project(Session& s, const std::string& name);

/// What "Project" or "Project/path/in/it" names.
struct Target {
  std::string kind;  ///< "projects" or "assets" (the API's collection)
  std::uint64_t id;
  std::string label;  ///< as typed
  /// "/api/v1/projects/7" or "/api/v1/assets/42".
  std::string path() const { return "/api/v1/" + kind + "/" + std::to_string(id); }
};
/// A project by folder name, else a file by "Project/path".
Target find_target(Session& s, const std::string& text);

/// A file of a project by its path inside it (its summary).
nlohmann::json find_file(Session& s, const nlohmann::json& project, const std::string& path);

/// A collection by name (its summary).
nlohmann::json find_collection(Session& s, const std::string& name);

// The commands of other files.
int cmd_tags(const std::vector<std::string>& argv);
int cmd_note(const std::vector<std::string>& argv);
int cmd_main_image(const std::vector<std::string>& argv);
int cmd_have(const std::vector<std::string>& argv);
int cmd_problems(const std::vector<std::string>& argv);

}  // namespace lima::cli
