-- PostgreSQL twin of ../043_co_purchases_follow_baseline.sql (same meaning).
-- 043 (issue 20, decision 033): bought together (co-purchase), a candidate source of the
-- personalised feed, and the followers a shop had before its follow days were counted.
--
-- co_purchases: product_id was bought with other_id by the same buyer (in one order, or in an
-- order paid after one of the buyer's recent purchases); `orders` counts the paid orders that
-- paired them. Both directions are stored. Written in the transaction that pays an order
-- (feed/copurchase.h), at most limits (feed::copurchase::kPartnersPerProduct) new partners per
-- product: a product's list is bounded, its counts keep growing.
CREATE TABLE co_purchases(
  product_id BIGINT NOT NULL,
  other_id BIGINT NOT NULL,
  orders BIGINT NOT NULL CHECK(orders > 0),
  last_at_ms BIGINT NOT NULL,
  PRIMARY KEY(product_id, other_id)
);
CREATE INDEX co_purchases_top ON co_purchases(product_id, orders);

-- shop_follow_days (037) counts follows from 037 on; a shop's favourites from before are one
-- carried-over row on day 0 (1970-01-01, which no growth chart reaches), so that for every shop
-- follows - unfollows over all its days = its favorite_shops rows (`xiaodian check`).
INSERT INTO shop_follow_days(merchant_id, day, follows, unfollows)
SELECT m.merchant_id, 0, m.n - m.net, 0
FROM (SELECT s.merchant_id,
             (SELECT count(*) FROM favorite_shops f WHERE f.merchant_id = s.merchant_id) AS n,
             COALESCE((SELECT SUM(d.follows) - SUM(d.unfollows) FROM shop_follow_days d
                       WHERE d.merchant_id = s.merchant_id), 0) AS net
      FROM (SELECT merchant_id FROM favorite_shops UNION SELECT merchant_id FROM shop_follow_days) s) m
WHERE m.n - m.net > 0
ON CONFLICT(merchant_id, day) DO UPDATE SET follows = shop_follow_days.follows + excluded.follows;
