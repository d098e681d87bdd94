-- 063 (issue 20, decision 045): a merchant cannot buy its way up the feed by buying from itself.
-- The feed's conversion signal read merchant_product_days.paid_units, which counts a paid order
-- whose buyer is the shop's owner or staff (the log row's data.self, set at ingestion), and its
-- best-seller pools were ordered by the trading store's products.sales, which counts them too.
-- Now the product-days keep the self-purchased units beside the paid units (the merchant's BI
-- still shows every unit paid; the feed reads paid_units - self_units), and product_sales holds
-- each product's paid units without self-purchases since the log began: the feed's best sellers,
-- overall, per category and per shop, each read by its index's first rows.
ALTER TABLE merchant_product_days ADD COLUMN self_units INTEGER NOT NULL DEFAULT 0;
CREATE TABLE product_sales(
  product_id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  category TEXT NOT NULL DEFAULT '',  -- as the newest counted purchase logged it
  units INTEGER NOT NULL DEFAULT 0    -- paid units, self-purchases left out
);
CREATE INDEX product_sales_top ON product_sales(units DESC, product_id);
CREATE INDEX product_sales_category ON product_sales(category, units DESC, product_id);
CREATE INDEX product_sales_merchant ON product_sales(merchant_id, units DESC, product_id);
-- The rows projected before this migration: filled from the log at start (insight.cc
-- FillFeedSales, the 'feed_sales' key), as the projection would have written them.
INSERT INTO meta(key, value) VALUES('feed_sales', 'fill') ON CONFLICT(key) DO UPDATE SET value = 'fill';
