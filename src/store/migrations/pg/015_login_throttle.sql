-- PostgreSQL twin of ../015_login_throttle.sql (same meaning; docs/scale-out.md).
CREATE TABLE login_throttle(
  phone TEXT NOT NULL,
  source TEXT NOT NULL,
  failures BIGINT NOT NULL,
  blocked_until_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  PRIMARY KEY(phone, source)
);
CREATE INDEX login_throttle_source ON login_throttle(source, expires_at_ms);
CREATE INDEX login_throttle_expiry ON login_throttle(expires_at_ms);
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until_ms;
