// read_stl: binary and ASCII STL files into a Mesh.
#include <algorithm>
#include <cstring>
#include <memory>
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

/// A keyword, in any case (some exporters write "SOLID", "FACET").
bool is_word(std::string_view word, std::string_view keyword) {
  if (word.size() != keyword.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if ((word[i] | 0x20) != keyword[i]) return false;
  return true;
}

bool starts_with_solid(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size() && is_space(bytes[i])) ++i;
  return is_word(bytes.substr(i, 5), "solid");
}

Failure truncated(std::uint64_t count, std::uint64_t size) {
  return Failure{FailureKind::unparsable_model, "truncated binary STL: the header says " + std::to_string(count) +
                                                    " triangles (" + std::to_string(kHeader + kRecord * count) +
                                                    " bytes), the file has " + std::to_string(size) + " bytes"};
}

/// The binary form's triangles, read in chunks of whole records: `start` is
/// what was read of the file so far (the header and perhaps some records).
Outcome<Mesh> read_binary(ModelFile& file, std::string_view start, std::uint64_t count, const Limits& limits,
                          Deadline deadline) {
  if (count > limits.max_triangles)
    return failed(FailureKind::over_cap, "the header says " + std::to_string(count) + " triangles, over the cap of " +
                                             std::to_string(limits.max_triangles));
  MeshBuilder mesh(limits, deadline);
  mesh.reserve(count);
  constexpr std::size_t kChunk = kRecord * 20'000;
  std::unique_ptr<char[]> chunk(new char[kChunk]);
  std::size_t have = std::min(start.size() - kHeader, kChunk);
  std::memcpy(chunk.get(), start.data() + kHeader, have);
  std::uint64_t left = count;
  float v[9];
  while (left > 0) {
    const std::size_t records = static_cast<std::size_t>(std::min<std::uint64_t>(have / kRecord, left));
    const char* p = chunk.get() + 12;  // a record's first vertex, after its normal
    for (std::size_t i = 0; i < records; ++i, p += kRecord) {
      std::memcpy(v, p, sizeof v);  // little-endian floats, as the host's
      if (!mesh.add(v)) return mesh.finish();
    }
    left -= records;
    if (left == 0) break;
    const std::size_t used = records * kRecord;
    std::memmove(chunk.get(), chunk.get() + used, have - used);
    have -= used;
    auto got = file.read(chunk.get() + have, kChunk - have);
    if (!got) return tl::unexpected<Failure>(std::move(got.error()));
    if (*got == 0) return tl::unexpected<Failure>(truncated(count, file.size()));  // shrank while read
    have += *got;
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
    if ((lines.number() & 0xfffff) == 0 && !mesh.in_time()) break;
    std::string_view rest = line;
    const std::string_view word = next_word(rest);
    if (word.empty()) continue;
    switch (at) {
      case At::outside:
        if (!is_word(word, "solid")) {
          fail("expected solid");
          break;
        }
        at = At::solid;
        break;
      case At::solid:
        if (is_word(word, "endsolid")) {
          at = At::outside;
        } else if (is_word(word, "facet")) {
          at = At::facet;  // the normal is not used: it is often wrong
        } else {
          fail("expected facet or endsolid");
        }
        break;
      case At::facet:
        if (!is_word(word, "outer") || !is_word(next_word(rest), "loop")) {
          fail("expected outer loop");
          break;
        }
        at = At::loop;
        corners = 0;
        break;
      case At::loop:
        if (!is_word(word, "vertex")) {
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
        if (!is_word(word, "endloop")) {
          fail("expected endloop");
          break;
        }
        at = At::facet_done;
        mesh.add(v);  // over a cap: add() stops the loop
        break;
      case At::facet_done:
        if (!is_word(word, "endfacet")) {
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
  auto f = ModelFile::open(file, limits);
  if (!f) return tl::unexpected<Failure>(std::move(f.error()));
  // The start: the header, the count, and enough to tell text from binary.
  std::string start(static_cast<std::size_t>(std::min<std::uint64_t>(f->size(), 4096)), '\0');
  auto got = f->read(start.data(), start.size());
  if (!got) return tl::unexpected<Failure>(std::move(got.error()));
  start.resize(*got);
  const bool solid = starts_with_solid(start);
  // Text STL holds no NUL byte; binary headers and floats nearly always do.
  const bool text = std::memchr(start.data(), 0, start.size()) == nullptr;
  if (start.size() >= kHeader) {
    const std::uint64_t count = little_u32(start.data() + 80);
    const std::uint64_t expected = kHeader + kRecord * count;
    if (f->size() == expected) return read_binary(*f, start, count, limits, deadline);
    if (!solid || !text) {
      if (f->size() < expected) return tl::unexpected<Failure>(truncated(count, f->size()));
      return read_binary(*f, start, count, limits, deadline);  // bytes after the triangles are ignored
    }
  } else if (!solid) {
    return failed(FailureKind::unparsable_model,
                  "not an STL file: " + std::to_string(start.size()) + " bytes, too short for a binary STL");
  }
  auto rest = f->read_rest();
  if (!rest) return tl::unexpected<Failure>(std::move(rest.error()));
  return read_ascii(start + *rest, limits, deadline);
}

}  // namespace lima::thumbs
