// One file's picture, whatever the file is: the one entry point that picks
// how (DESIGN §7). An image is thumbnailed; a model file's own picture (a
// slicer's, a CAD tool's) is used when it carries one; else an STL, OBJ or
// 3MF mesh is rendered on the CPU. Every step is bounded by Limits.
#pragma once

#include <filesystem>
#include <string_view>

#include "thumbs/picture.h"

namespace lima::thumbs {

/// Whether files named like this can have a picture at all (by extension):
/// images libvips reads, STL, OBJ, 3MF, G-code, bgcode and FreeCAD files.
bool may_have_picture(std::string_view file_name);

/// The picture of `file`, its long edge `size` pixels. Failures: see
/// FailureKind; no_picture for a file of a kind without one (a G-code file
/// that carries no thumbnail, a STEP file).
Outcome<Picture> make_picture(const std::filesystem::path& file, int size, Format format, const Limits& limits);

}  // namespace lima::thumbs
