-- PostgreSQL twin of ../055_co_purchases_leave_the_trading_store.sql (same meaning).
DROP TABLE co_purchases;
DROP TABLE buyer_products;
DELETE FROM consumer_cursors WHERE name = 'feed.co_purchases';
