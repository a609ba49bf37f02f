// A small command-line parser: long options with values (`--state DIR` or
// `--state=DIR`), repeatable options, flags and positional arguments. Unknown
// options and missing values are errors with a one-line message.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lima::cli {

struct OptionSpec {
  std::string name;  ///< without the leading "--"
  bool takes_value = false;
  bool repeatable = false;
  char short_name = 0;  ///< e.g. 'o' for `-o VALUE` / `-oVALUE`
};

struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> values;  ///< option → values ("" for flags)

  bool has(const std::string& name) const { return values.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
};

/// Parses args (without the program and command names). On error returns
/// nullopt and sets `error`. "--" ends option parsing. With `dash_words`,
/// an argument of one dash and more that is no known short option is a
/// positional argument ("-draft": a search query's exclusion), not an
/// error; "-h" is still the help.
std::optional<ParsedArgs> parse_args(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs,
                                     std::string& error, bool dash_words = false);

}  // namespace lima::cli
