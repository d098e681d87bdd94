-- 060 (issue 19, decision 043): the co-purchase projection's indexes, for what it reads.
-- co_purchases loses its (product_id, buyers) index: a product has at most
-- config::kCoPurchasePartners partners, so the feed's "top partners by buyers" reads those few
-- rows by the primary key and sorts them; the index only cost the projection a second B-tree
-- change on every pair whose count grows (most of its writes).
DROP INDEX IF EXISTS co_purchases_top;
-- A buyer's most recent products (newest payment first, then the smaller product id) in the
-- index's own order: the read takes its first rows instead of sorting the ties in a temporary
-- B-tree on every round.
DROP INDEX IF EXISTS buyer_products_recent;
CREATE INDEX buyer_products_recent ON buyer_products(buyer_id, last_paid_at_ms DESC, product_id);
