#include "cli/args.h"

namespace lima::cli {

std::optional<std::string> ParsedArgs::value(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> ParsedArgs::all(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

std::optional<ParsedArgs> parse_args(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs,
                                     std::string& error, bool dash_words) {
  ParsedArgs out;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-' ) {
      out.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    if (a[1] != '-') {
      if (a == "-h") {
        out.values["help"].push_back("");
        continue;
      }
      const OptionSpec* spec = nullptr;
      for (const auto& s : specs)
        if (s.short_name == a[1]) spec = &s;
      if (!spec && dash_words) {
        out.positional.push_back(a);
        continue;
      }
      if (!spec) {
        error = "unknown option '" + a + "'";
        return std::nullopt;
      }
      std::string value;
      if (spec->takes_value) {
        if (a.size() > 2) {
          value = a.substr(2);
        } else if (i + 1 < args.size()) {
          value = args[++i];
        } else {
          error = "option '-" + std::string(1, a[1]) + "' needs a value";
          return std::nullopt;
        }
      } else if (a.size() > 2) {
        error = "unknown option '" + a + "'";
        return std::nullopt;
      }
      auto& slot = out.values[spec->name];
      if (!slot.empty() && !spec->repeatable) {
        error = "option '-" + std::string(1, a[1]) + "' given twice";
        return std::nullopt;
      }
      slot.push_back(value);
      continue;
    }
    std::string name = a.substr(2), value;
    bool inline_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    const OptionSpec* spec = nullptr;
    for (const auto& s : specs)
      if (s.name == name) spec = &s;
    if (!spec) {
      error = "unknown option '--" + name + "'";
      return std::nullopt;
    }
    if (spec->takes_value && !inline_value) {
      if (i + 1 >= args.size()) {
        error = "option '--" + name + "' needs a value";
        return std::nullopt;
      }
      value = args[++i];
    } else if (!spec->takes_value && inline_value) {
      error = "option '--" + name + "' takes no value";
      return std::nullopt;
    }
    auto& slot = out.values[name];
    if (!slot.empty() && !spec->repeatable) {
      error = "option '--" + name + "' given more than once";
      return std::nullopt;
    }
    slot.push_back(value);
  }
  return out;
}

}  // namespace lima::cli
