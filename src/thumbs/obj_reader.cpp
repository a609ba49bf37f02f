// read_obj: the geometry of a Wavefront OBJ file (v, f) into a Mesh.
#include <string>
#include <vector>

#include "thumbs/mesh.h"
#include "thumbs/mesh_builder.h"
#include "thumbs/model_text.h"

namespace lima::thumbs {
namespace {

/// A face corner's vertex: "7", "7/2", "7//3", "7/2/3"; negative counts back
/// from the last vertex read. The 0-based index, or a reason.
bool corner_vertex(std::string_view corner, std::size_t vertices, std::size_t& index, std::string& why) {
  const std::string_view number = corner.substr(0, corner.find('/'));
  std::int64_t i = 0;
  if (!parse_int(number, i) || i == 0) {
    why = "face corner " + quote_text(corner) + " is not a vertex index";
    return false;
  }
  const auto count = static_cast<std::int64_t>(vertices);
  const std::int64_t resolved = i > 0 ? i - 1 : count + i;
  if (resolved < 0 || resolved >= count) {
    why = "face index " + std::to_string(i) + " out of range (" + std::to_string(count) + " vertices so far)";
    return false;
  }
  index = static_cast<std::size_t>(resolved);
  return true;
}

}  // namespace

Outcome<Mesh> read_obj(const std::filesystem::path& file, const Limits& limits, Deadline deadline) {
  auto bytes = read_model_file(file, limits);
  if (!bytes) return tl::unexpected<Failure>(std::move(bytes.error()));
  MeshBuilder mesh(limits, deadline);
  std::vector<float> vertices;  // x y z per vertex
  LineReader lines(*bytes);
  std::string_view line;
  std::string why;
  std::size_t first = 0, previous = 0;
  float v[9];
  auto copy = [&](float* to, std::size_t index) {
    to[0] = vertices[index * 3];
    to[1] = vertices[index * 3 + 1];
    to[2] = vertices[index * 3 + 2];
  };
  while (!mesh.failed() && lines.next(line)) {
    if ((lines.number() & 0xfffff) == 0 && !mesh.in_time()) break;
    std::string_view rest = line;
    const std::string_view word = next_word(rest);
    if (word == "v") {
      float x, y, z;
      if (!next_float(rest, x) || !next_float(rest, y) || !next_float(rest, z)) {
        mesh.fail("line " + std::to_string(lines.number()) + ": expected three numbers after v");
        break;
      }
      vertices.insert(vertices.end(), {x, y, z});
    } else if (word == "f") {
      // A fan around the first corner: (0 1 2), (0 2 3), ...
      const std::size_t count = vertices.size() / 3;
      int corners = 0;
      for (std::string_view corner = next_word(rest); !corner.empty(); corner = next_word(rest), ++corners) {
        std::size_t index = 0;
        if (!corner_vertex(corner, count, index, why)) {
          mesh.fail("line " + std::to_string(lines.number()) + ": " + why);
          break;
        }
        if (corners == 0) {
          first = index;
        } else if (corners >= 2) {
          copy(v, first);
          copy(v + 3, previous);
          copy(v + 6, index);
          if (!mesh.add(v)) break;
        }
        previous = index;
      }
      // A face of fewer than three corners has no area: drawn as nothing.
    }
    // Other statements (vt, vn, g, o, usemtl, mtllib, s, l, comments) draw nothing.
  }
  return mesh.finish();
}

}  // namespace lima::thumbs
