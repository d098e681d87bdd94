-- PostgreSQL twin of ../020_webhook_claims.sql (same meaning; docs/scale-out.md).
ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN lease_until_ms BIGINT;
