// Retention of the store's infrastructure tables (issue 12): outbox events, idempotency keys.
// Nothing here ever deletes what someone still needs: an event goes only once every consumer
// has read it (and it is older than the policy), an idempotency key once a client's retry
// window has passed. Runs in bounded batches from the retention timer (kTimerRetention),
// which other modules' prune steps join (pay: provider notification ids).
#pragma once

#include <cstdint>
#include <initializer_list>

#include "store/store.h"

namespace xd {

inline constexpr const char* kTimerRetention = "store.retention";

struct RetentionPolicy {
  int64_t events_ms = 30LL * 24 * 3600 * 1000;      // the data platform replays a month
  int64_t idempotency_ms = 24LL * 3600 * 1000;      // a client retries within a day (Stripe keeps 24 h)
  int64_t notifications_ms = 7LL * 24 * 3600 * 1000;  // providers re-notify for about a day; a week of margin
  int64_t interval_ms = 3600 * 1000;                // how often the timer runs when caught up
  int64_t catch_up_ms = 1000;                       // the next run after a full batch
  int batch = 5000;                                 // rows per table per run
};

// When the retention timer runs next, given how many rows each prune step of this run deleted:
// soon while any step deleted a full batch (there is more; an hourly 5,000 rows would fall
// behind any store adding more than ~1.4 events a second), else after the interval.
int64_t NextRetentionDelayMs(const RetentionPolicy& policy, std::initializer_list<int64_t> deleted);

// Deletes up to `limit` events older than now - keep_ms at or below every consumer's cursor
// (none when there is no consumer yet); records the newest seq deleted. Returns rows deleted.
// Reads at most `limit` events (the oldest, in seq order), however many are kept.
Result<int64_t> PruneEvents(Tx& tx, int64_t keep_ms, int limit);
// Deletes up to `limit` idempotency keys older than now - keep_ms. Returns rows deleted.
Result<int64_t> PruneIdempotency(Tx& tx, int64_t keep_ms, int limit);
// The newest event seq retention deleted (0: none).
Result<int64_t> PrunedThroughSeq(Reader& r);

}  // namespace xd
