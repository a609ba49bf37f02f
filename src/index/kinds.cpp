#include "index/kinds.h"

#include <array>
#include <cctype>
#include <string>
#include <utility>

namespace lima::index {

namespace {

// Extend here: extension (lower case, no dot) → kind.
constexpr std::pair<std::string_view, Kind> kTable[] = {
    {"stl", Kind::model},  {"3mf", Kind::model},   {"obj", Kind::model},    {"ply", Kind::model},
    {"amf", Kind::model},  {"step", Kind::model},  {"stp", Kind::model},    {"iges", Kind::model},
    {"igs", Kind::model},  {"scad", Kind::model},  {"fcstd", Kind::model},  {"f3d", Kind::model},
    {"blend", Kind::model}, {"gltf", Kind::model}, {"glb", Kind::model},    {"3ds", Kind::model},
    {"fbx", Kind::model},  {"dae", Kind::model},   {"off", Kind::model},    {"x3d", Kind::model},
    {"gcode", Kind::model}, {"bgcode", Kind::model}, {"lys", Kind::model},  {"lyt", Kind::model},
    {"ctb", Kind::model},  {"sl1", Kind::model},   {"goo", Kind::model},
    {"png", Kind::image},  {"jpg", Kind::image},   {"jpeg", Kind::image},   {"webp", Kind::image},
    {"gif", Kind::image},  {"bmp", Kind::image},   {"tif", Kind::image},    {"tiff", Kind::image},
    {"avif", Kind::image}, {"heic", Kind::image},  {"svg", Kind::image},
    {"pdf", Kind::document}, {"txt", Kind::document}, {"md", Kind::document}, {"html", Kind::document},
    {"doc", Kind::document}, {"docx", Kind::document}, {"odt", Kind::document},
};

}  // namespace

Kind kind_of(std::string_view name) {
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || name.size() - dot - 1 > 7) return Kind::other;
  std::array<char, 8> ext{};
  std::size_t n = 0;
  for (char c : name.substr(dot + 1)) ext[n++] = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view e(ext.data(), n);
  for (const auto& [x, k] : kTable)
    if (x == e) return k;
  return Kind::other;
}

std::string extension_of(std::string_view name) {
  if (const auto slash = name.rfind('/'); slash != std::string_view::npos) name.remove_prefix(slash + 1);
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  std::string ext(name.substr(dot + 1));
  for (char& c : ext)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return ext;
}

}  // namespace lima::index
