-- 058 (issue 19, decision 042): the breakdowns' new and returning buyers, cohorts and members'
-- orders come from the data platform's projection of the log (analytics migration 057), so the
-- trading store no longer keeps each buyer's first paid order per merchant (047): one upsert
-- fewer on the trading writer per paid order.
DROP TABLE merchant_first_orders;
