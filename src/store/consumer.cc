#include "store/consumer.h"

#include <algorithm>

#include "base/clock.h"
#include "base/messages.h"
#include "store/internal/event_rows.h"
#include "store/retention.h"

namespace xd {

Result<int> ConsumerRunner::RunOnce() {
  std::lock_guard lock(mu_);
  const std::string name(consumer_.name());
  // Only events on disk: a consumer must not act on an event a crash could still take back.
  const int64_t durable_seq = store_.durable_event_seq();
  int64_t cursor = 0, last_seq = 0;
  int read = 0;
  Command apply;
  RETURN_IF_ERROR(store_.Read([&](Reader& r) -> Status {
    ASSIGN_OR_RETURN(cursor, GetCursor(r, name));
    last_seq = cursor;
    ASSIGN_OR_RETURN(bool wanted, consumer_.Wanted(r));
    if (!wanted) {
      // Nobody needs them: skip to the durable end without reading them.
      ASSIGN_OR_RETURN(int64_t newest, LastEventSeq(r));
      last_seq = std::max(cursor, std::min(newest, durable_seq));
      return Ok();
    }
    const std::vector<std::string> types = consumer_.EventTypes();
    ASSIGN_OR_RETURN(auto events, internal::ReadEventRows(r, cursor, batch_, durable_seq, types,
                                                             consumer_.Payloads()));
    read = static_cast<int>(events.size());
    if (!types.empty() && read < batch_) {
      // Every event of its types up to the durable end was read: the cursor passes the rest.
      ASSIGN_OR_RETURN(int64_t newest, LastEventSeq(r));
      last_seq = std::max(cursor, std::min(newest, durable_seq));
    }
    if (events.empty()) return Ok();
    last_seq = std::max(last_seq, events.back().seq);
    ASSIGN_OR_RETURN(apply, consumer_.Prepare(r, events));
    return Ok();
  }));
  if (last_seq == cursor) return 0;
  RETURN_IF_ERROR(store_.Execute([&](Tx& tx) -> Status {
    // The cursor's row first, guarded by the cursor this batch was read after: on PostgreSQL
    // another node's runner may be applying the same batch right now, and a check-then-write
    // would let both through (READ COMMITTED). The guarded UPDATE waits for that runner's
    // commit, then finds the cursor moved; nothing is applied twice and the cursor never goes
    // back. (SQLite's single writer runs one such command at a time anyway.)
    if (cursor == 0) RETURN_IF_ERROR(tx.Run("INSERT INTO consumer_cursors(name, seq) VALUES(?, 0) ON CONFLICT(name) DO NOTHING", {name}));
    ASSIGN_OR_RETURN(int64_t moved, tx.Exec("UPDATE consumer_cursors SET seq=? WHERE name=? AND seq=?", {last_seq, name, cursor}));
    if (moved != 1) return Fail(Msg::CURSOR_MOVED, {{"consumer", name}});
    if (apply) RETURN_IF_ERROR(apply(tx));
    return Ok();
  }));
  return read;
}

Result<std::vector<ConsumerLag>> ConsumerLags(Reader& r, int64_t durable_event_seq) {
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT name, seq FROM consumer_cursors ORDER BY name"));
  std::vector<ConsumerLag> out;
  for (auto& row : rows) out.push_back(ConsumerLag{row.Str(0), row.Int(1), std::max<int64_t>(0, durable_event_seq - row.Int(1))});
  return out;
}

namespace {
constexpr int64_t kRelayStalledMs = 60'000;
}  // namespace

Result<std::vector<std::string>> CheckOutbox(Reader& r) {
  std::vector<std::string> problems;
  ASSIGN_OR_RETURN(int64_t last, LastEventSeq(r));
  ASSIGN_OR_RETURN(int64_t pruned, PrunedThroughSeq(r));
  ASSIGN_OR_RETURN(Rows cursors, r.Query("SELECT name, seq FROM consumer_cursors ORDER BY name"));
  for (auto& c : cursors) {
    if (c.Int(1) > last)
      problems.push_back("consumer " + c.Str(0) + "'s cursor " + std::to_string(c.Int(1)) + " is beyond the last event " + std::to_string(last));
    if (c.Int(1) < pruned)
      problems.push_back("retention deleted events through " + std::to_string(pruned) + " that consumer " + c.Str(0) +
                         " had not read (cursor " + std::to_string(c.Int(1)) + ")");
  }
  ASSIGN_OR_RETURN(Rows bad, r.Query("SELECT seq, actor_kind, schema_version FROM events WHERE actor_kind NOT IN ('system','user','api_key') "
                                     "OR schema_version < 1 LIMIT 20"));
  for (auto& row : bad)
    problems.push_back("event " + std::to_string(row.Int(0)) + " has actor kind '" + row.Str(1) + "' and schema version " +
                       std::to_string(row.Int(2)));
  // PostgreSQL's relay moves committed events within milliseconds while any node runs; one still
  // pending after a minute means no node is relaying (consumers and webhooks stand still).
  ASSIGN_OR_RETURN(Rows stuck, r.Query("SELECT count(*), COALESCE(MIN(created_at_ms), 0) FROM events_pending WHERE created_at_ms < ?",
                                       {r.clock().NowMs() - kRelayStalledMs}));
  if (!stuck.empty() && stuck[0].Int(0) > 0)
    problems.push_back(std::to_string(stuck[0].Int(0)) + " events have waited for the outbox relay for more than a minute (oldest from " +
                       FormatRfc3339(stuck[0].Int(1)) + "): no node is relaying");
  return problems;
}

}  // namespace xd
