#include "thumbs/make_picture.h"

#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "thumbs/embedded_picture.h"
#include "thumbs/image_thumbnail.h"
#include "thumbs/mesh.h"
#include "thumbs/renderer.h"
#include "thumbs/zip_archive.h"

namespace lima::thumbs {

namespace {

enum class Route { image, mesh_stl, mesh_obj, package_3mf, embedded_only, none };

std::string lower_extension(std::string_view name) {
  if (auto slash = name.rfind('/'); slash != std::string_view::npos) name.remove_prefix(slash + 1);
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  std::string ext(name.substr(dot + 1));
  for (char& c : ext)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return ext;
}

Route route_of(std::string_view name) {
  const auto ext = lower_extension(name);
  // The images the trusted libvips loaders read (see README: formats).
  static constexpr std::array<std::string_view, 11> kImages = {"png", "jpg",  "jpeg", "webp", "gif", "tif",
                                                                "tiff", "heic", "avif", "svg",  "jpe"};
  for (auto e : kImages)
    if (ext == e) return Route::image;
  if (ext == "stl") return Route::mesh_stl;
  if (ext == "obj") return Route::mesh_obj;
  if (ext == "3mf") return Route::package_3mf;
  if (ext == "gcode" || ext == "gco" || ext == "g" || ext == "bgcode" || ext == "fcstd") return Route::embedded_only;
  return Route::none;
}

Outcome<Picture> from_embedded(const EmbeddedPicture& e, int size, Format format, const Limits& limits,
                               Deadline deadline) {
  if (e.raster) return encode_raster(*e.raster, size, format);
  return thumbnail_buffer(e.encoded, size, format, limits, deadline);
}

Outcome<Picture> rendered(Outcome<Mesh> mesh, int size, Format format, const Limits& limits, Deadline deadline) {
  if (!mesh) return tl::unexpected(mesh.error());
  auto raster = render_mesh(*mesh, size, limits, deadline);
  if (!raster) return tl::unexpected(raster.error());
  return encode_raster(*raster, size, format);
}

Outcome<Picture> package_3mf(const std::filesystem::path& file, int size, Format format, const Limits& limits,
                             Deadline deadline) {
  auto zip = ZipArchive::open(file);
  if (!zip) return failed(FailureKind::unparsable_model, zip.error());
  // The main model part: the start part's usual name, else any .model part.
  std::string part = "3D/3dmodel.model";
  if (!zip->contains(part)) {
    part.clear();
    for (const auto& n : zip->names())
      if (n.size() > 6 && n.compare(n.size() - 6, 6, ".model") == 0) {
        part = n;
        break;
      }
    if (part.empty()) return failed(FailureKind::unparsable_model, "the 3MF package has no 3D model part");
  }
  auto xml = zip->read(part, limits.max_model_bytes);
  if (!xml) return failed(FailureKind::unparsable_model, part + ": " + xml.error());
  // Slicer projects keep their objects in other model parts (3D/Objects/…).
  auto parts = [&](std::string_view path) -> std::optional<std::string> {
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    auto bytes = zip->read(path, limits.max_model_bytes);
    if (!bytes) return std::nullopt;
    return std::move(*bytes);
  };
  return rendered(read_3mf_model(*xml, limits, deadline, parts), size, format, limits, deadline);
}

}  // namespace

bool may_have_picture(std::string_view file_name) { return route_of(file_name) != Route::none; }

Outcome<Picture> make_picture(const std::filesystem::path& file, int size, Format format, const Limits& limits) {
  const Deadline deadline = Clock::now() + limits.max_time;
  const auto route = route_of(file.filename().string());
  if (route == Route::none) return failed(FailureKind::no_picture, "no picture is made of this kind of file");
  if (route == Route::image) return thumbnail_file(file, size, format, limits, deadline);
  if (route == Route::package_3mf || route == Route::embedded_only) {
    auto embedded = find_embedded_picture(file, limits, deadline);
    if (route == Route::embedded_only) {
      if (!embedded) return tl::unexpected(embedded.error());
      if (!*embedded) return failed(FailureKind::no_picture, "the file carries no picture of itself");
      return from_embedded(**embedded, size, format, limits, deadline);
    }
    // A 3MF whose own picture is missing or broken still has its mesh.
    if (embedded && *embedded)
      if (auto picture = from_embedded(**embedded, size, format, limits, deadline)) return picture;
    return package_3mf(file, size, format, limits, deadline);
  }
  if (route == Route::mesh_stl) return rendered(read_stl(file, limits, deadline), size, format, limits, deadline);
  return rendered(read_obj(file, limits, deadline), size, format, limits, deadline);
}

}  // namespace lima::thumbs
