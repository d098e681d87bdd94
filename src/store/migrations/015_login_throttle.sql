-- Login attempts per phone and source (client address, IPv6 by /64) with exponential backoff,
-- replacing the per-account lockout that let anyone lock anyone out (account.h, AdmitLogin).
CREATE TABLE login_throttle(
  phone TEXT NOT NULL,
  source TEXT NOT NULL,
  failures INTEGER NOT NULL,
  blocked_until_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  PRIMARY KEY(phone, source)
);
CREATE INDEX login_throttle_source ON login_throttle(source, expires_at_ms);
CREATE INDEX login_throttle_expiry ON login_throttle(expires_at_ms);
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until_ms;
