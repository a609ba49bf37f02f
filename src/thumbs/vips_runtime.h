// The libvips runtime of this process: started once, with the loaders
// libvips marks untrusted blocked, no operation cache to speak of, and one
// thread per evaluation (the thumbnail workers are the parallelism). The
// only place libvips is configured.
#pragma once

#include <string>
#include <vector>

#include <tl/expected.hpp>

namespace lima::thumbs {

/// Starts libvips once per process; later calls (from any thread, at once)
/// return the first call's outcome. After it, the untrusted loaders
/// (ImageMagick, FITS, Matlab, PDF, SVG, OpenSlide, raw, ...) and libvips'
/// text matrix loader are refused,
/// the operation cache keeps nothing, and an evaluation uses one thread.
/// The error is libvips' reason for not starting.
tl::expected<void, std::string> start_vips();

/// Releases the calling thread's libvips state; for a thread that made
/// pictures and is about to end. Safe on any thread, started or not.
void end_vips_thread();

/// The loaders still usable after start_vips() blocked the untrusted ones,
/// by libvips name ("jpegload", "pngload_buffer", ...), sorted. Empty when
/// libvips did not start.
std::vector<std::string> image_loaders();

}  // namespace lima::thumbs
