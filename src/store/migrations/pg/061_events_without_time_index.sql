-- 061 (issue 12): the outbox loses its index on created_at_ms. Retention reads the oldest events
-- by seq (store/retention.cc, a bounded read of the primary key) and nothing else reads events by
-- time, so the index was one more B-tree entry on every event of every command (three or more a
-- paid order): the trading writer's CPU per paid order fell ~7 µs without it (bench/README,
-- issue 12 addendum 10).
DROP INDEX IF EXISTS events_created;
