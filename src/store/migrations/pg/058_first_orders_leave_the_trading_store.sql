-- PostgreSQL twin of ../058_first_orders_leave_the_trading_store.sql (same meaning).
DROP TABLE merchant_first_orders;
