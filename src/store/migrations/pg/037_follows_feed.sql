-- PostgreSQL twin of ../037_follows_feed.sql (same meaning).
-- 037 (issue 20, decision 028): follows (关注店铺), the hot-shops window, the feed's settings.
CREATE INDEX favorite_shops_merchant ON favorite_shops(merchant_id, created_at_ms);
CREATE TABLE shop_follow_days(
  merchant_id BIGINT NOT NULL,
  day BIGINT NOT NULL,                   -- days since 1970-01-01, China time (UTC+8)
  follows BIGINT NOT NULL DEFAULT 0 CHECK(follows >= 0),
  unfollows BIGINT NOT NULL DEFAULT 0 CHECK(unfollows >= 0),
  PRIMARY KEY(merchant_id, day)
);

CREATE INDEX orders_paid_at ON orders(paid_at_ms) WHERE paid_at_ms IS NOT NULL;

CREATE TABLE feed_settings(
  id BIGINT PRIMARY KEY CHECK(id = 1),
  head_merchants BIGINT NOT NULL,
  long_tail_share_bps BIGINT NOT NULL,
  max_per_merchant_per_page BIGINT NOT NULL,
  max_per_merchant_per_user_day BIGINT NOT NULL,
  max_per_category_per_page BIGINT NOT NULL,
  new_merchant_boost_bps BIGINT NOT NULL,
  new_merchant_half_life_ms BIGINT NOT NULL,
  new_merchant_window_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);
