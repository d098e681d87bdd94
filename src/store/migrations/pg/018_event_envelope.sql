-- PostgreSQL twin of ../018_event_envelope.sql (same meaning; docs/scale-out.md).
ALTER TABLE events ADD COLUMN schema_version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE events ADD COLUMN aggregate_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN merchant_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN actor_kind TEXT NOT NULL DEFAULT 'system';
ALTER TABLE events ADD COLUMN actor_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX events_created ON events(created_at_ms);
CREATE INDEX idempotency_created ON idempotency(created_at_ms);
CREATE INDEX sandbox_notify_seen_at ON sandbox_notify_seen(at_ms);
CREATE TABLE outbox_retention(id BIGINT PRIMARY KEY CHECK(id = 1), pruned_through_seq BIGINT NOT NULL);
