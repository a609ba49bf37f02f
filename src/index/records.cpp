#include "index/records.h"

#include <cstring>

#include "index/key_codec.h"
#include "index/schema.h"

namespace lima::index {

// ---- ContentHash ----------------------------------------------------------

bool ContentHash::is_zero() const {
  for (auto b : bytes)
    if (b) return false;
  return true;
}

std::string ContentHash::hex() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(32);
  for (auto b : bytes) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 15]);
  }
  return s;
}

std::string ContentHash::to_string() const { return "xxh3:" + hex(); }

std::optional<ContentHash> ContentHash::from_view(std::string_view raw16) {
  if (raw16.size() != 16) return std::nullopt;
  ContentHash h;
  std::memcpy(h.bytes.data(), raw16.data(), 16);
  return h;
}

std::optional<ContentHash> ContentHash::parse(std::string_view text) {
  if (text.starts_with("xxh3:")) text.remove_prefix(5);
  if (text.size() != 32) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  ContentHash h;
  for (std::size_t i = 0; i < 16; ++i) {
    int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    h.bytes[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return h;
}

std::size_t ContentHashHasher::operator()(const ContentHash& h) const noexcept {
  std::size_t v;
  std::memcpy(&v, h.bytes.data(), sizeof v);
  return v;
}

// ---- enums ----------------------------------------------------------------

std::string_view to_string(Kind k) {
  switch (k) {
    case Kind::model: return "model";
    case Kind::image: return "image";
    case Kind::document: return "document";
    case Kind::other: return "other";
  }
  return "other";
}

std::optional<Kind> parse_kind(std::string_view s) {
  for (Kind k : {Kind::model, Kind::image, Kind::document, Kind::other})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

std::string_view to_string(Trigger t) {
  switch (t) {
    case Trigger::cli: return "cli";
    case Trigger::startup: return "startup";
    case Trigger::watcher: return "watcher";
    case Trigger::schedule: return "schedule";
    case Trigger::api: return "api";
  }
  return "cli";
}

std::string_view to_string(Mode m) { return m == Mode::verify ? "verify" : "incremental"; }

std::optional<Mode> parse_mode(std::string_view s) {
  if (s == "incremental") return Mode::incremental;
  if (s == "verify") return Mode::verify;
  return std::nullopt;
}

std::string_view to_string(RunStatus s) {
  switch (s) {
    case RunStatus::running: return "running";
    case RunStatus::ok: return "ok";
    case RunStatus::partial: return "partial";
    case RunStatus::offline: return "offline";
    case RunStatus::failed: return "failed";
    case RunStatus::interrupted: return "interrupted";
    case RunStatus::cancelled: return "cancelled";
  }
  return "failed";
}

std::string_view to_string(ProblemKind k) {
  switch (k) {
    case ProblemKind::unreadable: return "unreadable";
    case ProblemKind::vanished: return "vanished";
    case ProblemKind::changed_while_hashing: return "changed_while_hashing";
    case ProblemKind::symlink: return "symlink";
    case ProblemKind::special_file: return "special_file";
    case ProblemKind::empty_project: return "empty_project";
    case ProblemKind::loose_file: return "loose_file";
    case ProblemKind::too_deep: return "too_deep";
    case ProblemKind::content_changed: return "content_changed";
    case ProblemKind::removed: return "removed";
    case ProblemKind::duplicate_content: return "duplicate_content";
    case ProblemKind::no_images: return "no_images";
    case ProblemKind::no_models: return "no_models";
    case ProblemKind::undecodable_image: return "undecodable_image";
    case ProblemKind::unparsable_model: return "unparsable_model";
    case ProblemKind::picture_over_cap: return "picture_over_cap";
  }
  return "unreadable";
}

std::optional<ProblemKind> parse_problem_kind(std::string_view s) {
  for (ProblemKind k : kProblemKinds)
    if (to_string(k) == s) return k;
  return std::nullopt;
}

bool is_error(ProblemKind k) {
  switch (k) {
    case ProblemKind::unreadable:
    case ProblemKind::vanished:
    case ProblemKind::changed_while_hashing:
    case ProblemKind::too_deep: return true;
    default: return false;
  }
}

// ---- encodings ------------------------------------------------------------

std::string encode(const Project& p) {
  ValueWriter w;
  w.u8(schema::kProjectFormat).str(p.name).u64(p.dev).u64(p.ino).i64(p.mtime_ns);
  w.u8(static_cast<std::uint8_t>(p.state)).i64(p.added_ns).i64(p.removed_ns);
  return w.take();
}

std::optional<Project> decode_project(ProjectId id, std::string_view v) {
  ValueReader r(v);
  if (r.u8() != schema::kProjectFormat) return std::nullopt;
  Project p;
  p.id = id;
  p.name = r.str();
  p.dev = r.u64();
  p.ino = r.u64();
  p.mtime_ns = r.i64();
  p.state = static_cast<ItemState>(r.u8());
  p.added_ns = r.i64();
  p.removed_ns = r.i64();
  if (!r.ok()) return std::nullopt;
  return p;
}

namespace {

// The u32-length-prefixed string at `at` and the offset after it.
std::optional<std::pair<std::string_view, std::size_t>> str_at(std::string_view v, std::size_t at) {
  if (v.size() < at + 4) return std::nullopt;
  const std::size_t n = get_u32(v, at);
  if (v.size() < at + 4 + n) return std::nullopt;
  return std::pair{v.substr(at + 4, n), at + 4 + n};
}

}  // namespace

std::optional<std::string_view> live_project_name(std::string_view v) {
  // format, str name, u64 dev, u64 ino, i64 mtime, u8 state, …
  if (v.empty() || static_cast<std::uint8_t>(v[0]) != schema::kProjectFormat) return std::nullopt;
  auto name = str_at(v, 1);
  if (!name || v.size() <= name->second + 24) return std::nullopt;
  if (static_cast<std::uint8_t>(v[name->second + 24]) != static_cast<std::uint8_t>(ItemState::live)) return std::nullopt;
  return name->first;
}

std::optional<std::string_view> live_asset_name(std::string_view v) {
  // format, u64 project, str path, u64 dev, u64 ino, u64 size, i64 mtime,
  // 16-byte hash, u8 kind, u8 state, …
  if (v.empty()) return std::nullopt;
  const auto format = static_cast<std::uint8_t>(v[0]);
  if (format != schema::kAssetFormat && format != schema::kAssetFormatWithoutFacts) return std::nullopt;
  auto path = str_at(v, 9);
  if (!path || v.size() <= path->second + 49) return std::nullopt;
  if (static_cast<std::uint8_t>(v[path->second + 49]) != static_cast<std::uint8_t>(ItemState::live)) return std::nullopt;
  const auto slash = path->first.rfind('/');
  return slash == std::string_view::npos ? path->first : path->first.substr(slash + 1);
}

std::string encode(const Asset& a) {
  ValueWriter w;
  w.reserve(80 + a.path.size());
  w.u8(schema::kAssetFormat).u64(a.project).str(a.path).u64(a.dev).u64(a.ino).u64(a.size).i64(a.mtime_ns);
  w.raw(a.hash.view()).u8(static_cast<std::uint8_t>(a.kind)).u8(static_cast<std::uint8_t>(a.state));
  w.i64(a.added_ns).i64(a.removed_ns);
  w.u8(static_cast<std::uint8_t>(a.image)).u32(a.width).u32(a.height);
  return w.take();
}

std::optional<Asset> decode_asset(AssetId id, std::string_view v) {
  ValueReader r(v);
  const std::uint8_t format = r.u8();
  if (format != schema::kAssetFormat && format != schema::kAssetFormatWithoutFacts) return std::nullopt;
  Asset a;
  a.id = id;
  a.project = r.u64();
  a.path = r.str();
  a.dev = r.u64();
  a.ino = r.u64();
  a.size = r.u64();
  a.mtime_ns = r.i64();
  auto h = ContentHash::from_view(r.raw(16));
  a.kind = static_cast<Kind>(r.u8());
  a.state = static_cast<ItemState>(r.u8());
  a.added_ns = r.i64();
  a.removed_ns = r.i64();
  if (format == schema::kAssetFormat) {
    const std::uint8_t facts = r.u8();
    a.width = r.u32();
    a.height = r.u32();
    if (facts > static_cast<std::uint8_t>(ImageFacts::not_an_image)) return std::nullopt;
    a.image = static_cast<ImageFacts>(facts);
  }
  if (!r.ok() || !h) return std::nullopt;
  a.hash = *h;
  return a;
}

std::string encode(const Collection& c) {
  ValueWriter w;
  w.u8(schema::kCollectionFormat).str(c.name).u32(static_cast<std::uint32_t>(c.projects.size()));
  for (auto p : c.projects) w.u64(p);
  return w.take();
}

std::optional<Collection> decode_collection(CollectionId id, std::string_view v) {
  ValueReader r(v);
  if (r.u8() != schema::kCollectionFormat) return std::nullopt;
  Collection c;
  c.id = id;
  c.name = r.str();
  auto n = r.u32();
  if (!r.ok() || n > v.size() / 8) return std::nullopt;
  c.projects.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) c.projects.push_back(r.u64());
  if (!r.ok()) return std::nullopt;
  return c;
}

static void write_problem_body(ValueWriter& w, const Problem& p) {
  w.u8(static_cast<std::uint8_t>(p.kind)).str(p.detail).u64(p.run);
}

static void read_problem_body(ValueReader& r, Problem& p) {
  p.kind = static_cast<ProblemKind>(r.u8());
  p.detail = r.str();
  p.run = r.u64();
}

std::string encode(const Run& run) {
  ValueWriter w;
  w.u8(schema::kRunFormat)
      .u8(static_cast<std::uint8_t>(run.trigger))
      .u8(static_cast<std::uint8_t>(run.mode))
      .str(run.scope)
      .i64(run.started_ns)
      .i64(run.ended_ns)
      .u8(static_cast<std::uint8_t>(run.status))
      .str(run.message);
  const auto& c = run.counts;
  for (auto v : {c.added, c.changed, c.moved, c.removed, c.unchanged, c.errors, c.skipped, c.revived,
                 c.projects_added, c.projects_removed, c.projects_renamed, c.files_hashed, c.bytes_hashed})
    w.u64(v);
  w.u32(static_cast<std::uint32_t>(run.problems.size()));
  for (const auto& p : run.problems) {
    w.str(p.path);
    write_problem_body(w, p);
  }
  return w.take();
}

std::optional<Run> decode_run(RunId id, std::string_view v) {
  ValueReader r(v);
  if (r.u8() != schema::kRunFormat) return std::nullopt;
  Run run;
  run.id = id;
  run.trigger = static_cast<Trigger>(r.u8());
  run.mode = static_cast<Mode>(r.u8());
  run.scope = r.str();
  run.started_ns = r.i64();
  run.ended_ns = r.i64();
  run.status = static_cast<RunStatus>(r.u8());
  run.message = r.str();
  auto& c = run.counts;
  for (auto* f : {&c.added, &c.changed, &c.moved, &c.removed, &c.unchanged, &c.errors, &c.skipped, &c.revived,
                  &c.projects_added, &c.projects_removed, &c.projects_renamed, &c.files_hashed, &c.bytes_hashed})
    *f = r.u64();
  auto n = r.u32();
  if (!r.ok() || n > v.size()) return std::nullopt;
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    Problem p;
    p.path = r.str();
    read_problem_body(r, p);
    run.problems.push_back(std::move(p));
  }
  if (!r.ok()) return std::nullopt;
  return run;
}

std::string encode(const Problem& p) {
  ValueWriter w;
  w.u8(schema::kProblemFormat).str(p.path);
  write_problem_body(w, p);
  return w.take();
}

std::optional<Problem> decode_problem(std::string_view v) {
  ValueReader r(v);
  if (r.u8() != schema::kProblemFormat) return std::nullopt;
  Problem p;
  p.path = r.str();
  read_problem_body(r, p);
  if (!r.ok()) return std::nullopt;
  return p;
}

}  // namespace lima::index
