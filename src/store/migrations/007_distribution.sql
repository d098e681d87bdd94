-- Distribution (分销 / 分享员) and share-to-drop (转发降价): per-product sharer commission
-- rates, share links with their distinct openers, the last touch of each buyer on each
-- product, and the commission each attributed order line owes.

-- Activities gain the share_drop type (SQLite changes a CHECK by rebuilding the table).
CREATE TABLE activities_v2(
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  type TEXT NOT NULL CHECK(type IN ('group_buy','flash_sale','bargain','share_drop')),
  sku_id INTEGER NOT NULL,
  product_id INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK(status IN ('active','stopped')),
  starts_at_ms INTEGER NOT NULL,
  ends_at_ms INTEGER NOT NULL,
  config TEXT NOT NULL,
  stock_total INTEGER NOT NULL DEFAULT 0,
  stock_left INTEGER NOT NULL DEFAULT 0 CHECK(stock_left >= 0 AND stock_left <= stock_total),
  created_at_ms INTEGER NOT NULL
);
INSERT INTO activities_v2 SELECT id, merchant_id, type, sku_id, product_id, status, starts_at_ms, ends_at_ms, config, stock_total,
  stock_left, created_at_ms FROM activities;
DROP TABLE activities;
ALTER TABLE activities_v2 RENAME TO activities;
CREATE INDEX activities_merchant ON activities(merchant_id, id);
CREATE INDEX activities_product ON activities(product_id, id);

CREATE TABLE product_distribution(
  product_id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  commission_bps INTEGER NOT NULL CHECK(commission_bps >= 0 AND commission_bps <= 5000),
  updated_at_ms INTEGER NOT NULL
);
CREATE TABLE shares(
  id INTEGER PRIMARY KEY,
  sharer_id INTEGER NOT NULL,
  product_id INTEGER NOT NULL,
  activity_id INTEGER,                    -- set for a share-to-drop (or any activity's) link
  opens INTEGER NOT NULL DEFAULT 0,       -- distinct viewers other than the sharer
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX shares_sharer ON shares(sharer_id, activity_id);
-- Each viewer counts once per link; is_friend: a friend of the sharer when they opened it.
CREATE TABLE share_opens(
  share_id INTEGER NOT NULL,
  viewer_id INTEGER NOT NULL,
  is_friend INTEGER NOT NULL,
  opened_at_ms INTEGER NOT NULL,
  PRIMARY KEY(share_id, viewer_id)
);
-- Last touch wins: one row per (buyer, product).
CREATE TABLE share_touches(
  buyer_id INTEGER NOT NULL,
  product_id INTEGER NOT NULL,
  share_id INTEGER NOT NULL,
  sharer_id INTEGER NOT NULL,
  touched_at_ms INTEGER NOT NULL,
  PRIMARY KEY(buyer_id, product_id)
);
-- status: pending (order open) → paid (posted to sharer:<id> at completion) | cancelled
-- (the order was refunded in full or cancelled). One row per order and product: never
-- a commission paid twice.
CREATE TABLE order_commissions(
  order_id INTEGER NOT NULL,
  product_id INTEGER NOT NULL,
  sharer_id INTEGER NOT NULL,
  share_id INTEGER NOT NULL,
  commission_bps INTEGER NOT NULL,
  line_fen INTEGER NOT NULL,
  amount_fen INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL CHECK(status IN ('pending','paid','cancelled')),
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY(order_id, product_id)
);
CREATE INDEX order_commissions_sharer ON order_commissions(sharer_id, created_at_ms);
