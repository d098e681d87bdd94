-- 055 (issue 19, decision 040): bought together leaves the trading store. co_purchases and
-- buyer_products are now the data platform's (analytics migration 056), kept by its projection
-- of the log's paid orders; the outbox consumer that kept them here (cursor feed.co_purchases)
-- is gone: its upserts and cursor moves were ~28 µs of the trading writer per paid order.
DROP TABLE co_purchases;
DROP TABLE buyer_products;
DELETE FROM consumer_cursors WHERE name = 'feed.co_purchases';
