-- PostgreSQL twin of ../047_merchant_first_orders.sql (same meaning).
-- 047 (issue 19, decision 035): each buyer's first paid order with each merchant, the base of
-- the breakdowns' new vs returning buyers and weekly cohorts (insight/merchant_bi.h), which
-- otherwise group all of a merchant's paid orders by buyer on every request. Written in the
-- transaction that pays an order (trade: TradeService::SetStatus to paid), keeping the earliest
-- paid_at_ms (ties: the smaller order id); `xiaodian check` (orders_ok) compares it with the
-- orders table. Filled here from the orders already paid.
CREATE TABLE merchant_first_orders(
  merchant_id BIGINT NOT NULL,
  buyer_id BIGINT NOT NULL,
  order_id BIGINT NOT NULL,
  paid_at_ms BIGINT NOT NULL,
  PRIMARY KEY(merchant_id, buyer_id)
);
CREATE INDEX merchant_first_orders_paid ON merchant_first_orders(merchant_id, paid_at_ms);
INSERT INTO merchant_first_orders(merchant_id, buyer_id, order_id, paid_at_ms)
SELECT merchant_id, buyer_id, id, paid_at_ms
FROM (SELECT merchant_id, buyer_id, id, paid_at_ms,
             ROW_NUMBER() OVER (PARTITION BY merchant_id, buyer_id ORDER BY paid_at_ms, id) AS n
      FROM orders WHERE paid_at_ms IS NOT NULL) f
WHERE n = 1;

-- A merchant's orders paid in a range (the breakdowns' paid orders): read from the range's index
-- entries alone (buyer, total and id in the index) instead of every order of the merchant and
-- its table rows.
CREATE INDEX orders_merchant_paid ON orders(merchant_id, paid_at_ms) INCLUDE (buyer_id, total_fen, id) WHERE paid_at_ms IS NOT NULL;
