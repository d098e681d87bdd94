-- PostgreSQL twin of ../004_trade.sql (same meaning; docs/scale-out.md).
-- Cart, orders, after-sales.
CREATE TABLE cart_items(
  id BIGINT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  sku_id BIGINT NOT NULL,
  quantity BIGINT NOT NULL CHECK(quantity > 0),
  created_at_ms BIGINT NOT NULL,
  UNIQUE(user_id, sku_id)
);
CREATE TABLE orders(
  id BIGINT PRIMARY KEY,
  buyer_id BIGINT NOT NULL,
  merchant_id BIGINT NOT NULL,
  merchant_kind TEXT NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('created','paid','shipped','delivered','completed','cancelled','refunding','refunded')),
  sub_status TEXT NOT NULL DEFAULT '',
  status_before_refund TEXT NOT NULL DEFAULT '',
  items_fen BIGINT NOT NULL,
  discount_fen BIGINT NOT NULL DEFAULT 0,
  shipping_fen BIGINT NOT NULL DEFAULT 0,
  total_fen BIGINT NOT NULL CHECK(total_fen >= 0),
  provider_paid_fen BIGINT NOT NULL DEFAULT 0,
  card_paid_fen BIGINT NOT NULL DEFAULT 0,
  refunded_fen BIGINT NOT NULL DEFAULT 0,
  commission_fen BIGINT NOT NULL DEFAULT 0,
  address TEXT NOT NULL,
  pricing TEXT NOT NULL,
  activity TEXT NOT NULL DEFAULT 'null',
  payment_id BIGINT,
  checkout_id BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  paid_at_ms BIGINT,
  shipped_at_ms BIGINT,
  delivered_at_ms BIGINT,
  completed_at_ms BIGINT,
  cancelled_at_ms BIGINT,
  updated_at_ms BIGINT NOT NULL
);
CREATE INDEX orders_buyer ON orders(buyer_id, id);
CREATE INDEX orders_merchant ON orders(merchant_id, id);
CREATE INDEX orders_status ON orders(status);
CREATE TABLE order_items(
  id BIGINT PRIMARY KEY,
  order_id BIGINT NOT NULL,
  sku_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  title TEXT NOT NULL,
  spec TEXT NOT NULL,
  image TEXT NOT NULL DEFAULT '',
  unit_price_fen BIGINT NOT NULL,
  quantity BIGINT NOT NULL,
  line_fen BIGINT NOT NULL
);
CREATE INDEX order_items_order ON order_items(order_id);
CREATE TABLE aftersales(
  id BIGINT PRIMARY KEY,
  order_id BIGINT NOT NULL,
  buyer_id BIGINT NOT NULL,
  merchant_id BIGINT NOT NULL,
  type TEXT NOT NULL CHECK(type IN ('refund_only','return_refund')),
  amount_fen BIGINT NOT NULL CHECK(amount_fen > 0),
  reason TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL CHECK(status IN ('pending','awaiting_return','returned','refunding','refunded','rejected')),
  return_carrier TEXT NOT NULL DEFAULT '',
  return_tracking_no TEXT NOT NULL DEFAULT '',
  reject_reason TEXT NOT NULL DEFAULT '',
  refund_id BIGINT,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);
CREATE INDEX aftersales_order ON aftersales(order_id);
CREATE INDEX aftersales_merchant ON aftersales(merchant_id, id);
-- Shipments and tracking (logistics flow).
CREATE TABLE shipments(
  id BIGINT PRIMARY KEY,
  order_id BIGINT NOT NULL UNIQUE,
  merchant_id BIGINT NOT NULL,
  carrier TEXT NOT NULL,
  tracking_no TEXT NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('in_transit','delivered')),
  created_at_ms BIGINT NOT NULL,
  delivered_at_ms BIGINT
);
CREATE TABLE tracking_events(
  id BIGINT PRIMARY KEY,
  shipment_id BIGINT NOT NULL,
  description TEXT NOT NULL,
  at_ms BIGINT NOT NULL
);
CREATE INDEX tracking_events_shipment ON tracking_events(shipment_id, id);
