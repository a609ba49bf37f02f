// The live sync's lines of .limafs/status: whether the library is online,
// how changes are picked up, the watcher's counters, the next
// reconciliation.
#pragma once

#include <string>

#include "index/live_status.h"

namespace lima::fs {

/// Four lines, each ending in a newline.
std::string live_status_text(const index::LiveStatus& status);

}  // namespace lima::fs
