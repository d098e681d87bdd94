-- PostgreSQL twin of ../007_distribution.sql (same meaning; docs/scale-out.md).
-- Distribution (分销 / 分享员) and share-to-drop (转发降价): per-product sharer commission
-- rates, share links with their distinct openers, the last touch of each buyer on each
-- product, and the commission each attributed order line owes.

-- Activities gain the share_drop type (PostgreSQL alters the CHECK in place).
ALTER TABLE activities DROP CONSTRAINT activities_type_check;
ALTER TABLE activities ADD CONSTRAINT activities_type_check
  CHECK(type IN ('group_buy','flash_sale','bargain','share_drop'));

CREATE TABLE product_distribution(
  product_id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  commission_bps BIGINT NOT NULL CHECK(commission_bps >= 0 AND commission_bps <= 5000),
  updated_at_ms BIGINT NOT NULL
);
CREATE TABLE shares(
  id BIGINT PRIMARY KEY,
  sharer_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  activity_id BIGINT,                    -- set for a share-to-drop (or any activity's) link
  opens BIGINT NOT NULL DEFAULT 0,       -- distinct viewers other than the sharer
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX shares_sharer ON shares(sharer_id, activity_id);
-- Each viewer counts once per link; is_friend: a friend of the sharer when they opened it.
CREATE TABLE share_opens(
  share_id BIGINT NOT NULL,
  viewer_id BIGINT NOT NULL,
  is_friend BIGINT NOT NULL,
  opened_at_ms BIGINT NOT NULL,
  PRIMARY KEY(share_id, viewer_id)
);
-- Last touch wins: one row per (buyer, product).
CREATE TABLE share_touches(
  buyer_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  share_id BIGINT NOT NULL,
  sharer_id BIGINT NOT NULL,
  touched_at_ms BIGINT NOT NULL,
  PRIMARY KEY(buyer_id, product_id)
);
-- status: pending (order open) → paid (posted to sharer:<id> at completion) | cancelled
-- (the order was refunded in full or cancelled). One row per order and product: never
-- a commission paid twice.
CREATE TABLE order_commissions(
  order_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  sharer_id BIGINT NOT NULL,
  share_id BIGINT NOT NULL,
  commission_bps BIGINT NOT NULL,
  line_fen BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL DEFAULT 0,
  status TEXT NOT NULL CHECK(status IN ('pending','paid','cancelled')),
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY(order_id, product_id)
);
CREATE INDEX order_commissions_sharer ON order_commissions(sharer_id, created_at_ms);
