#include "pictures_report.h"

#include <ostream>
#include <string>
#include <vector>

#include "text_table.h"

namespace lima::bench {
namespace {

using Cells = std::vector<std::string>;
using nlohmann::ordered_json;

std::string verdict(bool ok) { return ok ? "PASS" : "FAIL"; }
double ratio(double a, double b) { return b > 0 ? a / b : 0; }
double per_s(double n, double s) { return s > 0 ? n / s : 0; }
std::string mib(long kib) { return fmt("%.1f MiB", static_cast<double>(kib) / 1024); }
std::string secs(double s) { return fmt("%.3f s", s); }
std::string ms(double v) { return fmt("%.2f ms", v); }
std::string x(double v) { return fmt("%.2fx", v); }

std::size_t images_n(const ImagesResults& r) { return r.corpus.files.size(); }

bool stops_clean(const ImagesResults& r) {
  for (const auto& run : r.limafs) {
    if (!run.stop.clean()) return false;
  }
  return true;
}

std::uint64_t made(const ImagesResults& r) { return r.limafs.empty() ? 0 : r.limafs.back().made; }
std::uint64_t failed(const ImagesResults& r) { return r.limafs.empty() ? 0 : r.limafs.back().failed; }

long hwm(const ImagesResults& r) {
  long m = 0;
  for (const auto& run : r.limafs) m = std::max(m, run.hwm_kib);
  return m;
}

double tris_per_s(const RenderResults& r, const Timing& t) {
  return per_s(static_cast<double>(r.mesh.triangles), t.median());
}

Cells row(std::string what, std::string limafs = "", std::string baseline = "", std::string r = "", std::string target = "",
          std::string result = "") {
  return {std::move(what), std::move(limafs), std::move(baseline), std::move(r), std::move(target), std::move(result)};
}

void images_rows(std::vector<Cells>& rows, const PicturesBenchResults& r, const PicturesVerdict& v) {
  const auto& im = r.images;
  const double n = static_cast<double>(images_n(im));
  const double ours = per_s(n, im.limafs_s.median());
  const double vips = per_s(n, im.vipsthumbnail_s.median());
  const double magick = per_s(n, im.magick_s.median());
  rows.push_back(row("images: pictures/s, vs vipsthumbnail (1 process)", fmt("%.2f /s", ours), fmt("%.2f /s", vips),
                     x(ratio(ours, vips)), fmt(">= %.1fx", kVipsRatioTarget), verdict(v.images_vips)));
  rows.push_back(row("images: pictures/s, vs convert (" + std::to_string(im.magick_jobs) + " at a time)",
                     fmt("%.2f /s", ours), fmt("%.2f /s", magick), x(ratio(ours, magick)),
                     fmt(">= %.1fx", kMagickRatioTarget), verdict(v.images_magick)));
  const double ours_cpu = per_s(n, im.limafs_cpu_s.median());
  const double vips_cpu = per_s(n, im.vipsthumbnail_cpu_s.median());
  const double magick_cpu = per_s(n, im.magick_cpu_s.median());
  rows.push_back(row("  pictures per CPU second, vs vipsthumbnail / convert", fmt("%.2f", ours_cpu),
                     fmt("%.2f", vips_cpu) + " / " + fmt("%.2f", magick_cpu),
                     x(ratio(ours_cpu, vips_cpu)) + " / " + x(ratio(ours_cpu, magick_cpu))));
  rows.push_back(row("  all " + std::to_string(images_n(im)) + " done (limafs: after serving)",
                     secs(im.limafs_s.median()), secs(im.vipsthumbnail_s.median()) + " / " + secs(im.magick_s.median())));
  if (!im.limafs.empty()) {
    const auto& last = im.limafs.back();
    rows.push_back(row("  last run: to serving / done at serving / CPU", secs(last.serving_s) + " / " +
                                                                              std::to_string(last.done_at_serving) +
                                                                              " / " + secs(last.cpu_s),
                       secs(im.vipsthumbnail_cpu_s.median()) + " / " + secs(im.magick_cpu_s.median()) + " CPU"));
  }
  rows.push_back(row("  made / failed", std::to_string(made(im)) + " / " + std::to_string(failed(im))));
  rows.push_back(row("  peak RSS (limafs VmHWM; baselines ru_maxrss)", mib(hwm(im)),
                     mib(im.vipsthumbnail_rss_kib) + " / " + mib(im.magick_rss_kib),
                     x(ratio(static_cast<double>(hwm(im)), static_cast<double>(im.vipsthumbnail_rss_kib)))));
  rows.push_back(row("  daemon stops (SIGTERM)", stops_clean(im) ? "clean" : "NOT clean", "", "", "exit 0, mount gone",
                     verdict(v.images_stops)));
}

void render_rows(std::vector<Cells>& rows, const PicturesBenchResults& r, const PicturesVerdict& v) {
  const auto& re = r.render;
  const std::string tri = fmt("%.1f M triangles", static_cast<double>(re.mesh.triangles) / 1e6);
  const std::string f3d = re.f3d_ran ? secs(re.f3d_s.median()) : "";
  rows.push_back(row("render: render_mesh, " + tri + ", 512 px, 1 CPU", secs(re.render_s.median()), "", "",
                     fmt("<= %.1f s", kRenderSecondsTarget), verdict(v.render_time)));
  rows.push_back(row("  CPU time", secs(re.render_cpu_s.median())));
  rows.push_back(row("  read_stl (CPU time)", secs(re.read_s.median()) + " (" + secs(re.read_cpu_s.median()) + ")"));
  rows.push_back(row("render: make_picture PNG (read+render+encode)", secs(re.make_png_s.median()), f3d,
                     re.f3d_ran ? x(ratio(re.make_png_s.median(), re.f3d_s.median())) : ""));
  rows.push_back(row("  triangles/s", fmt("%.2f M/s", tris_per_s(re, re.make_png_s) / 1e6),
                     re.f3d_ran ? fmt("%.2f M/s", tris_per_s(re, re.f3d_s) / 1e6) : "",
                     re.f3d_ran ? x(ratio(tris_per_s(re, re.make_png_s), tris_per_s(re, re.f3d_s))) : "",
                     fmt(">= %.0f M/s", kTrianglesPerSecondTarget / 1e6), verdict(v.render_png_rate)));
  rows.push_back(row("  CPU time", secs(re.make_png_cpu_s.median()), re.f3d_ran ? secs(re.f3d_cpu_s.median()) : "",
                     re.f3d_ran ? x(ratio(re.make_png_cpu_s.median(), re.f3d_cpu_s.median())) : ""));
  rows.push_back(row("render: make_picture WebP (read+render+encode)", secs(re.make_webp_s.median()), f3d,
                     re.f3d_ran ? x(ratio(re.make_webp_s.median(), re.f3d_s.median())) : ""));
  rows.push_back(row("  CPU time", secs(re.make_webp_cpu_s.median())));
  rows.push_back(row("  triangles/s", fmt("%.2f M/s", tris_per_s(re, re.make_webp_s) / 1e6), "", "",
                     fmt(">= %.0f M/s", kTrianglesPerSecondTarget / 1e6), verdict(v.render_webp_rate)));
}

void library_rows(std::vector<Cells>& rows, const PicturesBenchResults& r, const PicturesVerdict& v) {
  const auto& li = r.library;
  const auto& mk = li.making;
  rows.push_back(row("library: every picture made or failed, after serving", secs(mk.pictures_s)));
  rows.push_back(row("  pictures/s (per CPU second)",
                     fmt("%.1f /s", per_s(static_cast<double>(mk.made + mk.failed), mk.pictures_s)) + " (" +
                         fmt("%.1f", per_s(static_cast<double>(mk.made + mk.failed), mk.cpu_s)) + ")"));
  rows.push_back(row("  made / failed (of " + std::to_string(li.picture_files) + " files that may have one)",
                     std::to_string(mk.made) + " / " + std::to_string(mk.failed)));
  rows.push_back(row("library: peak RSS (VmHWM) making them, vs no workers", mib(mk.hwm_kib),
                     mib(li.restart_no_workers.hwm_kib),
                     x(ratio(static_cast<double>(mk.hwm_kib), static_cast<double>(li.restart_no_workers.hwm_kib))),
                     "<= " + std::to_string(kLibraryRssTargetKib / 1024) + " MiB", verdict(v.library_rss)));
  rows.push_back(row("library: GET /status p99 while making, vs no workers", ms(li.busy.status.percentile(0.99)),
                     ms(li.idle.status.percentile(0.99)),
                     x(ratio(li.busy.status.percentile(0.99), li.idle.status.percentile(0.99))),
                     fmt("<= %.0f ms, no errors", kStatusP99TargetMs), verdict(v.library_status)));
  rows.push_back(row("  p50 / max", ms(li.busy.status.percentile(0.5)) + " / " + ms(li.busy.status.max()),
                     ms(li.idle.status.percentile(0.5)) + " / " + ms(li.idle.status.max())));
  rows.push_back(row("  requests / errors", std::to_string(li.busy.status.ms.size()) + " / " + std::to_string(li.busy.status_errors),
                     std::to_string(li.idle.status.ms.size()) + " / " + std::to_string(li.idle.status_errors)));
  rows.push_back(row("library: warm ls -l tags/" + std::string("ten-k-files") + " (" + std::to_string(li.tagged) +
                         "), while making vs no workers",
                     secs(li.busy.ls_s.median()), secs(li.idle.ls_s.median()),
                     x(ratio(li.busy.ls_s.median(), li.idle.ls_s.median())), fmt("<= %.1fx", kLsRatioTarget),
                     verdict(v.library_ls)));
  rows.push_back(row("library: restart, all made: serving / feed settled", secs(li.restart_done.serving_s) + " / " +
                         secs(li.restart_done.idle_s),
                     secs(li.restart_no_workers.serving_s),
                     x(ratio(li.restart_done.idle_s, li.restart_no_workers.serving_s))));
  rows.push_back(row("  daemon CPU time since its start", secs(li.restart_done.cpu_s), secs(li.restart_no_workers.cpu_s),
                     x(ratio(li.restart_done.cpu_s, li.restart_no_workers.cpu_s))));
  rows.push_back(row("  VmHWM / VmRSS after it", mib(li.restart_done.hwm_kib) + " / " + mib(li.restart_done.rss_kib),
                     mib(li.restart_no_workers.hwm_kib) + " / " + mib(li.restart_no_workers.rss_kib)));
  rows.push_back(row("  daemon stops (SIGTERM)", mk.stop.clean() && li.stop.clean() ? "clean" : "NOT clean", "", "",
                     "exit 0, mount gone", verdict(v.library_stops)));
}

ordered_json timing(const Timing& t) { return {{"median_s", t.median()}, {"runs_s", t.runs}}; }

ordered_json timing(const Timing& wall, const Timing& cpu) {
  return {{"median_s", wall.median()}, {"runs_s", wall.runs}, {"cpu_median_s", cpu.median()}, {"cpu_runs_s", cpu.runs}};
}

ordered_json latencies(const Responsiveness& r) {
  return {{"status_requests", r.status.ms.size()},
          {"status_errors", r.status_errors},
          {"status_first_error", r.status_first_error},
          {"status_p50_ms", r.status.percentile(0.5)},
          {"status_p99_ms", r.status.percentile(0.99)},
          {"status_max_ms", r.status.max()},
          {"ls", timing(r.ls_s)}};
}

ordered_json restart_json(const RestartRun& r) {
  return {{"serving_s", r.serving_s}, {"settled_s", r.idle_s}, {"cpu_s", r.cpu_s}, {"hwm_kib", r.hwm_kib}, {"rss_kib", r.rss_kib},
          {"made", r.made}, {"failed", r.failed}};
}

}  // namespace

PicturesVerdict judge(const PicturesBenchResults& r) {
  PicturesVerdict v;
  if (r.images_ran) {
    const auto& im = r.images;
    const double n = static_cast<double>(images_n(im));
    const double ours = per_s(n, im.limafs_s.median());
    v.images_vips = ours >= kVipsRatioTarget * per_s(n, im.vipsthumbnail_s.median());
    v.images_magick = ours >= kMagickRatioTarget * per_s(n, im.magick_s.median());
    v.images_stops = stops_clean(im);
  }
  if (r.render_ran) {
    const auto& re = r.render;
    v.render_time = re.render_s.median() <= kRenderSecondsTarget;
    v.render_png_rate = tris_per_s(re, re.make_png_s) >= kTrianglesPerSecondTarget;
    v.render_webp_rate = tris_per_s(re, re.make_webp_s) >= kTrianglesPerSecondTarget;
  }
  if (r.library_ran) {
    const auto& li = r.library;
    v.library_rss = li.making.hwm_kib <= kLibraryRssTargetKib;
    v.library_status = li.busy.status_errors == 0 && !li.busy.status.ms.empty() &&
                       li.busy.status.percentile(0.99) <= kStatusP99TargetMs;
    v.library_ls = li.busy.ls_s.median() <= kLsRatioTarget * li.idle.ls_s.median();
    v.library_stops = li.making.stop.clean() && li.stop.clean();
  }
  return v;
}

void print_report(std::ostream& out, const PicturesBenchResults& r, const PicturesBenchOptions& opt,
                  const PicturesVerdict& v, bool enforced) {
  out << "limafs-bench pictures: " << r.cpus << " CPUs, load average " << fmt("%.2f", r.load_before)
      << " at the start; daemon --thumb-workers " << opt.workers
      << (enforced ? "" : "; targets reported, not enforced (--no-targets)") << "\n"
      << "limafs: " << opt.limafs.string() << "\n";
  if (r.images_ran) {
    const auto& c = r.images.corpus;
    out << "images: " << c.files.size() << " files in " << c.library.string() << " ("
        << fmt("%.0f MiB", static_cast<double>(c.bytes) / (1 << 20)) << ", "
        << fmt("%.0f Mpixels", static_cast<double>(c.pixels) / 1e6) << "), 256 px WebP, median of " << opt.repeat
        << " runs; limafs from serving to the last picture; convert is " << r.images.magick << "\n";
  }
  if (r.render_ran) {
    out << "render: " << r.render.mesh.path.string() << ", pinned to CPU " << r.render.cpu << ", median of "
        << opt.render_repeat << " runs after a warm-up; picture " << r.render.picture_width << "x"
        << r.render.picture_height << " (" << r.render.png_bytes << " bytes PNG, " << r.render.webp_bytes
        << " bytes WebP); f3d: " << r.render.f3d_note << "\n";
  }
  if (r.library_ran) {
    const auto& l = r.library;
    out << "library: tier " << tier_name(opt.tier) << ", seed " << opt.seed << ", " << l.library.files << " files ("
        << fmt("%.0f MiB", static_cast<double>(l.library.bytes) / (1 << 20)) << ") in " << l.library_dir.string()
        << "; indexed and serving in " << fmt("%.1f s", l.index_s) << "\n";
  }
  out << "\n";
  std::vector<Cells> rows;
  if (r.images_ran) images_rows(rows, r, v);
  if (r.render_ran) render_rows(rows, r, v);
  if (r.library_ran) library_rows(rows, r, v);
  print_table(out, {"measurement", "limafs", "baseline", "ratio", "target", "result"}, rows);
  out << "\n" << (v.all_ok() ? "all targets met" : "some targets missed") << "\n";
}

ordered_json report_json(const PicturesBenchResults& r, const PicturesBenchOptions& opt, const PicturesVerdict& v,
                         bool enforced) {
  ordered_json j = {{"limafs", opt.limafs.string()},
                    {"machine", {{"cpus", r.cpus}, {"load_average_before", r.load_before}}},
                    {"workers", opt.workers}};
  if (r.images_ran) {
    const auto& im = r.images;
    ordered_json runs = ordered_json::array();
    for (const auto& run : im.limafs) {
      runs.push_back({{"serving_s", run.serving_s}, {"pictures_s", run.pictures_s}, {"cpu_s", run.cpu_s}, {"made", run.made},
                      {"failed", run.failed}, {"done_at_serving", run.done_at_serving}, {"hwm_kib", run.hwm_kib},
                      {"stop", run.stop.text()}});
    }
    j["images"] = {{"corpus", {{"path", im.corpus.library.string()}, {"files", im.corpus.files.size()},
                               {"bytes", im.corpus.bytes}, {"pixels", im.corpus.pixels}}},
                   {"limafs", {{"pictures", timing(im.limafs_s, im.limafs_cpu_s)}, {"runs", runs}}},
                   {"vipsthumbnail", {{"command", "vipsthumbnail -s 256 -o DIR/%s.webp FILES..."},
                                      {"time", timing(im.vipsthumbnail_s, im.vipsthumbnail_cpu_s)}, {"max_rss_kib", im.vipsthumbnail_rss_kib}}},
                   {"convert", {{"command", im.magick + " FILE -thumbnail 256x256 OUT.webp"}, {"jobs", im.magick_jobs},
                                {"time", timing(im.magick_s, im.magick_cpu_s)}, {"max_rss_kib", im.magick_rss_kib}}},
                   {"ok", {{"vipsthumbnail_ratio", v.images_vips}, {"convert_ratio", v.images_magick},
                           {"stops", v.images_stops}}}};
  }
  if (r.render_ran) {
    const auto& re = r.render;
    j["render"] = {{"mesh", {{"path", re.mesh.path.string()}, {"triangles", re.mesh.triangles}, {"bytes", re.mesh.bytes}}},
                   {"cpu", re.cpu},
                   {"read_stl", timing(re.read_s, re.read_cpu_s)},
                   {"render_mesh", timing(re.render_s, re.render_cpu_s)},
                   {"make_picture_png", timing(re.make_png_s, re.make_png_cpu_s)},
                   {"make_picture_webp", timing(re.make_webp_s, re.make_webp_cpu_s)},
                   {"f3d", {{"ran", re.f3d_ran}, {"note", re.f3d_note}, {"time", timing(re.f3d_s, re.f3d_cpu_s)}}},
                   {"ok", {{"render_time", v.render_time}, {"png_rate", v.render_png_rate},
                           {"webp_rate", v.render_webp_rate}}}};
  }
  if (r.library_ran) {
    const auto& li = r.library;
    j["library"] = {{"tier", tier_name(opt.tier)},
                    {"seed", opt.seed},
                    {"path", li.library_dir.string()},
                    {"files", li.library.files},
                    {"picture_files", li.picture_files},
                    {"index_s", li.index_s},
                    {"tagged", li.tagged},
                    {"making", {{"pictures_s", li.making.pictures_s}, {"cpu_s", li.making.cpu_s}, {"made", li.making.made},
                                {"failed", li.making.failed}, {"hwm_kib", li.making.hwm_kib},
                                {"rss_max_kib", li.making_rss_max_kib}, {"stop", li.making.stop.text()}}},
                    {"busy", latencies(li.busy)},
                    {"no_workers", latencies(li.idle)},
                    {"restart_no_workers", restart_json(li.restart_no_workers)},
                    {"restart_all_made", restart_json(li.restart_done)},
                    {"ok", {{"rss", v.library_rss}, {"status_p99", v.library_status}, {"ls", v.library_ls},
                            {"stops", v.library_stops}}}};
  }
  j["targets_enforced"] = enforced;
  j["all_ok"] = v.all_ok();
  return j;
}

}  // namespace lima::bench
