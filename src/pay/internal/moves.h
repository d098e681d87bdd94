// What pay's files share about status moves and nobody outside may include: decoding a stored
// status and checking that a guarded UPDATE (... WHERE status=<from>) moved its row.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "base/messages.h"

namespace xd::pay::internal {

// The status of a stored name. The schema's CHECK admits only the table's names, so an
// unknown one means the store was written by something else: a broken invariant.
template <class E>
E Stored(std::optional<E> parsed) {
  CHECK(parsed.has_value());
  return *parsed;
}

// A guarded UPDATE changed `changed` rows: INVALID_STATE unless exactly one (the row left the
// status it was read in; in the single-writer pipeline only a stale caller gets here).
inline Status Moved(int64_t changed, const char* what) {
  if (changed == 1) return Ok();
  return Fail(Msg::STATUS_CHANGED, {Term("kind", what, "kind")});
}

}  // namespace xd::pay::internal
