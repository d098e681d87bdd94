-- PostgreSQL twin of ../011_open.sql (same meaning; docs/scale-out.md).
-- Open platform (SPEC §10): merchants' API keys, webhook endpoints and their deliveries.
-- A key is stored only as the SHA-256 of its full text; `prefix` is what lists show.
CREATE TABLE api_keys(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  secret_hash TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  created_by BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  last_used_at_ms BIGINT,
  revoked_at_ms BIGINT
);
CREATE INDEX api_keys_merchant ON api_keys(merchant_id, id);
-- The signing secret is kept in clear (it signs every delivery); `old_secret` keeps signing
-- beside the new one until `old_secret_until_ms` after a rotation. Events with seq <=
-- `from_seq` (those before the endpoint existed) are never delivered to it.
CREATE TABLE webhook_endpoints(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  event_types TEXT NOT NULL,
  secret TEXT NOT NULL,
  old_secret TEXT,
  old_secret_until_ms BIGINT,
  enabled BIGINT NOT NULL DEFAULT 1,
  from_seq BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints(merchant_id, id);
-- One row per (endpoint, event): the unique index makes the enqueue exactly-once.
CREATE TABLE webhook_deliveries(
  id BIGINT PRIMARY KEY,
  endpoint_id BIGINT NOT NULL,
  merchant_id BIGINT NOT NULL,
  event_seq BIGINT NOT NULL,
  event_type TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('pending','delivered','failed')),
  attempts BIGINT NOT NULL DEFAULT 0 CHECK(attempts >= 0),
  next_attempt_at_ms BIGINT NOT NULL,
  last_status_code BIGINT,
  last_error TEXT NOT NULL DEFAULT '',
  created_at_ms BIGINT NOT NULL,
  delivered_at_ms BIGINT,
  updated_at_ms BIGINT NOT NULL,
  UNIQUE(endpoint_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at_ms);
CREATE INDEX webhook_deliveries_merchant ON webhook_deliveries(merchant_id, id);
-- ERPs address SKUs by their own codes.
CREATE INDEX skus_merchant_code ON skus(merchant_id, code);
