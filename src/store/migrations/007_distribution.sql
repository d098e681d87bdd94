-- Distribution (分销 / 分享员): per-product sharer commission rates, share links, the last
-- touch of each buyer on each product, and the commission each attributed order line owes.
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
  opens INTEGER NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX shares_sharer ON shares(sharer_id, id);
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
-- a double commission.
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
