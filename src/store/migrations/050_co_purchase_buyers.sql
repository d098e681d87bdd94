-- 050 (issue 20, decision 037): bought together counts buyers, and follows the outbox.
--
-- co_purchases.orders becomes `buyers`: a pair counts the buyers who bought both products, not
-- the orders that paired them — a buyer repeating orders no longer raises its products in each
-- other's lists. buyer_products says which products a buyer has bought (the first payment's
-- time): a product is paired only the first time its buyer buys it. Both are a projection of
-- the outbox ("order.paid", consumer feed.co_purchases) instead of a write of the paying
-- command; the consumer's cursor starts at the outbox's end (in a store with events), since the
-- pairs of every order paid so far were written when it was paid, and buyer_products starts
-- with every paid order's products.
ALTER TABLE co_purchases RENAME COLUMN orders TO buyers;
CREATE TABLE buyer_products(
  buyer_id INTEGER NOT NULL,
  product_id INTEGER NOT NULL,
  first_paid_at_ms INTEGER NOT NULL,
  PRIMARY KEY(buyer_id, product_id)
);
INSERT INTO buyer_products(buyer_id, product_id, first_paid_at_ms)
SELECT o.buyer_id, i.product_id, MIN(o.paid_at_ms) FROM orders o JOIN order_items i ON i.order_id = o.id
WHERE o.paid_at_ms IS NOT NULL GROUP BY o.buyer_id, i.product_id;
INSERT INTO consumer_cursors(name, seq) SELECT 'feed.co_purchases', seq FROM events WHERE seq = (SELECT MAX(seq) FROM events)
ON CONFLICT(name) DO NOTHING;
