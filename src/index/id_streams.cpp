#include "index/id_streams.h"

#include <algorithm>
#include <limits>

#include "index/key_codec.h"

namespace lima::index {

PrefixIdStream::PrefixIdStream(const Txn& t, const Dbi& db, std::string prefix)
    : cursor_(t, db), prefix_(std::move(prefix)) {}

bool PrefixIdStream::seek(std::uint64_t id) {
  key_.assign(prefix_);
  put_u64(key_, id);
  if (!cursor_.seek(key_)) return false;
  const auto k = cursor_.key();
  // Past the prefix, or a key of another layout: the stream is over.
  if (k.size() != prefix_.size() + 8 || !k.starts_with(prefix_)) return false;
  id_ = get_u64(k, prefix_.size());
  return true;
}

bool VectorIdStream::seek(std::uint64_t id) {
  pos_ = static_cast<std::size_t>(std::lower_bound(ids_.begin() + static_cast<std::ptrdiff_t>(pos_), ids_.end(), id) -
                                  ids_.begin());
  return pos_ < ids_.size();
}

Intersection::Intersection(std::vector<std::unique_ptr<IdStream>> streams, std::uint64_t from)
    : streams_(std::move(streams)), candidate_(from) {
  done_ = streams_.empty();
}

std::optional<std::uint64_t> Intersection::next() {
  // Leapfrog: each stream in turn seeks the candidate; one that lands
  // further makes that the candidate, until all of them agree on it.
  std::size_t agreed = 0, i = 0;
  while (!done_) {
    IdStream& s = *streams_[i];
    ++seeks_;
    if (!s.seek(candidate_)) {
      done_ = true;
      break;
    }
    if (s.id() == candidate_) {
      ++agreed;
    } else {
      candidate_ = s.id();
      agreed = 1;
    }
    if (agreed == streams_.size()) {
      const std::uint64_t found = candidate_;
      if (found == std::numeric_limits<std::uint64_t>::max()) done_ = true;
      else candidate_ = found + 1;
      return found;
    }
    i = (i + 1) % streams_.size();
  }
  return std::nullopt;
}

}  // namespace lima::index
