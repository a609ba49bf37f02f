// What the thumbs module makes and how it says it could not: an encoded
// picture, an 8-bit raster (what the renderer and the embedded-thumbnail
// decoders produce before encoding), the caps that bound the work on one
// file, and the reasons a file has no picture. Knows nothing of the index,
// FUSE or HTTP: a picture is made from a file (and named by its content
// hash), nothing else.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace lima::thumbs {

/// Bumped whenever a picture made from the same bytes would look different
/// (the renderer, the thumbnail settings, the encoder): stored pictures and
/// failures of another version are made again. DO NOT reuse old values.
inline constexpr std::uint32_t kPictureVersion = 1;

/// The long edges a picture is made at; 256 is the default.
inline constexpr int kSizes[] = {256, 512};
inline constexpr int kDefaultSize = 256;

/// An 8-bit sRGB raster, rows top to bottom, channels interleaved.
struct Raster {
  int width = 0, height = 0;
  int channels = 3;  ///< 3 (RGB) or 4 (RGBA, straight alpha)
  std::vector<std::uint8_t> pixels;  ///< width * height * channels bytes
};

enum class Format : std::uint8_t { webp = 1, png = 2 };
std::string_view mime_type(Format f);  ///< "image/webp", "image/png"

/// An encoded picture, long edge at most the size asked for.
struct Picture {
  std::string bytes;
  Format format = Format::webp;
  int width = 0, height = 0;
};

/// Why a file has no picture. Each is a problem of its own kind in the
/// library's report. DO NOT CHANGE values (persisted).
enum class FailureKind : std::uint8_t {
  undecodable_image = 1,  ///< an image (or an embedded one) that does not decode
  unparsable_model = 2,   ///< a 3D model whose mesh does not parse (or is empty)
  over_cap = 3,           ///< over a cap: file size, pixels, triangles or time
  no_picture = 4,         ///< a kind with nothing to show (no renderer, no embedded picture)
};
/// "undecodable_image", "unparsable_model", "picture_over_cap", "no_picture":
/// the problem kinds the library's report shows.
std::string_view to_string(FailureKind k);

struct Failure {
  FailureKind kind = FailureKind::undecodable_image;
  std::string reason;  ///< one line a user can act on: "not a PNG file: bad signature"
};

/// When the work on one file must end (start + Limits::max_time).
using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

template <class T>
using Outcome = tl::expected<T, Failure>;

inline tl::unexpected<Failure> failed(FailureKind kind, std::string reason) {
  return tl::unexpected<Failure>(Failure{kind, std::move(reason)});
}

/// The caps on the work one file may cost. A file over a cap fails with
/// FailureKind::over_cap, before the work where the cap can be checked first
/// (file size, an image's header), else as soon as it is crossed.
struct Limits {
  std::uint64_t max_image_bytes = 256ull << 20;   ///< an image file
  std::uint64_t max_model_bytes = 2048ull << 20;  ///< a mesh, G-code or package file
  std::uint64_t max_pixels = 200'000'000;         ///< width * height of an image (or embedded image)
  std::uint64_t max_triangles = 50'000'000;       ///< triangles read from a mesh
  /// Triangles drawn: past it, an evenly spread subset is drawn (the picture
  /// stays recognisable; the time stays bounded).
  std::uint64_t triangle_budget = 4'000'000;
  std::chrono::milliseconds max_time{20'000};     ///< per file, all steps together
};

}  // namespace lima::thumbs
