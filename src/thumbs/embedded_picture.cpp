#include "thumbs/embedded_picture.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "thumbs/bgcode_thumbnails.h"
#include "thumbs/embedded_image.h"
#include "thumbs/gcode_thumbnails.h"
#include "thumbs/zip_archive.h"

namespace lima::thumbs {
namespace {

/// The package relationships part is small XML; larger is not a real one.
constexpr std::uint64_t kMaxRelsBytes = 1 << 20;
constexpr std::string_view kThumbnailType = "/metadata/thumbnail";

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// The value of attribute `name` in the element text `tag` ("" if absent).
std::string attribute(std::string_view tag, std::string_view name) {
  for (std::size_t at = tag.find(name); at != std::string_view::npos; at = tag.find(name, at + 1)) {
    const bool starts_word = at > 0 && (tag[at - 1] == ' ' || tag[at - 1] == '\t' || tag[at - 1] == '\n' || tag[at - 1] == '\r');
    std::size_t i = at + name.size();
    while (i < tag.size() && (tag[i] == ' ' || tag[i] == '\t')) ++i;
    if (!starts_word || i >= tag.size() || tag[i] != '=') continue;
    ++i;
    while (i < tag.size() && (tag[i] == ' ' || tag[i] == '\t')) ++i;
    if (i >= tag.size() || (tag[i] != '"' && tag[i] != '\'')) continue;
    const auto close = tag.find(tag[i], i + 1);
    if (close == std::string_view::npos) return "";
    return std::string(tag.substr(i + 1, close - i - 1));
  }
  return "";
}

/// A relationship target as a part name: "%20" decoded, the leading '/' dropped.
std::string part_name(std::string_view target) {
  std::string out;
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] == '%' && i + 2 < target.size() && std::isxdigit(static_cast<unsigned char>(target[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(target[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(target.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(target[i]);
    }
  }
  while (!out.empty() && out.front() == '/') out.erase(out.begin());
  return out;
}

/// The targets of the package's thumbnail relationships in _rels/.rels.
std::vector<std::string> thumbnail_targets(const ZipArchive& zip) {
  std::vector<std::string> out;
  auto rels_name = zip.find_ignoring_case("_rels/.rels");
  if (!rels_name) return out;
  auto rels = zip.read(*rels_name, kMaxRelsBytes);
  if (!rels) return out;  // a broken relationships part: fall back to the usual names
  const std::string_view xml(*rels);
  for (std::size_t at = xml.find("<Relationship"); at != std::string_view::npos;
       at = xml.find("<Relationship", at + 1)) {
    const auto end = xml.find('>', at);
    if (end == std::string_view::npos) break;
    const std::string_view tag = xml.substr(at, end - at);
    const std::string type = lowercase(attribute(tag, "Type"));
    if (type.size() >= kThumbnailType.size() && type.compare(type.size() - kThumbnailType.size(), std::string::npos,
                                                             kThumbnailType) == 0) {
      const std::string target = part_name(attribute(tag, "Target"));
      if (!target.empty()) out.push_back(target);
    }
  }
  return out;
}

/// The first of `candidates` the package holds (names compared ignoring
/// case), read and checked. nullopt when it holds none.
Outcome<std::optional<EmbeddedPicture>> first_member(const ZipArchive& zip, const std::vector<std::string>& candidates,
                                                     const Limits& limits, Deadline deadline) {
  for (const auto& candidate : candidates) {
    if (Clock::now() > deadline)
      return failed(FailureKind::over_cap, "searching the package for its picture took longer than the time cap");
    auto name = zip.find_ignoring_case(candidate);
    if (!name) continue;
    if (zip.uncompressed_size(*name).value_or(0) > limits.max_image_bytes)
      return failed(FailureKind::over_cap, *name + ": " + std::to_string(*zip.uncompressed_size(*name)) +
                                               " bytes, over the cap of " + std::to_string(limits.max_image_bytes));
    auto bytes = zip.read(*name, limits.max_image_bytes);
    if (!bytes) return failed(FailureKind::undecodable_image, bytes.error());
    auto picture = embedded_image(std::move(*bytes), *name, limits);
    if (!picture) return tl::unexpected(picture.error());
    return std::optional<EmbeddedPicture>(std::move(*picture));
  }
  return std::nullopt;
}

/// The picture of a package (ZIP) file: the first of `candidates` it holds,
/// after the targets of its thumbnail relationships when `relationships`.
Outcome<std::optional<EmbeddedPicture>> from_package(const std::filesystem::path& file, bool relationships,
                                                     std::vector<std::string> candidates, const Limits& limits,
                                                     Deadline deadline) {
  auto zip = ZipArchive::open(file);
  if (!zip) return failed(FailureKind::unparsable_model, zip.error());
  if (relationships) {
    std::vector<std::string> targets = thumbnail_targets(*zip);
    candidates.insert(candidates.begin(), targets.begin(), targets.end());
  }
  return first_member(*zip, candidates, limits, deadline);
}

}  // namespace

Outcome<std::optional<EmbeddedPicture>> find_embedded_picture(const std::filesystem::path& file, const Limits& limits,
                                                              Deadline deadline) {
  const std::string ext = lowercase(file.extension().string());
  const bool is_3mf = ext == ".3mf", is_fcstd = ext == ".fcstd", is_bgcode = ext == ".bgcode";
  const bool is_gcode = ext == ".gcode" || ext == ".gco" || ext == ".g";
  if (!is_3mf && !is_fcstd && !is_bgcode && !is_gcode) return std::nullopt;

  if (Clock::now() > deadline) return failed(FailureKind::over_cap, "the time cap passed before the picture was looked for");
  std::error_code ec;
  const std::uint64_t size = std::filesystem::file_size(file, ec);
  if (ec) return failed(FailureKind::unparsable_model, "cannot read " + file.string() + ": " + ec.message());
  if (size > limits.max_model_bytes)
    return failed(FailureKind::over_cap, "file of " + std::to_string(size) + " bytes is over the cap of " +
                                             std::to_string(limits.max_model_bytes) + " bytes");

  if (is_gcode) return find_gcode_thumbnail(file, limits, deadline);
  if (is_bgcode) return find_bgcode_thumbnail(file, limits, deadline);
  if (is_fcstd) return from_package(file, false, {"thumbnails/Thumbnail.png"}, limits, deadline);
  return from_package(file, true, {"Metadata/thumbnail.png", "Metadata/plate_1.png"}, limits, deadline);
}

}  // namespace lima::thumbs
