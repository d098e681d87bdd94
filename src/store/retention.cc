#include "store/retention.h"

namespace xd {

Result<int64_t> PruneEvents(Tx& tx, int64_t keep_ms, int limit) {
  ASSIGN_OR_RETURN(auto horizon, tx.QueryOne("SELECT MIN(seq) FROM consumer_cursors"));
  if (!horizon || horizon->IsNull(0)) return 0;  // no consumer has read anything yet
  // Of the oldest `limit` events, the newest that is old: a bounded read of the primary key
  // (filtering on the age first walked every younger event up to the horizon whenever fewer
  // than `limit` were old, a month of the outbox on every run).
  ASSIGN_OR_RETURN(auto newest, tx.QueryOne("SELECT MAX(seq) FROM (SELECT seq, created_at_ms FROM events WHERE seq <= ? "
                                            "ORDER BY seq LIMIT ?) AS batch WHERE created_at_ms < ?",
                                            {horizon->Int(0), int64_t{limit}, tx.NowMs() - keep_ms}));
  if (!newest || newest->IsNull(0)) return 0;
  const int64_t through = newest->Int(0);
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("DELETE FROM events WHERE seq <= ?", {through}));
  RETURN_IF_ERROR(tx.Run("INSERT INTO outbox_retention(id, pruned_through_seq) VALUES(1, ?) "
                         "ON CONFLICT(id) DO UPDATE SET pruned_through_seq = excluded.pruned_through_seq",
                         {through}));
  return n;
}

Result<int64_t> PruneIdempotency(Tx& tx, int64_t keep_ms, int limit) {
  const int64_t before = tx.NowMs() - keep_ms;
  return tx.Exec("DELETE FROM idempotency WHERE (user_id, scope, key) IN (SELECT user_id, scope, key FROM idempotency "
                 "WHERE created_at_ms < ? ORDER BY created_at_ms LIMIT ?)",
                 {before, int64_t{limit}});
}

int64_t NextRetentionDelayMs(const RetentionPolicy& policy, std::initializer_list<int64_t> deleted) {
  for (int64_t n : deleted)
    if (n >= policy.batch) return policy.catch_up_ms;
  return policy.interval_ms;
}

Result<int64_t> PrunedThroughSeq(Reader& r) { return r.QueryInt("SELECT pruned_through_seq FROM outbox_retention WHERE id=1"); }

}  // namespace xd
