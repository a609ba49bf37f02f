// read_3mf_model: the objects of a 3MF model part (meshes and components)
// placed by its build items, into one Mesh.
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "thumbs/mesh.h"
#include "thumbs/mesh_builder.h"
#include "thumbs/model_text.h"
#include "thumbs/xml_scanner.h"

namespace lima::thumbs {
namespace {

/// An affine transform as 3MF writes it, for row vectors: p' = p * M, with
/// m00 m01 m02 m10 m11 m12 m20 m21 m22 m30 m31 m32 (the last row is the
/// translation).
using Transform = std::array<float, 12>;
constexpr Transform kIdentity = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0};

/// `first` applied, then `then`.
Transform compose(const Transform& first, const Transform& then) {
  Transform r{};
  for (int row = 0; row < 4; ++row)
    for (int col = 0; col < 3; ++col) {
      float s = row == 3 ? then[9 + col] : 0.0f;
      for (int k = 0; k < 3; ++k) s += first[row * 3 + k] * then[k * 3 + col];
      r[row * 3 + col] = s;
    }
  return r;
}

bool parse_transform(std::string_view text, Transform& t) {
  for (float& m : t)
    if (!next_float(text, m)) return false;
  return next_word(text).empty();
}

struct Placement {
  std::int64_t object = 0;
  std::string part;  // the model part holding the object (p:path); empty: the placing tag's part
  Transform transform = kIdentity;
  std::size_t offset = 0;  // of its tag, for reasons
};

struct Object {
  std::vector<float> vertices;           // x y z
  std::vector<std::uint32_t> triangles;  // three vertex indices each
  std::vector<Placement> components;
  bool placing = false;  // on the current chain of components: a cycle if met again
};

/// One model part of the package: the main one, or one its components
/// refer to by path (the production extension).
struct Part {
  std::string name;   // its path; empty for the main part
  std::string owned;  // its XML, when read through the part reader
  std::string_view xml;
  std::unordered_map<std::int64_t, Object> objects;
};

constexpr int kMaxNesting = 32;

class Reader {
 public:
  Reader(std::string_view xml, const Limits& limits, Deadline deadline, const ModelPartReader* parts)
      : mesh_(limits, deadline), limits_(limits), part_reader_(parts) {
    main_.xml = xml;
  }

  Outcome<Mesh> read() {
    if (scan(main_, &items_)) {
      if (items_.empty()) fail(main_, 0, "no build items: nothing is placed on the plate");
      for (const Placement& item : items_) {
        if (mesh_.failed() || !place(main_, item, item.transform, 0, "a build item")) break;
      }
    }
    return mesh_.finish();
  }

 private:
  /// Records why the model has no mesh; false, for the caller to return.
  bool fail(const Part& part, std::size_t offset, const std::string& why,
            FailureKind kind = FailureKind::unparsable_model) {
    std::string where = part.name.empty() ? "" : quote_text(part.name) + ", ";
    if (offset > 0) where += "line " + std::to_string(XmlScanner(part.xml).line_of(offset)) + ": ";
    mesh_.fail(where + why, kind);
    return false;
  }

