-- 059 (issue 19, decision 042): the breakdowns' per-channel rows (chat groups, live rooms,
-- community leaders) and share chains start from the merchant's own channel orders, not from
-- every order the merchant was paid in the range: a shop with 90,000 paid orders a month and no
-- chat-group order reads nothing here (it read the month's 90,000 orders, ~20 ms a table).
CREATE INDEX chat_group_orders_merchant ON chat_group_orders(merchant_id, order_id);
CREATE INDEX live_orders_merchant ON live_orders(merchant_id, order_id);
CREATE INDEX community_orders_merchant ON community_orders(merchant_id, order_id);
CREATE INDEX order_commissions_merchant ON order_commissions(merchant_id, order_id);
