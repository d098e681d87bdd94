-- PostgreSQL twin of ../050_co_purchase_buyers.sql (the same statements).
-- 050 (issue 20, decision 037): bought together counts buyers, and follows the outbox.
--
-- co_purchases.orders becomes `buyers`: a pair now counts the buyers who bought both products
-- (within their recent purchases), not the orders that paired them — a buyer repeating an order
-- no longer raises its products in each other's lists. The pairs are a projection of the outbox
-- ("order.paid", consumer feed.co_purchases) instead of a write in the paying command; its
-- cursor starts at the outbox's end, since the pairs of every order paid so far were written
-- when it was paid.
ALTER TABLE co_purchases RENAME COLUMN orders TO buyers;
INSERT INTO consumer_cursors(name, seq) SELECT 'feed.co_purchases', COALESCE(MAX(seq), 0) FROM events WHERE true
ON CONFLICT(name) DO NOTHING;