  /// Fills the part's objects (and the build items, when given) from its
  /// tags; false (with a reason) on bad input.
  bool scan(Part& part, std::vector<Placement>* items) {
    XmlScanner xml(part.xml);
    XmlTag tag;
    Object* object = nullptr;
    std::int64_t object_id = 0;
    bool in_build = false;
    std::uint64_t tags = 0;
    while (xml.next(tag)) {
      if ((++tags & 0xffff) == 0 && !mesh_.in_time()) return false;
      if (tag.closing) {
        if (tag.name == "object") object = nullptr;
        if (tag.name == "build") in_build = false;
        continue;
      }
      std::string_view rest = tag.attributes, name, value;
      if (tag.name == "vertex" && object != nullptr) {
        float xyz[3];
        int found = 0;
        while (next_xml_attribute(rest, name, value)) {
          const int axis = name == "x" ? 0 : name == "y" ? 1 : name == "z" ? 2 : -1;
          if (axis < 0) continue;
          if (!parse_float(trim(value), xyz[axis]))
            return fail(part, tag.offset, "vertex coordinate " + quote_text(value) + " is not a number");
          found |= 1 << axis;
        }
        if (found != 7) return fail(part, tag.offset, "a vertex needs x, y and z");
        object->vertices.insert(object->vertices.end(), xyz, xyz + 3);
      } else if (tag.name == "triangle" && object != nullptr) {
        std::int64_t v[3];
        int found = 0;
        while (next_xml_attribute(rest, name, value)) {
          const int corner = name == "v1" ? 0 : name == "v2" ? 1 : name == "v3" ? 2 : -1;
          if (corner < 0) continue;  // p1, p2, p3, pid: properties, not drawn
          if (!parse_int(trim(value), v[corner]))
            return fail(part, tag.offset, "triangle index " + quote_text(value) + " is not a number");
          found |= 1 << corner;
        }
        if (found != 7) return fail(part, tag.offset, "a triangle needs v1, v2 and v3");
        const auto count = static_cast<std::int64_t>(object->vertices.size() / 3);
        for (std::int64_t i : v)
          if (i < 0 || i >= count)
            return fail(part, tag.offset,
                        "object " + std::to_string(object_id) + ": a triangle uses vertex " + std::to_string(i) +
                            ", the object has " + std::to_string(count) + " vertices");
        if (++triangles_ > limits_.max_triangles)
          return fail(part, 0, "more than " + std::to_string(limits_.max_triangles) + " triangles, over the cap",
                      FailureKind::over_cap);
        for (std::int64_t i : v) object->triangles.push_back(static_cast<std::uint32_t>(i));
      } else if (tag.name == "object") {
        object_id = 0;
        bool has_id = false;
        while (next_xml_attribute(rest, name, value))
          if (name == "id") has_id = parse_int(trim(value), object_id);
        if (!has_id) return fail(part, tag.offset, "an object without a numeric id");
        auto [it, fresh] = part.objects.try_emplace(object_id);
        if (!fresh) return fail(part, tag.offset, "object id " + std::to_string(object_id) + " is used twice");
        object = tag.self_closing ? nullptr : &it->second;
      } else if ((tag.name == "component" && object != nullptr) ||
                 (tag.name == "item" && in_build && items != nullptr)) {
        Placement p;
        p.offset = tag.offset;
        bool has_id = false;
        while (next_xml_attribute(rest, name, value)) {
          if (name == "objectid") has_id = parse_int(trim(value), p.object);
          if (name == "path") p.part = std::string(trim(value));
          if (name == "transform" && !parse_transform(value, p.transform))
            return fail(part, tag.offset, "transform " + quote_text(value) + " is not 12 numbers");
        }
        if (!has_id) return fail(part, tag.offset, "a " + std::string(tag.name) + " without a numeric objectid");
        (tag.name == "item" ? *items : object->components).push_back(std::move(p));
      } else if (tag.name == "build") {
        in_build = !tag.self_closing;
      }
    }
    if (!xml.error().empty()) return fail(part, 0, xml.error());
    return true;
  }

  /// The part a placement in `from` refers to, read and scanned the first
  /// time; nullptr (with a reason) when there is none.
  Part* part_of(Part& from, const Placement& at, const char* by) {
    if (at.part.empty()) return &from;
    auto found = parts_.find(at.part);
    if (found != parts_.end()) return found->second.get();
    std::optional<std::string> xml;
    if (part_reader_ != nullptr && *part_reader_) xml = (*part_reader_)(at.part);
    if (!xml) {
      fail(from, at.offset,
           std::string(by) + " refers to model part " + quote_text(at.part) + ", which the package does not have");
      return nullptr;
    }
    part_bytes_ += xml->size();
    if (part_bytes_ > limits_.max_model_bytes) {
      fail(from, at.offset, "the model parts are over the cap of " + std::to_string(limits_.max_model_bytes) + " bytes",
           FailureKind::over_cap);
      return nullptr;
    }
    auto part = std::make_unique<Part>();
    part->name = at.part;
    part->owned = std::move(*xml);
    part->xml = part->owned;
    Part* p = parts_.emplace(at.part, std::move(part)).first->second.get();
    return scan(*p, nullptr) ? p : nullptr;
  }

