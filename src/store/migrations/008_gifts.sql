-- Gifting (送礼): an order bought as a gift waits in paid/gift_pending until the recipient
-- opens the gift link (an unguessable token), accepts and gives an address; a gift nobody
-- accepts in time is refunded to the sender.
CREATE TABLE gifts(
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL UNIQUE,
  sender_id INTEGER NOT NULL,
  token TEXT NOT NULL UNIQUE,
  message TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL,
  image TEXT NOT NULL DEFAULT '',
  quantity INTEGER NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('unpaid','waiting','accepted','refunded','cancelled')),
  recipient_id INTEGER,
  expires_at_ms INTEGER,
  timer_id INTEGER,
  created_at_ms INTEGER NOT NULL,
  accepted_at_ms INTEGER
);
CREATE INDEX gifts_sender ON gifts(sender_id, id);
