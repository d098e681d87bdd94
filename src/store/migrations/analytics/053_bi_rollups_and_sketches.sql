-- 053 (issue 19, decision 038): what lets a merchant's overview answer from a few hundred rows
-- whatever the shop's size. Numbered after the trading store's 052: trading and analytics
-- migrations share one number sequence, though this list is the analytics store's own.

-- Distinct visitors per merchant and day at each funnel stage or beyond (1 viewed, 2 carted,
-- 3 ordered, 4 paid: merchant_day_visitors' stage), kept by the projection as a visitor row is
-- added or moves up a stage. Exact; the overview's per-day series and one-day totals read them.
ALTER TABLE merchant_days ADD COLUMN visitors INTEGER NOT NULL DEFAULT 0;
ALTER TABLE merchant_days ADD COLUMN carted_visitors INTEGER NOT NULL DEFAULT 0;
ALTER TABLE merchant_days ADD COLUMN ordered_visitors INTEGER NOT NULL DEFAULT 0;
ALTER TABLE merchant_days ADD COLUMN buyers INTEGER NOT NULL DEFAULT 0;
UPDATE merchant_days SET visitors = v.a, carted_visitors = v.c, ordered_visitors = v.o, buyers = v.p
FROM (SELECT merchant_id, day, count(*) AS a, SUM(stage >= 2) AS c, SUM(stage >= 3) AS o,
             SUM(stage >= 4) AS p
      FROM merchant_day_visitors GROUP BY merchant_id, day) AS v
WHERE merchant_days.merchant_id = v.merchant_id AND merchant_days.day = v.day;

-- A HyperLogLog sketch (insight/internal/sketch.h: 2^12 registers, sparse while small;
-- Hll::Encode's bytes in hex, since the store binds text and integers only) of the visitors of a
-- merchant's day at `stage` or beyond: the distinct counts over a range of days are a
-- register-wise max of these. A function of merchant_day_visitors' rows, so a rebuild
-- writes the same bytes. SQL has no hash to fill it with: the 'sketches' key in meta asks the
-- server to fill it from merchant_day_visitors when it binds the file (insight/owner.h).
CREATE TABLE merchant_day_sketches(
  merchant_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  stage INTEGER NOT NULL,
  sketch_hex TEXT NOT NULL,
  PRIMARY KEY(merchant_id, day, stage)
);
INSERT INTO meta(key, value) VALUES('sketches', 'fill') ON CONFLICT(key) DO UPDATE SET value = 'fill';

-- A merchant's customers (merchant_customers) counted by the China-time day of their first
-- (edge 'first') and of their last (edge 'last') paid order, with how many of them paid at least
-- twice: the overview's segments (new: first paid within 30 days; dormant: last paid over 90
-- days ago; repeat / one-time: the rest) are sums over a few hundred of these rows instead of a
-- pass over every customer. Each customer counts once under each edge.
CREATE TABLE merchant_customer_days(
  merchant_id INTEGER NOT NULL,
  edge TEXT NOT NULL CHECK(edge IN ('first', 'last')),
  day INTEGER NOT NULL,
  customers INTEGER NOT NULL DEFAULT 0,
  repeaters INTEGER NOT NULL DEFAULT 0,
  paid_fen INTEGER NOT NULL DEFAULT 0,
  repeat_fen INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(merchant_id, edge, day)
);
INSERT INTO merchant_customer_days(merchant_id, edge, day, customers, repeaters, paid_fen, repeat_fen)
SELECT merchant_id, 'first', CAST(strftime('%Y%m%d', (first_paid_ms + 28800000) / 1000, 'unixepoch') AS INTEGER) AS d,
       count(*), SUM(paid_orders >= 2), SUM(paid_fen), SUM(CASE WHEN paid_orders >= 2 THEN paid_fen ELSE 0 END)
FROM merchant_customers GROUP BY merchant_id, d;
INSERT INTO merchant_customer_days(merchant_id, edge, day, customers, repeaters, paid_fen, repeat_fen)
SELECT merchant_id, 'last', CAST(strftime('%Y%m%d', (last_paid_ms + 28800000) / 1000, 'unixepoch') AS INTEGER) AS d,
       count(*), SUM(paid_orders >= 2), SUM(paid_fen), SUM(CASE WHEN paid_orders >= 2 THEN paid_fen ELSE 0 END)
FROM merchant_customers GROUP BY merchant_id, d;
