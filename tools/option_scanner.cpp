#include "option_scanner.h"

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

}  // namespace lima::bench
