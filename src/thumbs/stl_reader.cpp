// read_stl: binary and ASCII STL files into a Mesh.
#include <algorithm>
#include <cstring>
#include <string>

#include "thumbs/mesh.h"
#include "thumbs/mesh_builder.h"
#include "thumbs/model_text.h"

namespace lima::thumbs {
namespace {

constexpr std::size_t kHeader = 84;  // 80 bytes of header, a 32-bit triangle count
constexpr std::size_t kRecord = 50;  // normal, three vertices (12 floats), 2 attribute bytes

std::uint32_t little_u32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<std::uint32_t>(b[0]) | static_cast<std::uint32_t>(b[1]) << 8 |
         static_cast<std::uint32_t>(b[2]) << 16 | static_cast<std::uint32_t>(b[3]) << 24;
}

bool starts_with_solid(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size() && is_space(bytes[i])) ++i;
  return bytes.substr(i, 5) == "solid";
}

Outcome<Mesh> read_binary(std::string_view bytes, std::uint64_t count, const Limits& limits, Deadline deadline) {
  if (count > limits.max_triangles)
    return failed(FailureKind::over_cap, "the header says " + std::to_string(count) + " triangles, over the cap of " +
                                             std::to_string(limits.max_triangles));
  MeshBuilder mesh(limits, deadline);
  mesh.reserve(count);
  const char* p = bytes.data() + kHeader + 12;  // the first record's first vertex
  float v[9];
  for (std::uint64_t i = 0; i < count; ++i, p += kRecord) {
    std::memcpy(v, p, sizeof v);  // little-endian floats, as the host's
    if (!mesh.add(v)) break;
  }
  return mesh.finish();
}

/// The ASCII form: solid / facet normal / outer loop / vertex x3 / endloop /
/// endfacet / endsolid, in any number of solids.
Outcome<Mesh> read_ascii(std::string_view text, const Limits& limits, Deadline deadline) {
  MeshBuilder mesh(limits, deadline);
  LineReader lines(text);
  std::string_view line;
  enum class At { outside, solid, facet, loop, loop_done, facet_done } at = At::outside;
  float v[9];
  int corners = 0;
  auto fail = [&](const std::string& what) { mesh.fail("line " + std::to_string(lines.number()) + ": " + what); };
  while (!mesh.failed() && lines.next(line)) {
    std::string_view rest = line;
    const std::string_view word = next_word(rest);
    if (word.empty()) continue;
    switch (at) {
      case At::outside:
        if (word != "solid") {
          fail("expected solid");
          break;
        }
        at = At::solid;
        break;
      case At::solid:
        if (word == "endsolid") {
          at = At::outside;
        } else if (word == "facet") {
          at = At::facet;  // the normal is not used: it is often wrong
        } else {
          fail("expected facet or endsolid");
        }
        break;
      case At::facet:
        if (word != "outer" || next_word(rest) != "loop") {
          fail("expected outer loop");
          break;
        }
        at = At::loop;
        corners = 0;
        break;
      case At::loop:
        if (word != "vertex") {
          fail("expected vertex");
          break;
        }
        if (!next_float(rest, v[corners * 3]) || !next_float(rest, v[corners * 3 + 1]) ||
            !next_float(rest, v[corners * 3 + 2])) {
          fail("expected three numbers after vertex");
          break;
        }
        if (++corners == 3) at = At::loop_done;
        break;
      case At::loop_done:
        if (word != "endloop") {
          fail("expected endloop");
          break;
        }
        at = At::facet_done;
        mesh.add(v);  // over a cap: add() stops the loop
        break;
      case At::facet_done:
        if (word != "endfacet") {
          fail("expected endfacet");
          break;
        }
        at = At::solid;
        break;
    }
  }
  if (!mesh.failed() && at != At::outside && at != At::solid)
    mesh.fail("line " + std::to_string(lines.number()) + ": the file ends inside a facet");
  return mesh.finish();
}

}  // namespace

Outcome<Mesh> read_stl(const std::filesystem::path& file, const Limits& limits, Deadline deadline) {
  auto bytes = read_model_file(file, limits);
  if (!bytes) return tl::unexpected<Failure>(std::move(bytes.error()));
  const std::string_view b = *bytes;
  const bool solid = starts_with_solid(b);
  // Text STL holds no NUL byte; binary headers and floats nearly always do.
  const bool text = std::memchr(b.data(), 0, std::min<std::size_t>(b.size(), 4096)) == nullptr;
  if (b.size() >= kHeader) {
    const std::uint64_t count = little_u32(b.data() + 80);
    const std::uint64_t expected = kHeader + kRecord * count;
    if (b.size() == expected) return read_binary(b, count, limits, deadline);
    if (!solid || !text) {
      if (b.size() < expected)
        return failed(FailureKind::unparsable_model,
                      "truncated binary STL: the header says " + std::to_string(count) + " triangles (" +
                          std::to_string(expected) + " bytes), the file has " + std::to_string(b.size()) + " bytes");
      return read_binary(b, count, limits, deadline);  // trailing bytes after the triangles are ignored
    }
  } else if (!solid) {
    return failed(FailureKind::unparsable_model,
                  "not an STL file: " + std::to_string(b.size()) + " bytes, too short for a binary STL");
  }
  return read_ascii(b, limits, deadline);
}

}  // namespace lima::thumbs
