-- Open platform (SPEC §10): merchants' API keys, webhook endpoints and their deliveries.
-- A key is stored only as the SHA-256 of its full text; `prefix` is what lists show.
CREATE TABLE api_keys(
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  secret_hash TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  created_by INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  last_used_at_ms INTEGER,
  revoked_at_ms INTEGER
);
CREATE INDEX api_keys_merchant ON api_keys(merchant_id, id);
-- The signing secret is kept in clear (it signs every delivery); `old_secret` keeps signing
-- beside the new one until `old_secret_until_ms` after a rotation. Events with seq <=
-- `from_seq` (those before the endpoint existed) are never delivered to it.
CREATE TABLE webhook_endpoints(
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  event_types TEXT NOT NULL,
  secret TEXT NOT NULL,
  old_secret TEXT,
  old_secret_until_ms INTEGER,
  enabled INTEGER NOT NULL DEFAULT 1,
  from_seq INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints(merchant_id, id);
-- One row per (endpoint, event): the unique index makes the enqueue exactly-once.
CREATE TABLE webhook_deliveries(
  id INTEGER PRIMARY KEY,
  endpoint_id INTEGER NOT NULL,
  merchant_id INTEGER NOT NULL,
  event_seq INTEGER NOT NULL,
  event_type TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('pending','delivered','failed')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK(attempts >= 0),
  next_attempt_at_ms INTEGER NOT NULL,
  last_status_code INTEGER,
  last_error TEXT NOT NULL DEFAULT '',
  created_at_ms INTEGER NOT NULL,
  delivered_at_ms INTEGER,
  updated_at_ms INTEGER NOT NULL,
  UNIQUE(endpoint_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at_ms);
CREATE INDEX webhook_deliveries_merchant ON webhook_deliveries(merchant_id, id);
-- ERPs address SKUs by their own codes.
CREATE INDEX skus_merchant_code ON skus(merchant_id, code);
