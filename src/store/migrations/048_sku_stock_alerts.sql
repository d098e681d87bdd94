-- 048 (issue 19, decision 035): a SKU's low-stock threshold. When a sale, a live room's
-- allocation or the shop's own stock change takes the SKU's available stock from at least the
-- threshold to below it, the same transaction appends one `stock.low` event (a webhook type,
-- open/open.h); later sales below it append nothing until the stock is back at or above it.
-- merchant_id is the SKU's (the distribution column).
CREATE TABLE sku_stock_alerts(
  sku_id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  threshold INTEGER NOT NULL CHECK(threshold > 0),
  updated_at_ms INTEGER NOT NULL
);
CREATE INDEX sku_stock_alerts_merchant ON sku_stock_alerts(merchant_id, sku_id);
