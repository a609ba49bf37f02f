// Meshes made in code for the renderer and reader tests (a cube, a sphere,
// a torus, an open-topped bin), and model files written from them.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "thumbs/mesh.h"

namespace lima::test {

inline void add_triangle(thumbs::Mesh& m, const float* a, const float* b, const float* c) {
  m.xyz.insert(m.xyz.end(), a, a + 3);
  m.xyz.insert(m.xyz.end(), b, b + 3);
  m.xyz.insert(m.xyz.end(), c, c + 3);
}

/// An axis-aligned box from (x0, y0, z0) to (x1, y1, z1), wound outwards.
inline void add_box(thumbs::Mesh& m, float x0, float y0, float z0, float x1, float y1, float z1) {
  const float c[8][3] = {{x0, y0, z0}, {x1, y0, z0}, {x1, y1, z0}, {x0, y1, z0},
                         {x0, y0, z1}, {x1, y0, z1}, {x1, y1, z1}, {x0, y1, z1}};
  const int quads[6][4] = {{0, 3, 2, 1}, {4, 5, 6, 7}, {0, 1, 5, 4}, {1, 2, 6, 5}, {2, 3, 7, 6}, {3, 0, 4, 7}};
  for (const auto& q : quads) {
    add_triangle(m, c[q[0]], c[q[1]], c[q[2]]);
    add_triangle(m, c[q[0]], c[q[2]], c[q[3]]);
  }
}

inline thumbs::Mesh cube(float edge = 20.0f) {
  thumbs::Mesh m;
  add_box(m, 0, 0, 0, edge, edge, edge);
  return m;
}

/// A surface of revolution sampled on a (u, v) grid: f(u, v) -> xyz.
template <class F>
thumbs::Mesh grid_surface(int nu, int nv, F f) {
  thumbs::Mesh m;
  for (int i = 0; i < nu; ++i)
    for (int j = 0; j < nv; ++j) {
      float a[3], b[3], c[3], d[3];
      f(i, j, a);
      f(i + 1, j, b);
      f(i + 1, j + 1, c);
      f(i, j + 1, d);
      add_triangle(m, a, b, c);
      add_triangle(m, a, c, d);
    }
  return m;
}

/// A UV sphere of the given radius with 2 * rings * segments triangles
/// (those at the poles have no area and are dropped by readers).
inline thumbs::Mesh sphere(float radius, int rings, int segments) {
  const float pi = 3.14159265f;
  return grid_surface(rings, segments, [=](int i, int j, float* p) {
    const float theta = pi * static_cast<float>(i) / static_cast<float>(rings);
    const float phi = 2 * pi * static_cast<float>(j) / static_cast<float>(segments);
    p[0] = radius * std::sin(theta) * std::cos(phi);
    p[1] = radius * std::sin(theta) * std::sin(phi);
    p[2] = radius * std::cos(theta);
  });
}

inline thumbs::Mesh torus(float major, float minor, int n, int m) {
  const float pi = 3.14159265f;
  return grid_surface(n, m, [=](int i, int j, float* p) {
    const float u = 2 * pi * static_cast<float>(i) / static_cast<float>(n);
    const float v = 2 * pi * static_cast<float>(j) / static_cast<float>(m);
    p[0] = (major + minor * std::cos(v)) * std::cos(u);
    p[1] = (major + minor * std::cos(v)) * std::sin(u);
    p[2] = minor * std::sin(v);
  });
}

/// An open-topped box ("bin"): a floor and four walls.
inline thumbs::Mesh bin(float w = 60, float d = 40, float h = 30, float wall = 3) {
  thumbs::Mesh m;
  add_box(m, 0, 0, 0, w, d, wall);
  add_box(m, 0, 0, 0, wall, d, h);
  add_box(m, w - wall, 0, 0, w, d, h);
  add_box(m, wall, 0, 0, w - wall, wall, h);
  add_box(m, wall, d - wall, 0, w - wall, d, h);
  return m;
}

/// A binary STL of the mesh, with `header` at the start of its 80-byte header.
inline void write_binary_stl(const std::filesystem::path& file, const thumbs::Mesh& m,
                             const std::string& header = "binary") {
  std::string bytes(80, '\0');
  std::memcpy(bytes.data(), header.data(), std::min<std::size_t>(header.size(), 80));
  const auto n = static_cast<std::uint32_t>(m.triangles());
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>(n >> (8 * i) & 0xff));
  std::string record(50, '\0');
  for (std::size_t t = 0; t < m.triangles(); ++t) {
    std::memcpy(record.data() + 12, &m.xyz[t * 9], 36);
    bytes += record;
  }
  std::ofstream(file, std::ios::binary) << bytes;
}
}  // namespace lima::test
