-- 060 (issue 19, decision 043): co_purchases loses its (product_id, buyers) index. A product has
-- at most config::kCoPurchasePartners partners, so the feed's "top partners by buyers" reads
-- those few rows by the primary key and sorts them; the index only cost the projection a second
-- B-tree change on every pair whose count grows (most of its writes).
DROP INDEX IF EXISTS co_purchases_top;
