-- PostgreSQL twin of ../059_channel_orders_by_merchant.sql (same meaning).
CREATE INDEX chat_group_orders_merchant ON chat_group_orders(merchant_id, order_id);
CREATE INDEX live_orders_merchant ON live_orders(merchant_id, order_id);
CREATE INDEX community_orders_merchant ON community_orders(merchant_id, order_id);
CREATE INDEX order_commissions_merchant ON order_commissions(merchant_id, order_id);
