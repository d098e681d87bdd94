-- The outbox in commit order across nodes (issue 13; docs/scale-out.md, "Outbox order").
-- On PostgreSQL, writers append events here (no seq) and a relay moves committed rows into
-- `events` under a lock that serialises relays, assigning seq there: seq order is the relays'
-- commit order, so no seq is ever filled in behind a consumer's cursor. SQLite's single writer
-- commits in seq order and appends to `events` directly; the table exists on both for one
-- schema meaning and stays empty on SQLite.
CREATE TABLE events_pending(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  schema_version INTEGER NOT NULL,
  aggregate_id INTEGER NOT NULL,
  merchant_id INTEGER NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id INTEGER NOT NULL,
  payload TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);
