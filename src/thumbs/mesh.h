// A triangle mesh read from a model file (STL, OBJ, the model part of a
// 3MF package), as the renderer draws it: a flat list of triangles in model
// units, with no shared vertices, normals or colours. The readers keep only
// drawable triangles and count the ones they dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "thumbs/picture.h"

namespace lima::thumbs {

/// Triangles, 9 floats each (x0 y0 z0 x1 y1 z1 x2 y2 z2), in model units.
struct Mesh {
  std::vector<float> xyz;
  std::uint64_t skipped = 0;  ///< triangles dropped: a non-finite vertex, or no area
  std::size_t triangles() const { return xyz.size() / 9; }
};

/// An STL file, binary or ASCII. Binary exactly when the file is 84 + 50 * n
/// bytes long (n from bytes 80..83), whatever the header says (exporters
/// write "solid" into binary headers); else ASCII when it starts with
/// "solid"; else a truncated binary file. Fails with over_cap when the file
/// is over limits.max_model_bytes (before reading), holds more than
/// limits.max_triangles triangles, or is still being read at the deadline;
/// with unparsable_model ("line 12: expected vertex", "no triangles") when
/// it is truncated, malformed or holds no drawable triangle.
Outcome<Mesh> read_stl(const std::filesystem::path& file, const Limits& limits, Deadline deadline);

/// A Wavefront OBJ file: its `v` and `f` statements (faces of any number of
/// corners, fan-triangulated; `v/vt/vn` corner forms; negative indices count
/// back from the last vertex), other statements ignored. An index out of
/// range fails naming the line. Caps as read_stl.
Outcome<Mesh> read_obj(const std::filesystem::path& file, const Limits& limits, Deadline deadline);

/// The 3MF main model part's XML (3D/3dmodel.model, read out of the package
/// by the caller): objects with a <mesh> (vertices, triangles) or
/// <components> (objectid + transform), placed by the <build> items' transforms
/// ("m00 m01 m02 m10 m11 m12 m20 m21 m22 m30 m31 m32", 3MF core spec).
/// Element names may carry a namespace prefix; unknown elements and
/// attributes are ignored. A vertex index out of range, a component cycle or
/// an unknown object id fails with unparsable_model and says which; caps as
/// read_stl (limits.max_triangles counts the triangles placed, instances
/// included).
Outcome<Mesh> read_3mf_model(std::string_view xml, const Limits& limits, Deadline deadline);

/// Another model part of the 3MF package, by its path in the package
/// ("/3D/Objects/object_1.model"): its XML, or nullopt when the package has
/// no such part (or it is over a cap of the caller's).
using ModelPartReader = std::function<std::optional<std::string>(std::string_view path)>;

/// read_3mf_model, where components may refer to objects in other model
/// parts (the production extension's p:path, as slicers write projects):
/// each part is asked of `parts` once, when first referred to. Their sizes
/// together count against limits.max_model_bytes.
Outcome<Mesh> read_3mf_model(std::string_view xml, const Limits& limits, Deadline deadline,
                             const ModelPartReader& parts);

}  // namespace lima::thumbs
