#include "http/query_params.h"

#include <httplib.h>

#include "http/api_error.h"

namespace lima::http {

void refuse_repeats(const httplib::Request& req, std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (req.get_param_value_count(name) > 1)
      throw_invalid(std::string("parameter '") + name + "' takes one value, and was given " +
                    std::to_string(req.get_param_value_count(name)));
}

std::optional<std::string> single_param(const httplib::Request& req, const char* name) {
  refuse_repeats(req, {name});
  if (!req.has_param(name)) return std::nullopt;
  return req.get_param_value(name);
}

std::vector<std::string> repeated_param(const httplib::Request& req, const char* name) {
  std::vector<std::string> out;
  const auto [from, to] = req.params.equal_range(name);
  for (auto it = from; it != to; ++it) out.push_back(it->second);
  return out;
}

}  // namespace lima::http
