#include "index/picture_failures.h"

#include <vector>

#include "index/key_codec.h"
#include "index/schema.h"

namespace lima::index {

std::optional<ProblemKind> problem_kind_of(PictureFailureKind k) {
  switch (k) {
    case PictureFailureKind::undecodable_image: return ProblemKind::undecodable_image;
    case PictureFailureKind::unparsable_model: return ProblemKind::unparsable_model;
    case PictureFailureKind::over_cap: return ProblemKind::picture_over_cap;
    case PictureFailureKind::no_picture: return std::nullopt;
  }
  return std::nullopt;
}

std::string encode(const PictureFailure& f) {
  ValueWriter w;
  w.u8(schema::kPictureFailureFormat).u32(f.picture_version).u8(static_cast<std::uint8_t>(f.kind)).str(f.reason);
  return w.take();
}

std::optional<PictureFailure> decode_picture_failure(const ContentHash& hash, std::string_view v) {
  ValueReader r(v);
  if (r.u8() != schema::kPictureFailureFormat) return std::nullopt;
  PictureFailure f;
  f.hash = hash;
  f.picture_version = r.u32();
  const std::uint8_t kind = r.u8();
  f.reason = r.str();
  if (!r.ok() || kind < 1 || kind > static_cast<std::uint8_t>(PictureFailureKind::no_picture)) return std::nullopt;
  f.kind = static_cast<PictureFailureKind>(kind);
  return f;
}

void record_picture_failure(Catalog& c, WriteTxn& t, const PictureFailure& f) {
  t.put(c.db().picture_failures, f.hash.view(), encode(f));
}

bool forget_picture_failure(Catalog& c, WriteTxn& t, const ContentHash& hash) {
  return t.del(c.db().picture_failures, hash.view());
}

std::optional<PictureFailure> picture_failure(const Catalog& c, const Txn& t, const ContentHash& hash) {
  auto v = t.get(c.db().picture_failures, hash.view());
  if (!v) return std::nullopt;
  return decode_picture_failure(hash, *v);
}

namespace {

bool has_live_asset(const Catalog& c, const Txn& t, std::string_view hash) {
  bool live = false;
  t.scan_prefix(c.db().asset_hashes, hash, [&](std::string_view k, std::string_view) {
    if (k.size() != 24) return true;
    auto a = c.asset(t, get_u64(k, 16));
    live = a && a->state == ItemState::live;
    return !live;
  });
  return live;
}

}  // namespace

FailureCleanup drop_orphan_picture_failures(Catalog& c, WriteTxn& t, std::optional<ContentHash> from,
                                            std::size_t batch) {
  FailureCleanup out;
  std::vector<std::string> orphans;
  {
    Cursor cur(t, c.db().picture_failures);
    bool ok = from ? cur.seek(from->view()) : cur.first();
    for (; ok; ok = cur.next()) {
      if (out.visited == batch) {
        out.next = ContentHash::from_view(cur.key());
        break;
      }
      ++out.visited;
      if (!has_live_asset(c, t, cur.key())) orphans.emplace_back(cur.key());
    }
  }
  for (const auto& k : orphans) t.del(c.db().picture_failures, k);
  out.removed = orphans.size();
  return out;
}

}  // namespace lima::index
