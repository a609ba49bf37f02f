#include "thumbs/image_thumbnail.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <sstream>
#include <system_error>

#include <vips/vips8>

#include "thumbs/vips_runtime.h"

namespace lima::thumbs {
namespace {

using vips::VImage;

constexpr int kWebpQuality = 80;
// Effort 2 of 6: a third of the default's time for a 256 px picture, a
// few percent more bytes.
constexpr int kWebpEffort = 2;
// A truncated file is an error, not a picture with a grey bottom half;
// smaller damage libvips recovers from still gives a picture.
constexpr VipsFailOn kFailOn = VIPS_FAIL_ON_TRUNCATED;
constexpr const char* kLoaderOptions = "fail_on=truncated";

std::string human_bytes(std::uint64_t bytes) {
  if (bytes < (1u << 20)) return std::to_string(bytes) + " bytes";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / (1u << 20));
  return text;
}

std::string megapixels(std::uint64_t pixels) {
  std::ostringstream text;
  text << static_cast<double>(pixels) / 1e6 << " megapixels";
  return text.str();
}

std::string seconds(std::chrono::milliseconds time) {
  std::ostringstream text;
  text << static_cast<double>(time.count()) / 1000.0 << " s";
  return text.str();
}

tl::unexpected<Failure> took_too_long(const Limits& limits) {
  return failed(FailureKind::over_cap, "took longer than " + seconds(limits.max_time));
}

// libvips' error text (several lines, the cause first) as one line, and the
// error buffer emptied for the next failure.
std::string vips_reason(const vips::VError& error) {
  std::string text = error.what();
  vips_error_clear();
  std::size_t begin = text.find_first_not_of(" \n");
  // libvips keeps one error buffer for the process: another thread may have
  // taken this failure's text.
  if (begin == std::string::npos) return "the image data is damaged or cut short";
  std::size_t end = text.find('\n', begin);
  return text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

tl::unexpected<Failure> not_an_image() {
  vips_error_clear();
  return failed(FailureKind::undecodable_image,
                "not an image: no image loader recognises its contents "
                "(untrusted formats such as SVG, PDF and ImageMagick's are refused)");
}

std::optional<Failure> over_pixel_cap(const VImage& header, const Limits& limits) {
  auto pixels = static_cast<std::uint64_t>(header.width()) * static_cast<std::uint64_t>(header.height());
  if (pixels <= limits.max_pixels) return std::nullopt;
  return Failure{FailureKind::over_cap,
                 "image is " + std::to_string(header.width()) + " x " + std::to_string(header.height()) +
                     " pixels (" + megapixels(pixels) + "), over the cap of " + megapixels(limits.max_pixels)};
}

// Fit in size x size, never larger than the source.
vips::VOption* fit_options(int size) { return VImage::option()->set("height", size)->set("size", VIPS_SIZE_DOWN); }

// fail_on twice: the thumbnail operation does not pass its own on to a
// loader reading from memory. An image with an ICC profile (a Display P3
// or Adobe RGB photo) is turned into sRGB (the profile is dropped later);
// one without is taken as sRGB already, and left alone.
vips::VOption* thumbnail_options(int size, bool has_profile) {
  vips::VOption* options = fit_options(size)->set("fail_on", kFailOn)->set("option_string", kLoaderOptions);
  if (has_profile) options->set("export_profile", "srgb");
  return options;
}

vips::VOption* header_options() {
  return VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL)->set("fail_on", kFailOn);
}

// 8-bit sRGB (with alpha when it has one), whatever the source was: CMYK,
// 16-bit, grey, Lab.
VImage as_8bit_srgb(VImage image) {
  if (image.interpretation() != VIPS_INTERPRETATION_sRGB || image.format() != VIPS_FORMAT_UCHAR)
    image = image.colourspace(VIPS_INTERPRETATION_sRGB);
  if (image.format() != VIPS_FORMAT_UCHAR) image = image.cast(VIPS_FORMAT_UCHAR);
  return image;
}

// Rows of the picture made between two looks at the clock: a 256 px
// picture is made in 32 steps, each a 32nd of the decoding.
constexpr int kRowsPerStep = 8;

// Makes the picture `image` describes (the whole pipeline, from the file's
// bytes) into memory, a few rows at a time on this thread, the deadline
// checked between two steps: nullopt once it has passed. Throws VError.
std::optional<VImage> made_before(const VImage& image, Deadline deadline) {
  VipsImage* out = vips_image_new_memory();
  VImage made(out);  // owns out
  if (vips_image_pipelinev(out, VIPS_DEMAND_STYLE_THINSTRIP, image.get_image(), nullptr) ||
      vips_image_write_prepare(out))
    throw vips::VError();
  VipsRegion* region = vips_region_new(image.get_image());
  const auto line_bytes = static_cast<std::size_t>(VIPS_IMAGE_SIZEOF_LINE(out));
  for (int top = 0; top < out->Ysize; top += kRowsPerStep) {
    if (Clock::now() >= deadline) {
      g_object_unref(region);
      return std::nullopt;
    }
    VipsRect rows{0, top, out->Xsize, std::min(kRowsPerStep, out->Ysize - top)};
    if (vips_region_prepare(region, &rows)) {
      g_object_unref(region);
      throw vips::VError();
    }
    for (int y = top; y < top + rows.height; ++y)
      std::memcpy(VIPS_IMAGE_ADDR(out, 0, y), VIPS_REGION_ADDR(region, 0, y), line_bytes);
  }
  g_object_unref(region);
  return made;
}

// The picture turned upright as its EXIF orientation says.
VImage upright(VImage image) {
  if (!image.get_typeof("orientation") || image.get_int("orientation") == 1) return image;
  return image.autorot();
}

// The image without its metadata (EXIF, XMP, IPTC, ICC profile): libvips
// 8.14's WebP saver writes what the image carries even when told to strip
// (and, whatever it carries, a small EXIF block of its own, orientation 1).
VImage without_metadata(VImage image) {
  image = image.copy();
  gchar** fields = vips_image_get_fields(image.get_image());
  for (gchar** field = fields; *field; ++field) image.remove(*field);
  g_strfreev(fields);
  return image;
}

// Encodes the picture. Throws VError.
Picture encode(VImage image, Format format) {
  image = without_metadata(as_8bit_srgb(std::move(image)));
  VipsBlob* blob = nullptr;
  if (format == Format::png)
    blob = image.pngsave_buffer(VImage::option()->set("strip", true));
  else
    blob = image.webpsave_buffer(
        VImage::option()->set("Q", kWebpQuality)->set("effort", kWebpEffort)->set("strip", true));
  std::size_t length = 0;
  const void* data = vips_blob_get(blob, &length);
  Picture picture{std::string(static_cast<const char*>(data), length), format, image.width(), image.height()};
  vips_area_unref(VIPS_AREA(blob));
  return picture;
}

// The loader libvips picks for the source's first bytes, when one does
// and it is not blocked; else why not.
std::optional<Failure> refuse_unreadable(const vips::VSource& source) {
  const char* loader = vips_foreign_find_load_source(source.get_source());
  if (!loader) return not_an_image().value();
  GType type = vips_type_find("VipsOperation", loader);
  auto* klass = type ? static_cast<VipsOperationClass*>(g_type_class_ref(type)) : nullptr;
  const bool blocked = !klass || (klass->flags & VIPS_OPERATION_BLOCKED);
  if (klass) g_type_class_unref(klass);
  if (!blocked) return std::nullopt;
  return Failure{FailureKind::undecodable_image,
                 std::string("not an image in a format read here: only the untrusted loader ") + loader +
                     " reads it, and it is refused"};
}

// The picture of the image `open_source` reads (a new source at each call):
// its loader and header checked first, then the thumbnail made and encoded.
template <class OpenSource>
Outcome<Picture> thumbnail_of(OpenSource open_source, int size, Format format, const Limits& limits,
                              Deadline deadline) {
  try {
    bool has_profile = false;
    {
      vips::VSource source = open_source();
      if (auto refused = refuse_unreadable(source)) return tl::unexpected(*refused);
      VImage header = VImage::new_from_source(source, "", header_options());
      if (auto over = over_pixel_cap(header, limits)) return tl::unexpected(*over);
      has_profile = header.get_typeof(VIPS_META_ICC_NAME) != 0;
    }
    // Turned upright after it is made: the thumbnail operation would make
    // a sideways picture where the clock is not looked at.
    VImage thumbnail =
        VImage::thumbnail_source(open_source(), size, thumbnail_options(size, has_profile)->set("no_rotate", true));
    std::optional<VImage> made = made_before(thumbnail, deadline);
    if (!made) return took_too_long(limits);
    return encode(upright(std::move(*made)), format);
  } catch (const vips::VError& failure) {
    return failed(FailureKind::undecodable_image, vips_reason(failure));
  }
}

std::optional<Failure> check_start(int size, Deadline deadline, const Limits& limits) {
  if (auto started = start_vips(); !started)
    return Failure{FailureKind::undecodable_image, "libvips did not start: " + started.error()};
  if (size < 1)
    return Failure{FailureKind::undecodable_image, "picture size " + std::to_string(size) + " is not positive"};
  if (Clock::now() >= deadline) return took_too_long(limits).value();
  return std::nullopt;
}

}  // namespace

