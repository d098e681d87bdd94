-- PostgreSQL twin of ../008_gifts.sql (same meaning; docs/scale-out.md).
-- Gifting (送礼): an order bought as a gift waits in paid/gift_pending until the recipient
-- opens the gift link (an unguessable token), accepts and gives an address; a gift nobody
-- accepts in time is refunded to the sender.
CREATE TABLE gifts(
  id BIGINT PRIMARY KEY,
  order_id BIGINT NOT NULL UNIQUE,
  sender_id BIGINT NOT NULL,
  token TEXT NOT NULL UNIQUE,
  message TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL,
  image TEXT NOT NULL DEFAULT '',
  quantity BIGINT NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('unpaid','waiting','accepted','refunded','cancelled')),
  recipient_id BIGINT,
  expires_at_ms BIGINT,
  timer_id BIGINT,
  created_at_ms BIGINT NOT NULL,
  accepted_at_ms BIGINT
);
CREATE INDEX gifts_sender ON gifts(sender_id, id);
