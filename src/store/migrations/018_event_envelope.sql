-- The event envelope (issue 12): every outbox event says which schema version its payload
-- follows, which aggregate it is about, which merchant it belongs to (0: none) and who acted
-- (actor_kind 'system' | 'user' | 'api_key', actor_id). Events written before this migration
-- keep the defaults: version 1, aggregate and merchant 0, the system.
ALTER TABLE events ADD COLUMN schema_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE events ADD COLUMN aggregate_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN merchant_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN actor_kind TEXT NOT NULL DEFAULT 'system';
ALTER TABLE events ADD COLUMN actor_id INTEGER NOT NULL DEFAULT 0;
-- Retention deletes old events by time; idempotency keys and provider notification ids too.
CREATE INDEX events_created ON events(created_at_ms);
CREATE INDEX idempotency_created ON idempotency(created_at_ms);
CREATE INDEX sandbox_notify_seen_at ON sandbox_notify_seen(at_ms);
-- Retention (store/retention.h) deletes events every consumer has read once they are old;
-- the newest seq it deleted is kept here, so the outbox's end is known after a prune.
CREATE TABLE outbox_retention(id INTEGER PRIMARY KEY CHECK(id = 1), pruned_through_seq INTEGER NOT NULL);
