-- PostgreSQL twin of ../021_session_ids_rate_buckets.sql (same meaning; docs/scale-out.md).
-- Sessions keep their token hash as the primary key here (the table stays distributable by it,
-- docs/scale-out.md "Citus"); the id is what the watch trigger sends (`OLD.id`), minted unique
-- like every id and never looked up, so it needs no index. Sessions from before get small ids.
ALTER TABLE sessions ADD COLUMN id BIGINT;
UPDATE sessions s SET id = n.rn
  FROM (SELECT token_hash, row_number() OVER (ORDER BY created_at_ms, token_hash) AS rn FROM sessions) n
  WHERE n.token_hash = s.token_hash;
ALTER TABLE sessions ALTER COLUMN id SET NOT NULL;

-- UNLOGGED: a count is worth no WAL (a crash empties the table; limits restart from zero).
CREATE UNLOGGED TABLE rate_buckets(
  key TEXT NOT NULL,
  window_start_ms BIGINT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY(key, window_start_ms)
);
CREATE INDEX rate_buckets_window ON rate_buckets(window_start_ms);