Outcome<Picture> thumbnail_file(const std::filesystem::path& file, int size, Format format,
                                const Limits& limits, Deadline deadline) {
  if (auto refused = check_start(size, deadline, limits)) return tl::unexpected(*refused);
  std::error_code error;
  std::uint64_t bytes = std::filesystem::file_size(file, error);
  if (error) return failed(FailureKind::undecodable_image, "cannot read the file: " + error.message());
  if (bytes > limits.max_image_bytes)
    return failed(FailureKind::over_cap, "image file is " + human_bytes(bytes) + ", over the cap of " +
                                             human_bytes(limits.max_image_bytes));
  // Read through a source, not by name: libvips would read a name ending
  // in [...] as a file name and loader options.
  const std::string name = file.string();
  return thumbnail_of([&] { return vips::VSource::new_from_file(name.c_str()); }, size, format, limits, deadline);
}

Outcome<Picture> thumbnail_buffer(std::string_view bytes, int size, Format format, const Limits& limits,
                                  Deadline deadline) {
  if (auto refused = check_start(size, deadline, limits)) return tl::unexpected(*refused);
  if (bytes.size() > limits.max_image_bytes)
    return failed(FailureKind::over_cap, "image is " + human_bytes(bytes.size()) + ", over the cap of " +
                                             human_bytes(limits.max_image_bytes));
  return thumbnail_of([&] { return vips::VSource::new_from_memory(bytes.data(), bytes.size()); }, size, format,
                      limits, deadline);
}

