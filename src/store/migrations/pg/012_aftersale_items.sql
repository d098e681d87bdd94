-- PostgreSQL twin of ../012_aftersale_items.sql (same meaning; docs/scale-out.md).
-- What a return brings back: the units of each SKU of the order that an after-sales request
-- of type return_refund covers (ReceiveReturn restocks exactly these). One row per SKU.
CREATE TABLE aftersale_items(
  aftersale_id BIGINT NOT NULL,
  order_id BIGINT NOT NULL,
  sku_id BIGINT NOT NULL,
  quantity BIGINT NOT NULL CHECK(quantity > 0),
  PRIMARY KEY(aftersale_id, sku_id)
);
CREATE INDEX aftersale_items_order ON aftersale_items(order_id);
-- Requests made before items existed returned the whole order.
INSERT INTO aftersale_items(aftersale_id, order_id, sku_id, quantity)
  SELECT a.id, a.order_id, oi.sku_id, SUM(oi.quantity) FROM aftersales a JOIN order_items oi ON oi.order_id = a.order_id
  WHERE a.type = 'return_refund' GROUP BY a.id, a.order_id, oi.sku_id;