  static std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
  }

  /// Adds the object a placement in `from` refers to, its triangles and its
  /// components', placed by `transform`.
  bool place(Part& from, const Placement& at, const Transform& transform, int depth, const char* by) {
    Part* part = part_of(from, at, by);
    if (part == nullptr) return false;
    const auto found = part->objects.find(at.object);
    if (found == part->objects.end())
      return fail(from, at.offset, std::string(by) + " refers to unknown object " + std::to_string(at.object));
    Object& object = found->second;
    if (object.placing)
      return fail(from, at.offset, "object " + std::to_string(at.object) + " contains itself (a component cycle)");
    if (depth >= kMaxNesting)
      return fail(from, at.offset, "components nest deeper than " + std::to_string(kMaxNesting) + " levels");
    if (++placements_ > limits_.max_triangles)
      return fail(from, 0, "more than " + std::to_string(limits_.max_triangles) + " placed objects, over the cap",
                  FailureKind::over_cap);
    if ((placements_ & 0xff) == 0 && !mesh_.in_time()) return false;
    object.placing = true;
    const Transform& m = transform;
    placed_.resize(object.vertices.size());
    for (std::size_t i = 0; i < object.vertices.size(); i += 3) {
      const float x = object.vertices[i], y = object.vertices[i + 1], z = object.vertices[i + 2];
      placed_[i] = x * m[0] + y * m[3] + z * m[6] + m[9];
      placed_[i + 1] = x * m[1] + y * m[4] + z * m[7] + m[10];
      placed_[i + 2] = x * m[2] + y * m[5] + z * m[8] + m[11];
    }
    float v[9];
    bool ok = true;
    for (std::size_t t = 0; ok && t < object.triangles.size(); t += 3) {
      for (int c = 0; c < 3; ++c) {
        const std::size_t i = object.triangles[t + static_cast<std::size_t>(c)] * std::size_t{3};
        v[c * 3] = placed_[i];
        v[c * 3 + 1] = placed_[i + 1];
        v[c * 3 + 2] = placed_[i + 2];
      }
      ok = mesh_.add(v);
    }
    for (std::size_t c = 0; ok && c < object.components.size(); ++c) {
      const Placement& component = object.components[c];
      ok = place(*part, component, compose(component.transform, transform), depth + 1,
                 ("a component of object " + std::to_string(at.object)).c_str());
    }
    object.placing = false;
    return ok;
  }

  MeshBuilder mesh_;
  const Limits& limits_;
  const ModelPartReader* part_reader_;
  Part main_;
  std::unordered_map<std::string, std::unique_ptr<Part>> parts_;  // by path
  std::uint64_t part_bytes_ = 0;
  std::uint64_t triangles_ = 0;  // read, in all parts
  std::vector<Placement> items_;
  std::vector<float> placed_;  // the current object's vertices, transformed
  std::uint64_t placements_ = 0;
};

}  // namespace

Outcome<Mesh> read_3mf_model(std::string_view xml, const Limits& limits, Deadline deadline,
                             const ModelPartReader& parts) {
  if (xml.size() > limits.max_model_bytes)
    return failed(FailureKind::over_cap, "the model part is " + std::to_string(xml.size()) +
                                             " bytes, over the cap of " + std::to_string(limits.max_model_bytes) +
                                             " bytes for a model");
  return Reader(xml, limits, deadline, &parts).read();
}

Outcome<Mesh> read_3mf_model(std::string_view xml, const Limits& limits, Deadline deadline) {
  return read_3mf_model(xml, limits, deadline, ModelPartReader{});
}

}  // namespace lima::thumbs
