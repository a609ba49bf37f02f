// The CPU renderer: a preview picture of a mesh, drawn without a GPU, GL or
// X server, so a model with no embedded picture still shows what it is.
#pragma once

#include "thumbs/mesh.h"
#include "thumbs/picture.h"

namespace lima::thumbs {

/// The largest picture render_mesh draws (its long edge).
inline constexpr int kMaxRenderSize = 2048;

/// A picture of the mesh: a square RGB raster of size x size. The camera
/// looks from the front-right-top (Z up, front is -Y, as on a printer's
/// bed) with an orthographic, isometric-style view fitted so the model fills
/// the picture with a small margin. One model colour, flat shaded: a key
/// light from above (a little front-left) with a highlight, a weak fill from
/// the right, ambient and sky light, over a light grey gradient; a thin dark
/// line where the depth steps (the outline, a part in front of another);
/// edges anti-aliased by supersampling (3x3 samples a pixel up to 256 px,
/// 2x2 up to 1024).
///
/// Both sides of every triangle are drawn (meshes are often not closed or
/// not consistently wound); a face is lit on the side the camera sees.
/// Over limits.triangle_budget triangles, an evenly spread subset (one of
/// each run of k triangles) is drawn, so the time stays bounded; each
/// small triangle drawn grows (by a sample or two) to cover for the ones
/// left out. Fails with over_cap
/// past the deadline (checked every few thousand triangles) or when size is
/// not in 1..kMaxRenderSize, with unparsable_model for an empty mesh.
Outcome<Raster> render_mesh(const Mesh& mesh, int size, const Limits& limits, Deadline deadline);

}  // namespace lima::thumbs
