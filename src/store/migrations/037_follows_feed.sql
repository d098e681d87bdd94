-- 037 (issue 20, decision 028): follows (关注店铺), the hot-shops window, the feed's settings.
--
-- A follow is a shop favourite (favorite_shops, 031): one concept, one table, one button. What a
-- merchant sees of its followers needs them by shop, and its growth needs the unfollows too,
-- which a deleted row forgets: counted per shop and China-time day in the transaction that
-- follows or unfollows (one row per shop and day, so bounded by time, not by attackers).
CREATE INDEX favorite_shops_merchant ON favorite_shops(merchant_id, created_at_ms);
CREATE TABLE shop_follow_days(
  merchant_id INTEGER NOT NULL,
  day INTEGER NOT NULL,                  -- days since 1970-01-01, China time (UTC+8)
  follows INTEGER NOT NULL DEFAULT 0 CHECK(follows >= 0),
  unfollows INTEGER NOT NULL DEFAULT 0 CHECK(unfollows >= 0),
  PRIMARY KEY(merchant_id, day)
);

-- Hot shops (热门微卖场) read the paid orders of the last weeks by payment time.
CREATE INDEX orders_paid_at ON orders(paid_at_ms) WHERE paid_at_ms IS NOT NULL;

-- The exposure guarantee's settings (feed/rank.h ExposurePolicy; one row once the admin changes
-- them, none: the policy's defaults). Ranges are checked by the code (rank.h InvalidField).
CREATE TABLE feed_settings(
  id INTEGER PRIMARY KEY CHECK(id = 1),
  head_merchants INTEGER NOT NULL,
  long_tail_share_bps INTEGER NOT NULL,
  max_per_merchant_per_page INTEGER NOT NULL,
  max_per_merchant_per_user_day INTEGER NOT NULL,
  max_per_category_per_page INTEGER NOT NULL,
  new_merchant_boost_bps INTEGER NOT NULL,
  new_merchant_half_life_ms INTEGER NOT NULL,
  new_merchant_window_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
