-- 037 (issue 20, decision 028): what each visitor was shown of each merchant per China-time
-- day, projected from the log's impressions, so that the feed can cap a merchant's exposure to
-- one user per day. It lives here, not in memory: rows exist only for impressions logged
-- (POST /events is rate-limited per user and IP), one per visitor, day and merchant.
CREATE TABLE visitor_merchant_days(
  visitor TEXT NOT NULL,                 -- 'u<user>' or 'd<device>' as merchant_day_visitors
  day INTEGER NOT NULL,                  -- yyyymmdd, China time
  merchant_id INTEGER NOT NULL,
  impressions INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(visitor, day, merchant_id)
);

-- Impressions per product and day beside its views and paid units: the feed's click-through and
-- conversion signals (feed/rank.h Signals) and the fairness report's exposure.
ALTER TABLE merchant_product_days ADD COLUMN impressions INTEGER NOT NULL DEFAULT 0;
CREATE INDEX merchant_product_days_product ON merchant_product_days(product_id, day);
