// The daemon's log: one line per event on stderr, with a level. Under
// systemd (stderr connected to the journal, $JOURNAL_STREAM set) each line
// starts with its syslog priority ("<4>…"), which journald files as the
// entry's level; on a terminal or in a file, warnings and errors say so in
// words ("limafs: warning: …").
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lima::log {

enum class Level : int { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

/// Lines below this level are dropped (default: info).
void set_level(Level level);
Level level();
/// "error", "warning", "notice", "info", "debug".
std::optional<Level> parse_level(std::string_view name);
/// Forces the journald prefixes on or off (default: on when $JOURNAL_STREAM
/// names the device and inode of stderr).
void set_journal_format(bool on);

/// Writes one line (a message without its trailing newline).
void write(Level level, std::string_view message);
inline void error(std::string_view m) { write(Level::error, m); }
inline void warning(std::string_view m) { write(Level::warning, m); }
inline void notice(std::string_view m) { write(Level::notice, m); }
inline void info(std::string_view m) { write(Level::info, m); }
inline void debug(std::string_view m) { write(Level::debug, m); }

}  // namespace lima::log
