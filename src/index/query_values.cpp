// Field values of the search language that are not words (query_values.h).
// Sizes are bytes with binary units; times are nanoseconds since the epoch,
// dates whole UTC days (months, years), ages counted back from `now`.
#include "index/query_values.h"

#include <cmath>
#include <limits>
#include <optional>
#include <utility>

namespace lima::index {
namespace {

constexpr std::int64_t kSecondNs = 1'000'000'000;
constexpr std::int64_t kDayNs = 86'400 * kSecondNs;

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// A leading comparison sign; none means "=" and `signed_` false.
struct Signed {
  Compare cmp = Compare::eq;
  bool signed_ = false;
  std::string_view rest;
};

Signed split_sign(std::string_view v) {
  static constexpr std::pair<std::string_view, Compare> kSigns[] = {
      {"<=", Compare::le}, {">=", Compare::ge}, {"<", Compare::lt}, {">", Compare::gt}, {"=", Compare::eq},
  };
  for (const auto& [sign, cmp] : kSigns) {
    if (v.substr(0, sign.size()) == sign) return Signed{cmp, true, v.substr(sign.size())};
  }
  return Signed{Compare::eq, false, v};
}

QueryNode comparison(QueryNode::Op op, Compare cmp, std::int64_t number) {
  QueryNode n;
  n.op = op;
  n.cmp = cmp;
  n.number = number;
  return n;
}

/// "10", "1.5G", "512K", "10MB", "3MiB": bytes, rounded.
std::optional<std::int64_t> parse_size(std::string_view s) {
  std::size_t i = 0;
  long double amount = 0;
  while (i < s.size() && is_digit(s[i])) amount = amount * 10 + (s[i++] - '0');
  if (i == 0) return std::nullopt;
  if (i < s.size() && s[i] == '.') {
    const std::size_t first = ++i;
    long double scale = 0.1L;
    while (i < s.size() && is_digit(s[i])) {
      amount += scale * (s[i++] - '0');
      scale /= 10;
    }
    if (i == first) return std::nullopt;
  }
  const std::string unit = ascii_lower(s.substr(i));
  static constexpr std::string_view kUnits = "bkmgt";
  long double factor = 1;
  if (!unit.empty()) {
    const std::size_t power = kUnits.find(unit[0]);
    const std::string_view tail = std::string_view(unit).substr(1);
    if (power == std::string_view::npos) return std::nullopt;
    if (power == 0 ? !tail.empty() : !(tail.empty() || tail == "b" || tail == "ib")) return std::nullopt;
    factor = std::pow(1024.0L, static_cast<long double>(power));
  }
  const long double bytes = std::round(amount * factor);
  if (bytes >= 9.2e18L) return std::nullopt;
  return static_cast<std::int64_t>(bytes);
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

/// The UTC span [begin, end) of "YYYY", "YYYY-MM" or "YYYY-MM-DD" in ns.
struct Span {
  std::int64_t begin;
  std::int64_t end;
};

bool looks_like_date(std::string_view s) {
  return s.size() >= 4 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
         (s.size() == 4 || s[4] == '-');
}

/// Reads 1 or 2 digits at s[i] after a '-'.
std::optional<unsigned> date_part(std::string_view s, std::size_t& i) {
  if (i >= s.size() || s[i] != '-') return std::nullopt;
  ++i;
  unsigned v = 0;
  std::size_t digits = 0;
  while (i < s.size() && is_digit(s[i]) && digits < 2) {
    v = v * 10 + static_cast<unsigned>(s[i++] - '0');
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  return v;
}

std::optional<Span> parse_date(std::string_view s) {
  const std::int64_t year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  // Nanoseconds since the epoch in 64 bits reach from 1677 to 2262.
  if (year < 1678 || year > 2261) return std::nullopt;
  std::size_t i = 4;
  if (i == s.size()) {
    return Span{days_from_civil(year, 1, 1) * kDayNs, days_from_civil(year + 1, 1, 1) * kDayNs};
  }
  const auto month = date_part(s, i);
  if (!month || *month < 1 || *month > 12) return std::nullopt;
  if (i == s.size()) {
    const std::int64_t next_year = *month == 12 ? year + 1 : year;
    const unsigned next_month = *month == 12 ? 1 : *month + 1;
    return Span{days_from_civil(year, *month, 1) * kDayNs, days_from_civil(next_year, next_month, 1) * kDayNs};
  }
  const auto day = date_part(s, i);
  if (!day || i != s.size() || *day < 1 || *day > days_in_month(year, *month)) return std::nullopt;
  const std::int64_t begin = days_from_civil(year, *month, *day) * kDayNs;
  return Span{begin, begin + kDayNs};
}

/// "30d", "12h", "2w", "6m" (30 days), "1y" (365 days): a duration in ns.
std::optional<std::int64_t> parse_age(std::string_view s) {
  std::size_t i = 0;
  std::int64_t count = 0;
  while (i < s.size() && is_digit(s[i])) {
    if (count > std::numeric_limits<std::int64_t>::max() / 10 - 9) return std::nullopt;
    count = count * 10 + (s[i++] - '0');
  }
  if (i == 0 || i + 1 != s.size()) return std::nullopt;
  std::int64_t unit = 0;
  switch (s[i]) {
    case 'h': case 'H': unit = 3600 * kSecondNs; break;
    case 'd': case 'D': unit = kDayNs; break;
    case 'w': case 'W': unit = 7 * kDayNs; break;
    case 'm': case 'M': unit = 30 * kDayNs; break;
    case 'y': case 'Y': unit = 365 * kDayNs; break;
    default: return std::nullopt;
  }
  std::int64_t ns = 0;
  if (__builtin_mul_overflow(count, unit, &ns)) return std::nullopt;
  return ns;
}

tl::expected<QueryNode, std::string> parse_time(QueryNode::Op op, std::string_view value, std::int64_t now_ns) {
  const Signed sv = split_sign(value);
  const std::string quoted = "'" + std::string(value) + "'";
  if (looks_like_date(sv.rest)) {
    const auto span = parse_date(sv.rest);
    if (!span) return tl::unexpected("bad date " + quoted + " (YYYY, YYYY-MM or YYYY-MM-DD)");
    switch (sv.cmp) {
      case Compare::gt: return comparison(op, Compare::ge, span->end);    // after the span
      case Compare::ge: return comparison(op, Compare::ge, span->begin);  // from its start
      case Compare::lt: return comparison(op, Compare::lt, span->begin);  // before it
      case Compare::le: return comparison(op, Compare::lt, span->end);    // up to its end
      case Compare::eq: break;
    }
    QueryNode during;  // during the span
    during.op = QueryNode::Op::all_of;
    during.kids.push_back(comparison(op, Compare::ge, span->begin));
    during.kids.push_back(comparison(op, Compare::lt, span->end));
    return during;
  }
  const auto age = parse_age(sv.rest);
  if (!age) {
    return tl::unexpected("bad age or date " + quoted +
                          " (an age such as <30d or >1y, in h d w m y, or a date YYYY, YYYY-MM or YYYY-MM-DD)");
  }
  if (sv.signed_ && sv.cmp == Compare::eq) return tl::unexpected(std::string("an age needs '<' or '>', not '='"));
  std::int64_t cutoff = 0;
  if (__builtin_sub_overflow(now_ns, *age, &cutoff)) cutoff = std::numeric_limits<std::int64_t>::min();
  switch (sv.cmp) {
    case Compare::lt: case Compare::eq: return comparison(op, Compare::gt, cutoff);  // within the age
    case Compare::le: return comparison(op, Compare::ge, cutoff);
    case Compare::gt: return comparison(op, Compare::lt, cutoff);  // older than the age
    case Compare::ge: return comparison(op, Compare::le, cutoff);
  }
  return comparison(op, Compare::gt, cutoff);
}

}  // namespace

tl::expected<QueryNode, std::string> parse_field_value(std::string_view name, std::string_view field,
                                                       std::string_view value, std::int64_t now_ns) {
  const std::string quoted = "'" + std::string(value) + "'";
  if (name == "type") {
    const auto kind = parse_kind(ascii_lower(value));
    if (!kind) return tl::unexpected("unknown type " + quoted + " (model, image, document or other)");
    QueryNode n;
    n.op = QueryNode::Op::type;
    n.kind = *kind;
    return n;
  }
  if (name == "ext") {
    const std::string_view e = value.substr(0, 1) == "." ? value.substr(1) : value;
    const bool plain = !e.empty() && e.find_first_of("./\\ \t") == std::string_view::npos;
    if (!plain) return tl::unexpected("bad extension " + quoted + " (such as stl, without a dot)");
    QueryNode n;
    n.op = QueryNode::Op::ext;
    n.text = ascii_lower(e);
    return n;
  }
  if (name == "has" || name == "missing") {
    const std::string v = ascii_lower(value);
    QueryNode n;
    n.op = QueryNode::Op::has;
    if (v == "tags" || v == "tag") {
      n.text = "tags";
    } else if (v == "image" || v == "images") {
      n.text = "image";
    } else if (v == "note" || v == "notes") {
      n.text = "note";
    } else {
      return tl::unexpected("unknown value " + quoted + " for '" + std::string(field) + "' (tags, image or note)");
    }
    if (name == "has") return n;
    QueryNode none;
    none.op = QueryNode::Op::none_of;
    none.kids.push_back(std::move(n));
    return none;
  }
  if (name == "size") {
    const Signed sv = split_sign(value);
    const auto bytes = parse_size(sv.rest);
    if (!bytes) {
      return tl::unexpected("bad size " + quoted + " (a number and a unit B K M G T, such as >10M or <=512K)");
    }
    return comparison(QueryNode::Op::size, sv.cmp, *bytes);
  }
  if (name == "modified") return parse_time(QueryNode::Op::modified, value, now_ns);
  if (name == "added") return parse_time(QueryNode::Op::added, value, now_ns);
  return tl::unexpected("unknown field '" + std::string(field) + "'");
}

}  // namespace lima::index
