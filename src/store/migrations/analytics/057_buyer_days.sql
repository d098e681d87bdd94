-- 057 (issue 19, decision 042): the breakdowns' repeat-purchase figures and members' orders from
-- a row per merchant-day instead of the range's paid orders (insight/internal/buyer_days.h).
-- Numbered after the analytics store's 056; 058 is the trading store's.

-- Each customer's paid days at the merchant: "<epoch day>:<orders>" joined by ',' (China-time
-- days since 1970-01-01), ascending.
ALTER TABLE merchant_customers ADD COLUMN paid_days TEXT NOT NULL DEFAULT '';

-- A merchant-day's paid orders counted by the gap (in days) to the buyer's order before, to the
-- one before that, and by age since the buyer's first order (buyer_days.h's DayGaps text). A
-- function of the customers' paid days: a rebuild writes the same text.
CREATE TABLE merchant_order_gaps(
  merchant_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  gaps TEXT NOT NULL,
  PRIMARY KEY(merchant_id, day)
);

-- The day's paid orders of buyers holding the merchant's member card when they paid (the log's
-- data.member, set at ingestion from the trading store's member_cards).
ALTER TABLE merchant_days ADD COLUMN member_orders INTEGER NOT NULL DEFAULT 0;
ALTER TABLE merchant_days ADD COLUMN member_gmv_fen INTEGER NOT NULL DEFAULT 0;

-- SQL cannot place each order among its buyer's: the 'order_gaps' key in meta asks the server to
-- fill the three from the log when it binds the file (insight/owner.h).
INSERT INTO meta(key, value) VALUES('order_gaps', 'fill') ON CONFLICT(key) DO UPDATE SET value = 'fill';
