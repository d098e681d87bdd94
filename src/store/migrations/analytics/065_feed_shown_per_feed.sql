-- 065 (issue 20): the feed's per-user-per-day cap counted every impression of a merchant the
-- visitor was shown that day (the shop's own page and search results too), and a page of a feed
-- counted the impressions its own earlier pages had logged on top of replaying those pages
-- (decision 028): the caps tightened as the visitor scrolled, the replay drifted from the pages
-- served and the feed ended early. Now only the feed's impressions count, kept per feed, and a
-- feed's pages leave their own feed's out (insight.h ShownOnDay). One row per visitor, day, feed
-- and merchant.
DROP TABLE visitor_merchant_days;
CREATE TABLE visitor_feed_merchants(
  visitor TEXT NOT NULL,       -- 'u<user>' or 'd<device>' as merchant_day_visitors
  day INTEGER NOT NULL,        -- yyyymmdd, China time
  feed_id TEXT NOT NULL,       -- the GET /feed feed_id the impression names ('' for none)
  merchant_id INTEGER NOT NULL,
  impressions INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(visitor, day, feed_id, merchant_id)
);
-- The rows of the impressions logged before this migration: filled from the log at start
-- (insight.cc FillFeedShown, the 'feed_shown' key), as the projection would have written them.
INSERT INTO meta(key, value) VALUES('feed_shown', 'fill') ON CONFLICT(key) DO UPDATE SET value = 'fill';
