-- An idempotency key is bound to its request: SHA-256 of method, path, query and body. A retry
-- with the same key and a different request is refused (422 IDEMPOTENCY_MISMATCH). Keys stored
-- before this column existed have '' and match any request.
ALTER TABLE idempotency ADD COLUMN request_hash TEXT NOT NULL DEFAULT '';
