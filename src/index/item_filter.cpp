#include "index/item_filter.h"

#include <algorithm>

#include "index/kinds.h"
#include "index/match_sets.h"

namespace lima::index {

bool selects(const QueryNode& n) {
  using Op = QueryNode::Op;
  switch (n.op) {
    case Op::words:
    case Op::type:
    case Op::ext: return true;
    case Op::all_of: return std::any_of(n.kids.begin(), n.kids.end(), [](const QueryNode& k) { return selects(k); });
    case Op::any_of: return std::all_of(n.kids.begin(), n.kids.end(), [](const QueryNode& k) { return selects(k); });
    default: return false;
  }
}

ItemFacts ItemFilter::facts(ItemKey item) const {
  ItemFacts f;
  f.item = item;
  if (is_asset(item)) {
    f.asset = c_.asset(t_, id_of(item));
    if (!f.asset || f.asset->state != ItemState::live) return f;
    f.name = std::string(file_name_of(f.asset->path));
    f.live = true;
  } else {
    f.project = c_.project(t_, id_of(item));
    if (!f.project || f.project->state != ItemState::live || f.project->id == kRootProject) return f;
    f.name = f.project->name;
    f.live = true;
  }
  return f;
}

std::vector<std::string> ItemFilter::texts(Field field, const ItemFacts& f) const {
  const bool asset = f.asset.has_value();
  std::vector<std::string> out;
  switch (field) {
    case Field::name: out.push_back(f.name); break;
    case Field::path:
      if (asset) out.emplace_back(folder_of(f.asset->path));
      break;
    case Field::notes:
      out.push_back(meta_.note(t_, NoteTarget{asset ? NoteTarget::Type::asset : NoteTarget::Type::project,
                                              id_of(f.item)}));
      break;
    case Field::tag: out = asset ? meta_.asset_tags(t_, f.asset->id) : meta_.project_tags(t_, f.project->id); break;
    case Field::collection:
      if (!asset)
        for (auto id : meta_.collections_of(t_, f.project->id))
          if (auto col = meta_.collection(t_, id)) out.push_back(col->name);
      break;
    case Field::project:
      if (!asset) out.push_back(f.project->name);
      else if (auto p = c_.project(t_, f.asset->project)) out.push_back(p->name);
      break;
    case Field::any: break;
  }
  return out;
}

bool ItemFilter::words_match(const QueryNode& n, const ItemFacts& f) const {
  static constexpr Field kAny[] = {Field::name, Field::tag, Field::path, Field::notes};
  const std::span<const Field> fields = n.field == Field::any ? std::span<const Field>(kAny)
                                                              : std::span<const Field>(&n.field, 1);
  for (Field field : fields)
    for (const auto& text : texts(field, f))
      if (holds_phrase(text, n.words, n.last_prefix)) return true;
  return false;
}

bool ItemFilter::has(std::string_view what, const ItemFacts& f) const {
  const bool asset = f.asset.has_value();
  if (what == "tags")
    return asset ? !meta_.asset_tag_ids(t_, f.asset->id).empty() : !meta_.project_tag_ids(t_, f.project->id).empty();
  if (what == "note")
    return !meta_.note(t_, NoteTarget{asset ? NoteTarget::Type::asset : NoteTarget::Type::project, id_of(f.item)})
                .empty();
  if (what == "image") return asset ? f.asset->kind == Kind::image : meta_.main_image(t_, f.project->id).has_value();
  return false;
}

namespace {

bool compare(std::int64_t value, Compare cmp, std::int64_t number) {
  switch (cmp) {
    case Compare::lt: return value < number;
    case Compare::le: return value <= number;
    case Compare::eq: return value == number;
    case Compare::ge: return value >= number;
    case Compare::gt: return value > number;
  }
  return false;
}

}  // namespace

bool ItemFilter::matches(const QueryNode& n, const ItemFacts& f) const {
  if (!f.live) return false;
  using Op = QueryNode::Op;
  const bool asset = f.asset.has_value();
  switch (n.op) {
    case Op::all_of:
      return std::all_of(n.kids.begin(), n.kids.end(), [&](const QueryNode& k) { return matches(k, f); });
    case Op::any_of:
      return std::any_of(n.kids.begin(), n.kids.end(), [&](const QueryNode& k) { return matches(k, f); });
    case Op::none_of: return !n.kids.empty() && !matches(n.kids[0], f);
    case Op::words: return words_match(n, f);
    case Op::type: return asset && f.asset->kind == n.kind;
    case Op::ext: return asset && extension_of(f.name) == n.text;
    case Op::has: return has(n.text, f);
    case Op::size:
      return asset && compare(static_cast<std::int64_t>(std::min<std::uint64_t>(f.asset->size, INT64_MAX)), n.cmp,
                              n.number);
    case Op::modified: return compare(asset ? f.asset->mtime_ns : f.project->mtime_ns, n.cmp, n.number);
    case Op::added: return compare(asset ? f.asset->added_ns : f.project->added_ns, n.cmp, n.number);
  }
  return false;
}

}  // namespace lima::index
