// Writing through the API: one index transaction per request, rolled back
// when the operation fails, and answered only once the mount shows it.
#pragma once

#include <optional>
#include <type_traits>

#include "http/api_error.h"
#include "http/routes.h"
#include "index/metadata.h"

namespace lima::http {

/// Waits until every committed change is visible in the mount.
inline void settle(Call& c) {
  if (c.ctx.settle) c.ctx.settle();
}

/// Runs fn(txn, metadata) -> Result<T> in one write transaction. A failed
/// result aborts the transaction and is thrown as ApiError; otherwise the
/// change is committed, the mount has caught up, and the value is returned.
template <class Fn>
auto commit(Call& c, Fn&& fn) {
  using R = std::invoke_result_t<Fn&, index::WriteTxn&, index::Metadata&>;
  std::optional<R> result;
  c.ctx.catalog->write([&](index::WriteTxn& t) {
    index::Metadata meta(*c.ctx.catalog);
    result.emplace(fn(t, meta));
    if (!*result) throw to_api_error(result->error());  // aborts the transaction
  });
  settle(c);
  if constexpr (!std::is_void_v<typename R::value_type>) return std::move(**result);
}

}  // namespace lima::http
