-- Infrastructure: outbox, timers, consumer cursors, idempotency keys.
CREATE TABLE events(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE TABLE timers(
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  due_at_ms INTEGER NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX timers_due ON timers(due_at_ms);
CREATE TABLE consumer_cursors(name TEXT PRIMARY KEY, seq INTEGER NOT NULL);
-- A retried write with the same key returns the first response (status + body).
CREATE TABLE idempotency(
  user_id INTEGER NOT NULL,
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  status INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY(user_id, scope, key)
);
