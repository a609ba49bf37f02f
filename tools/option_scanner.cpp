#include "option_scanner.h"

#include <charconv>

namespace lima::bench {

OptionScanner::OptionScanner(int argc, char** argv) {
  if (argc > 0) args_.assign(argv, argv + argc);
}

bool OptionScanner::next() {
  if (next_ >= args_.size()) return false;
  opt_ = args_[next_++];
  inline_value_.reset();
  if (const auto eq = opt_.find('='); opt_.starts_with("--") && eq != std::string_view::npos) {
    inline_value_ = opt_.substr(eq + 1);
    opt_ = opt_.substr(0, eq);
  }
  return true;
}

std::string_view OptionScanner::value() {
  if (inline_value_) return *inline_value_;
  if (next_ >= args_.size()) throw UsageError{std::string(opt_) + " needs a value"};
  return args_[next_++];
}

std::uint64_t parse_count(std::string_view opt, std::string_view text, std::uint64_t lo, std::uint64_t hi) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty() || v < lo || v > hi) {
    throw UsageError{std::string(opt) + " expects a whole number from " + std::to_string(lo) + " to " +
                     std::to_string(hi) + ", got '" + std::string(text) + "'"};
  }
  return v;
}

}  // namespace lima::bench
