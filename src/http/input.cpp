#include "http/input.h"

#include <httplib.h>

#include <charconv>

#include "http/api_error.h"
#include "index/names.h"

namespace lima::http {

using nlohmann::json;

namespace {

std::string in_quotes(std::string_view key) { return "'" + index::printable(key) + "'"; }

const json* field(const json& obj, std::string_view key) {
  auto it = obj.find(std::string(key));
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

}  // namespace

void only_fields(const json& obj, std::initializer_list<std::string_view> allowed, std::string_view where) {
  for (const auto& [key, value] : obj.items()) {
    bool known = false;
    for (auto a : allowed) known = known || key == a;
    if (!known) throw_invalid(std::string(where) + "unknown field " + in_quotes(key));
  }
}

json json_object(const std::string& body, std::initializer_list<std::string_view> allowed, bool empty_ok) {
  if (body.empty()) {
    if (empty_ok) return json::object();
    throw_invalid("a JSON object is expected in the request body");
  }
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) throw_invalid("the request body is not valid JSON");
  if (!j.is_object()) throw_invalid("the request body must be a JSON object");
  only_fields(j, allowed);
  return j;
}

std::optional<std::string> opt_string(const json& obj, std::string_view key) {
  const json* v = field(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) throw_invalid("field " + in_quotes(key) + " must be a string");
  return v->get<std::string>();
}

std::string need_string(const json& obj, std::string_view key) {
  auto v = opt_string(obj, key);
  if (!v) throw_invalid("field " + in_quotes(key) + " is required");
  return *v;
}

std::optional<std::uint64_t> opt_u64(const json& obj, std::string_view key) {
  const json* v = field(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_number_unsigned()) throw_invalid("field " + in_quotes(key) + " must be a non-negative integer");
  return v->get<std::uint64_t>();
}

namespace {

std::optional<std::uint64_t> to_u64(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty() || s.size() > 20) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

constexpr std::string_view kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string b64url(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kB64[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kB64[(acc << (6 - bits)) & 63]);
  return out;
}

std::optional<std::string> from_b64url(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const auto pos = kB64.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace

std::uint64_t parse_id(std::string_view text, std::string_view what) {
  auto v = to_u64(text);
  if (!v || *v == 0) throw_invalid(std::string(what) + " id must be a positive integer, not " + in_quotes(text));
  return *v;
}

std::optional<std::uint64_t> query_u64(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  const auto text = req.get_param_value(name);
  auto v = to_u64(text);
  if (!v) throw_invalid(std::string("parameter '") + name + "' must be a non-negative integer, not " + in_quotes(text));
  return v;
}

bool query_bool(const httplib::Request& req, const char* name, bool def) {
  if (!req.has_param(name)) return def;
  const auto v = req.get_param_value(name);
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  throw_invalid(std::string("parameter '") + name + "' must be true or false, not " + in_quotes(v));
}

Page read_page(const httplib::Request& req, std::string_view list) {
  Page page;
  if (auto limit = query_u64(req, "limit")) {
    if (*limit == 0 || *limit > kMaxLimit)
      throw_invalid("parameter 'limit' must be between 1 and " + std::to_string(kMaxLimit));
    page.limit = static_cast<std::size_t>(*limit);
  }
  if (req.has_param("cursor")) {
    const auto raw = req.get_param_value("cursor");
    auto decoded = from_b64url(raw);
    const std::string prefix = std::string(list) + ":";
    if (!decoded || !decoded->starts_with(prefix) || decoded->size() == prefix.size())
      throw_invalid("parameter 'cursor' is not a cursor of this list (pass back the next_cursor of a page)");
    page.after = decoded->substr(prefix.size());
    page.has_cursor = true;
  }
  return page;
}

std::string make_cursor(std::string_view list, std::string_view key) {
  return b64url(std::string(list) + ":" + std::string(key));
}

}  // namespace lima::http
