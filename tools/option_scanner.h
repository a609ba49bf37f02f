// The command-line walk shared by the limafs-bench commands: each argument
// in turn, "--opt=value" split at the first '=', and the value of an option
// taken from after the '=' or else from the next argument.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lima::bench {

/// A mistake on the command line; the command prints the message and
/// exits 2.
struct UsageError {
  std::string message;
};

/// Usage: for (OptionScanner scan(argc, argv); scan.next();) { ... }
/// Each command keeps its own option table: it compares option() and calls
/// value() for the options that take one.
class OptionScanner {
 public:
  OptionScanner(int argc, char** argv);

  /// Moves to the next argument; false when there is none left.
  bool next();

  /// The current argument; for "--opt=value", the part before the '='.
  std::string_view option() const { return opt_; }

  /// The current option's value: the part after the '=', else the next
  /// argument (which is then consumed). Throws UsageError "OPT needs a
  /// value" when there is neither.
  std::string_view value();

 private:
  std::vector<std::string_view> args_;
  std::size_t next_ = 0;
  std::string_view opt_;
  std::optional<std::string_view> inline_value_;
};

/// The value `text` of option `opt` as a whole number in [lo, hi]; throws
/// UsageError naming the option otherwise.
std::uint64_t parse_count(std::string_view opt, std::string_view text, std::uint64_t lo, std::uint64_t hi);

}  // namespace lima::bench
