-- PostgreSQL twin of ../013_dead_timers.sql (same meaning; docs/scale-out.md).
-- A timer that failed its last allowed attempt, or whose kind no handler knows, is dead: it
-- stays (with its last error) until an operator retries it, and `xiaodian check` reports it.
ALTER TABLE timers ADD COLUMN dead_at_ms BIGINT;
ALTER TABLE timers ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
CREATE INDEX timers_dead ON timers(dead_at_ms) WHERE dead_at_ms IS NOT NULL;
