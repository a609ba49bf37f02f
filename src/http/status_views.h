// Status as the API shows it: the sync coordinator's and the live sync's
// plain values rendered as the JSON of /status and the Prometheus text of
// /metrics. The mount renders the live sync's in fs/live_status_text.h.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "index/live_status.h"
#include "index/sync_coordinator.h"
#include "thumbs/picture_worker.h"

namespace lima::http {

/// The "progress" member of a running run.
nlohmann::json progress_json(const index::RunProgress& progress);

/// Prometheus text: the running flag, runs by status, their durations.
std::string sync_metrics_text(const index::SyncMetrics& metrics);

/// The "library" members of /status: online, and while offline the reason
/// and since when.
nlohmann::json library_json(const index::LiveStatus& status);

/// The "watcher" member of /status.
nlohmann::json watcher_json(const index::LiveStatus& status);

/// Prometheus text: library online, watching, watches, pending work,
/// events, overflows, batches.
std::string live_metrics_text(const index::LiveStatus& status);

/// The "pictures" member of /status: queued, running, made, failed, per
/// second, workers.
nlohmann::json pictures_json(const thumbs::PictureStats& stats);

/// Prometheus text: pictures queued and being made, made and failed since
/// the start, made per second.
std::string picture_metrics_text(const thumbs::PictureStats& stats);

/// The pictures' lines of MOUNT/.limafs/status.
std::string pictures_status_text(const thumbs::PictureStats& stats);

}  // namespace lima::http
