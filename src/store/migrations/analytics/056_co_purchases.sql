-- 056 (issue 19/20, decision 040): bought together, a projection of the log's paid orders
-- (insight/internal/copurchase.h), moved here from the trading store (its migration 055 drops
-- the tables there; the meaning is decision 037's). Numbered after the trading store's 055:
-- trading and analytics migrations share one number sequence.

-- co_purchases: product_id was bought with other_id by the same buyer (in one order, or in an
-- order paid after one of the buyer's recent purchases); `buyers` counts the buyers who did.
-- Both directions are stored; a product gains new partners until it has
-- config::kCoPurchasePartners, then only their counts grow. last_at_ms: the latest payment that
-- counted (the log's time, so a rebuild writes the same).
CREATE TABLE co_purchases(
  product_id INTEGER NOT NULL,
  other_id INTEGER NOT NULL,
  buyers INTEGER NOT NULL CHECK(buyers > 0),
  last_at_ms INTEGER NOT NULL,
  PRIMARY KEY(product_id, other_id)
);
CREATE INDEX co_purchases_top ON co_purchases(product_id, buyers);

-- buyer_products: the products a buyer has paid for, first and last payment (an order of the
-- shop's owner or staff not counted): a product pairs only the first time its buyer buys it, with
-- the buyer's most recently paid products (buyer_products_recent).
CREATE TABLE buyer_products(
  buyer_id INTEGER NOT NULL,
  product_id INTEGER NOT NULL,
  first_paid_at_ms INTEGER NOT NULL,
  last_paid_at_ms INTEGER NOT NULL,
  PRIMARY KEY(buyer_id, product_id)
);
CREATE INDEX buyer_products_recent ON buyer_products(buyer_id, last_paid_at_ms);

-- The log's paid orders already projected are replayed by the server when it binds the file
-- (insight/owner.h; SQL cannot apply the pairing rule): the 'co_purchases' key in meta asks for it.
-- Later rows are the projection's.
INSERT INTO meta(key, value) VALUES('co_purchases', 'fill') ON CONFLICT(key) DO UPDATE SET value = 'fill';
