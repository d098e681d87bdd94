-- Many nodes on one PostgreSQL (issue 13): sessions and request limits that hold across nodes.
--
-- A session gets an integer id (minted like every other row's), so that Store::WatchRows can
-- report a deleted session to every node's session cache as it reports a changed product: on
-- SQLite the update hook names a row by its rowid, so the id must be the INTEGER PRIMARY KEY,
-- and the table is rebuilt (the token hash stays unique; sessions from before get small ids,
-- below any minted one).
CREATE TABLE sessions_021(
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL
);
INSERT INTO sessions_021(token_hash, user_id, expires_at_ms, created_at_ms)
  SELECT token_hash, user_id, expires_at_ms, created_at_ms FROM sessions ORDER BY created_at_ms;
DROP TABLE sessions;
ALTER TABLE sessions_021 RENAME TO sessions;
CREATE INDEX sessions_user ON sessions(user_id);

-- Fixed-window request counts per key (a hash of the route and the client's source) for the
-- routes whose limit must hold across nodes (sign-in, registration): every node adds to the same
-- row. Only PostgreSQL counts here (UNLOGGED there: counts may be lost in a crash, never worth
-- WAL); SQLite, one process, counts in memory (http/route_limiter.h), and has the table so that
-- both schemas stay one.
CREATE TABLE rate_buckets(
  key TEXT NOT NULL,
  window_start_ms INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY(key, window_start_ms)
);
CREATE INDEX rate_buckets_window ON rate_buckets(window_start_ms);
