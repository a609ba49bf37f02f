// The targets of the pictures benchmark and its reports: which results
// meet them, a table for people, and a JSON object for tools.
#pragma once

#include <iosfwd>

#include <nlohmann/json.hpp>

#include "pictures_bench.h"

namespace lima::bench {

/// images: the daemon's pictures per second against vipsthumbnail's and
/// ImageMagick's on the same files.
inline constexpr double kVipsRatioTarget = 1.0;
inline constexpr double kMagickRatioTarget = 3.0;
/// render: render_mesh of the mesh at 512 px, seconds; make_picture end to
/// end, triangles per second.
inline constexpr double kRenderSecondsTarget = 0.3;
inline constexpr double kTrianglesPerSecondTarget = 4e6;
/// library: the daemon's peak RSS while making pictures; /status p99 then;
/// warm ls -l of the tag folder then, against no workers.
inline constexpr long kLibraryRssTargetKib = 300 * 1024;
inline constexpr double kStatusP99TargetMs = 50;
inline constexpr double kLsRatioTarget = 1.2;

struct PicturesVerdict {
  bool images_vips = true, images_magick = true, images_stops = true;
  bool render_time = true, render_png_rate = true, render_webp_rate = true;
  bool library_rss = true, library_status = true, library_ls = true, library_stops = true;

  bool all_ok() const {
    return images_vips && images_magick && images_stops && render_time && render_png_rate && render_webp_rate &&
           library_rss && library_status && library_ls && library_stops;
  }
};

PicturesVerdict judge(const PicturesBenchResults& r);

void print_report(std::ostream& out, const PicturesBenchResults& r, const PicturesBenchOptions& opt,
                  const PicturesVerdict& v, bool enforced);

nlohmann::ordered_json report_json(const PicturesBenchResults& r, const PicturesBenchOptions& opt,
                                   const PicturesVerdict& v, bool enforced);

}  // namespace lima::bench