Outcome<Picture> encode_raster(const Raster& raster, int size, Format format) {
  if (auto refused = check_start(size, Deadline::max(), Limits{})) return tl::unexpected(*refused);
  if (raster.width < 1 || raster.height < 1 || (raster.channels != 3 && raster.channels != 4))
    return failed(FailureKind::undecodable_image,
                  "raster of " + std::to_string(raster.width) + " x " + std::to_string(raster.height) + " pixels and " +
                      std::to_string(raster.channels) + " channels is not a picture");
  const std::size_t expected = static_cast<std::size_t>(raster.width) * static_cast<std::size_t>(raster.height) *
                               static_cast<std::size_t>(raster.channels);
  if (raster.pixels.size() != expected)
    return failed(FailureKind::undecodable_image, "raster holds " + std::to_string(raster.pixels.size()) +
                                                      " bytes, not the " + std::to_string(expected) + " its size says");
  try {
    VImage image = VImage::new_from_memory(const_cast<std::uint8_t*>(raster.pixels.data()), raster.pixels.size(),
                                           raster.width, raster.height, raster.channels, VIPS_FORMAT_UCHAR)
                       .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
    if (raster.width > size || raster.height > size) image = image.thumbnail_image(size, fit_options(size));
    return encode(std::move(image), format);
  } catch (const vips::VError& failure) {
    return failed(FailureKind::undecodable_image, vips_reason(failure));
  }
}

}  // namespace lima::thumbs
