-- PostgreSQL twin of ../002_account.sql (same meaning; docs/scale-out.md).
-- Accounts, sessions, merchants and staff, friends, addresses.
CREATE TABLE users(
  id BIGINT PRIMARY KEY,
  phone TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  nickname TEXT NOT NULL,
  is_admin BIGINT NOT NULL DEFAULT 0,
  failed_logins BIGINT NOT NULL DEFAULT 0,
  locked_until_ms BIGINT NOT NULL DEFAULT 0,
  created_at_ms BIGINT NOT NULL
);
CREATE TABLE sessions(
  token_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE kind_defaults(
  kind TEXT PRIMARY KEY,
  commission_bps BIGINT NOT NULL,
  hold_days BIGINT NOT NULL,
  max_products BIGINT NOT NULL,
  max_order_fen BIGINT NOT NULL
);
INSERT INTO kind_defaults VALUES ('c2c', 500, 7, 200, 5000000),
                                 ('b2c', 0, 1, 100000, 100000000),
                                 ('ka', 300, 3, 100000, 100000000);
CREATE TABLE merchants(
  id BIGINT PRIMARY KEY,
  kind TEXT NOT NULL CHECK(kind IN ('c2c','b2c','ka')),
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL CHECK(status IN ('pending','active','suspended','rejected')),
  owner_user_id BIGINT NOT NULL,
  -- NULL means "the kind's default"; an admin override sets a value.
  commission_bps BIGINT,
  hold_days BIGINT,
  max_products BIGINT,
  max_order_fen BIGINT,
  created_at_ms BIGINT NOT NULL
);
CREATE TABLE staff(
  merchant_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  role TEXT NOT NULL CHECK(role IN ('owner','operator','support')),
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY(merchant_id, user_id)
);
CREATE INDEX staff_user ON staff(user_id);
CREATE TABLE friend_requests(
  id BIGINT PRIMARY KEY,
  from_user_id BIGINT NOT NULL,
  to_user_id BIGINT NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('pending','accepted')),
  created_at_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX friend_requests_pair ON friend_requests(from_user_id, to_user_id) WHERE status='pending';
CREATE INDEX friend_requests_to ON friend_requests(to_user_id, status);
-- Friendship is symmetric and stored in both directions.
CREATE TABLE friendships(
  user_id BIGINT NOT NULL,
  friend_id BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY(user_id, friend_id)
);
CREATE TABLE addresses(
  id BIGINT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  phone TEXT NOT NULL,
  region TEXT NOT NULL,
  detail TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX addresses_user ON addresses(user_id);
