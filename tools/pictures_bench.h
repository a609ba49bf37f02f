// The pictures benchmark (DESIGN §7): how fast the daemon makes pictures
// and what it costs the rest of the daemon, each figure against a baseline
// measured in the same run.
//
//   images   the daemon's picture pipeline on large photo-like images
//            (picture_corpus.h), against vipsthumbnail (one process, all
//            files) and ImageMagick's convert (one process per file, two
//            at a time), all making 256 px WebP thumbnails;
//   render   make_picture() of a 1,000,000-triangle STL in this process on
//            one pinned CPU (and its steps, read_stl and render_mesh),
//            against f3d under Xvfb when it runs here;
//   library  a generated tier-M library's pictures made by the daemon with
//            its workers, while the API's /status latency and a warm ls -l
//            of a 10,000-entry tag folder are measured against the same
//            daemon with --thumb-workers 0; then the cost of a restart
//            when every picture is made.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "bench_run.h"
#include "daemon_process.h"
#include "freshness_probe.h"
#include "library_generator.h"
#include "picture_corpus.h"

namespace lima::bench {

struct PicturesBenchOptions {
  bool images = true, render = true, library = true;  ///< the parts to run
  std::filesystem::path work;    ///< holds the corpus, the mesh, the tier library and scratch state
  std::filesystem::path limafs;  ///< the limafs executable
  Tier tier = Tier::m;           ///< of the library part
  std::uint64_t seed = 1;
  int workers = 2;               ///< the daemon's --thumb-workers
  int repeat = 3;                ///< runs of each images measurement
  int render_repeat = 7;         ///< runs of each render measurement
  std::uint64_t triangles = 1'000'000;  ///< of the render part's STL
  int ls_repeat = 5;             ///< warm ls -l runs
  bool keep = false;             ///< keep the daemons' state directories
  std::ostream* log = nullptr;
};

/// One daemon run making the pictures of a library from a fresh index.
struct DaemonPictureRun {
  double serving_s = 0;     ///< start → serving (startup sync done, view mounted)
  double pictures_s = 0;    ///< serving → every picture made or failed, none queued or running
  double cpu_s = 0;         ///< the daemon's CPU time (user + system) over pictures_s
  std::uint64_t made = 0, failed = 0;
  std::uint64_t done_at_serving = 0;  ///< made + failed already when it started serving
  long hwm_kib = 0;         ///< VmHWM at the end
  DaemonStop stop;
};

struct ImagesResults {
  ImageCorpus corpus;
  std::vector<DaemonPictureRun> limafs;
  Timing limafs_s, limafs_cpu_s;  ///< pictures_s and cpu_s of each run
  Timing vipsthumbnail_s, vipsthumbnail_cpu_s;  ///< vipsthumbnail -s 256 -o DIR/%s.webp FILES...
  long vipsthumbnail_rss_kib = 0;
  Timing magick_s, magick_cpu_s;  ///< convert FILE -thumbnail 256x256 OUT.webp, per file (CPU: all of them)
  long magick_rss_kib = 0;
  int magick_jobs = 2;        ///< convert processes at a time
  std::string magick;         ///< the convert program run
};

struct RenderResults {
  MeshFile mesh;
  int cpu = -1;               ///< the CPU this thread was pinned to
  Timing read_s, render_s, make_png_s, make_webp_s;  ///< wall clock
  Timing read_cpu_s, render_cpu_s, make_png_cpu_s, make_webp_cpu_s;  ///< this process's CPU time
  int picture_width = 0, picture_height = 0;
  std::size_t png_bytes = 0, webp_bytes = 0;
  bool f3d_ran = false;
  std::string f3d_note;       ///< why it did not run, or how it ran
  Timing f3d_s, f3d_cpu_s;
};

/// The daemon's /status latency and a warm ls -l of a tag folder, measured
/// while it does something.
struct Responsiveness {
  Latencies status;           ///< GET /api/v1/status answers
  std::size_t status_errors = 0;
  std::string status_first_error;
  Timing ls_s;                ///< warm ls -l MNT/tags/TAG
};

/// A daemon restart on an index whose pictures are all made.
struct RestartRun {
  double serving_s = 0;       ///< start → serving
  double idle_s = 0;          ///< start → serving and the picture feed done (nothing queued or running, CPU quiet)
  double cpu_s = 0;           ///< the daemon's CPU time from its start to the end of the measurement
  long hwm_kib = 0, rss_kib = 0;
  std::uint64_t made = 0, failed = 0;
};

struct LibraryResults {
  std::filesystem::path library_dir;
  GenStats library;
  std::uint64_t picture_files = 0;  ///< files whose names may have a picture
  std::size_t tagged = 0;           ///< assets carrying the tag listed by ls
  double index_s = 0;               ///< the first start: indexing the library, to serving
  Responsiveness idle;              ///< --thumb-workers 0, serving
  RestartRun restart_no_workers;    ///< --thumb-workers 0 restart
  DaemonPictureRun making;          ///< --thumb-workers N, fresh pictures
  long making_rss_max_kib = 0;
  Responsiveness busy;              ///< while making the pictures
  RestartRun restart_done;          ///< --thumb-workers N restart, every picture made
  DaemonStop stop;                  ///< the last daemon's
};

struct PicturesBenchResults {
  bool images_ran = false, render_ran = false, library_ran = false;
  ImagesResults images;
  RenderResults render;
  LibraryResults library;
  unsigned cpus = 0;
  double load_before = 0;
};

/// The three parts; each throws std::runtime_error.
void run_images_part(const PicturesBenchOptions& options, ImagesResults& out);
void run_render_part(const PicturesBenchOptions& options, RenderResults& out);
void run_library_part(const PicturesBenchOptions& options, LibraryResults& out);

}  // namespace lima::bench
