// Reading the outbox's rows into Store::Event (store.cc), for ReadEvents and the consumers'
// runner (consumer.cc), which may ask for some event types only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/consumer.h"
#include "store/store.h"

namespace xd::internal {

// Events with after_seq < seq <= up_to_seq, in seq order, at most `limit`; only those whose type
// is one of `types` unless it is empty (the filter runs in SQL: the others' payloads are never
// parsed); of their payloads, what `payloads` says (store/consumer.h).
Result<std::vector<Store::Event>> ReadEventRows(Reader& r, int64_t after_seq, int limit, int64_t up_to_seq,
                                                const std::vector<std::string>& types, const PayloadRead& payloads = {});

}  // namespace xd::internal
