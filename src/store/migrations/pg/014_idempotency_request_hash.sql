-- PostgreSQL twin of ../014_idempotency_request_hash.sql (same meaning; docs/scale-out.md).
ALTER TABLE idempotency ADD COLUMN request_hash TEXT NOT NULL DEFAULT '';
