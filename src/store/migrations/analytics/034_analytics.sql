-- The data platform's store (issue 19, decision 025): a SQLite file of its own beside the
-- trading database, written by its own writer, so that nothing here waits in (or slows) the
-- trading write path. The log is the truth; every other table is a projection of it,
-- rebuildable by replaying the log in id order (insight::Rebuild).

-- Every interaction, server-side (from the trading outbox) and client-side (POST /events).
-- source_key makes ingestion idempotent: 'o:<outbox seq>' for a server event,
-- 'c:<device or u:user>:<client event id>' for a client event (a retried batch adds nothing).
-- merchant_id is never what a client said: it is the merchant of the product the event names,
-- looked up in the trading store when the event arrives (0: no product, or an unknown one).
CREATE TABLE log(
  id INTEGER PRIMARY KEY,
  source_key TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  user_id INTEGER NOT NULL DEFAULT 0,
  device_id TEXT NOT NULL DEFAULT '',
  merchant_id INTEGER NOT NULL DEFAULT 0,
  product_id INTEGER NOT NULL DEFAULT 0,
  order_id INTEGER NOT NULL DEFAULT 0,
  amount_fen INTEGER NOT NULL DEFAULT 0,
  category TEXT NOT NULL DEFAULT '',
  channel TEXT NOT NULL DEFAULT '',
  occurred_at_ms INTEGER NOT NULL,
  received_at_ms INTEGER NOT NULL,
  data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX log_merchant_time ON log(merchant_id, occurred_at_ms);

-- An anonymous device seen signed in: its user (the first sign-in wins; later ones do not move
-- it). Projections count a device's events for its user from the moment it is linked.
CREATE TABLE devices(device_id TEXT PRIMARY KEY, user_id INTEGER NOT NULL, linked_at_ms INTEGER NOT NULL);

-- Projection cursors: the last log id each projection applied, moved in the transaction that
-- applies it.
CREATE TABLE cursors(name TEXT PRIMARY KEY, log_id INTEGER NOT NULL);

-- Per merchant and China-time day (yyyymmdd).
CREATE TABLE merchant_days(
  merchant_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  views INTEGER NOT NULL DEFAULT 0,
  impressions INTEGER NOT NULL DEFAULT 0,
  carts INTEGER NOT NULL DEFAULT 0,
  orders INTEGER NOT NULL DEFAULT 0,
  paid_orders INTEGER NOT NULL DEFAULT 0,
  gmv_fen INTEGER NOT NULL DEFAULT 0,
  refunded_fen INTEGER NOT NULL DEFAULT 0,
  cancelled_orders INTEGER NOT NULL DEFAULT 0,
  shares INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(merchant_id, day)
);
-- Distinct visitors (a user id as text, or 'd:<device>') and buyers per merchant and day;
-- stage: 1 viewed, 2 carted, 3 ordered, 4 paid (the furthest the visitor got that day).
CREATE TABLE merchant_day_visitors(
  merchant_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  visitor TEXT NOT NULL,
  stage INTEGER NOT NULL,
  PRIMARY KEY(merchant_id, day, visitor)
);
CREATE TABLE merchant_product_days(
  merchant_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  product_id INTEGER NOT NULL,
  views INTEGER NOT NULL DEFAULT 0,
  carts INTEGER NOT NULL DEFAULT 0,
  paid_units INTEGER NOT NULL DEFAULT 0,
  gmv_fen INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(merchant_id, day, product_id)
);
-- Paid orders by where they came from (insight.cc ChannelOf: share, chat_group, community,
-- group_buy, gift, bargain, offline, direct).
CREATE TABLE merchant_channel_days(
  merchant_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  channel TEXT NOT NULL,
  paid_orders INTEGER NOT NULL DEFAULT 0,
  gmv_fen INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(merchant_id, day, channel)
);
-- A merchant's customers (paid at least once): the base of its segments.
CREATE TABLE merchant_customers(
  merchant_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  first_paid_ms INTEGER NOT NULL,
  last_paid_ms INTEGER NOT NULL,
  paid_orders INTEGER NOT NULL DEFAULT 0,
  paid_fen INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(merchant_id, user_id)
);

-- Per user, across merchants: the facts the tags are computed from (insight::UserTags).
CREATE TABLE user_facts(
  user_id INTEGER PRIMARY KEY,
  first_seen_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  paid_orders INTEGER NOT NULL DEFAULT 0,
  paid_fen INTEGER NOT NULL DEFAULT 0,
  refunded_fen INTEGER NOT NULL DEFAULT 0,
  last_paid_ms INTEGER NOT NULL DEFAULT 0,
  units INTEGER NOT NULL DEFAULT 0,
  offline_purchases INTEGER NOT NULL DEFAULT 0,
  offline_fen INTEGER NOT NULL DEFAULT 0,
  shares INTEGER NOT NULL DEFAULT 0,
  share_opens_by_others INTEGER NOT NULL DEFAULT 0,
  share_purchases INTEGER NOT NULL DEFAULT 0,
  member_level INTEGER NOT NULL DEFAULT 0,
  channels TEXT NOT NULL DEFAULT '{}'
);
-- Category interest, decayed by a 14-day half-life: score_milli at updated_ms.
CREATE TABLE user_categories(
  user_id INTEGER NOT NULL,
  category TEXT NOT NULL,
  score_milli INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY(user_id, category)
);
