-- PostgreSQL twin of ../006_promo.sql (same meaning; docs/scale-out.md).
-- Social trading (promo): activities (group buy, flash sale, bargain), groups, the orders
-- bought in an activity, bargains with their helps, coupons and the buyers' coupons.
-- Every counter below is changed only by guarded UPDATEs inside the single writer, and the
-- CHECKs make an over-filled group, an oversold flash sale or an over-issued coupon
-- impossible to store even if a guard were wrong.
CREATE TABLE activities(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  type TEXT NOT NULL CHECK(type IN ('group_buy','flash_sale','bargain')),
  sku_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK(status IN ('active','stopped')),
  starts_at_ms BIGINT NOT NULL,
  ends_at_ms BIGINT NOT NULL,
  config JSONB NOT NULL,                  -- type-specific settings (prices, sizes); queried
  stock_total BIGINT NOT NULL DEFAULT 0, -- flash sale: the activity's own stock
  stock_left BIGINT NOT NULL DEFAULT 0 CHECK(stock_left >= 0 AND stock_left <= stock_total),
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX activities_merchant ON activities(merchant_id, id);
CREATE INDEX activities_product ON activities(product_id, id);

-- A group of a group buy. seats_taken counts member orders created or paid.
CREATE TABLE promo_groups(
  id BIGINT PRIMARY KEY,
  activity_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  leader_id BIGINT NOT NULL,
  size BIGINT NOT NULL CHECK(size >= 2),
  seats_taken BIGINT NOT NULL DEFAULT 0 CHECK(seats_taken >= 0 AND seats_taken <= size),
  paid_members BIGINT NOT NULL DEFAULT 0 CHECK(paid_members >= 0 AND paid_members <= seats_taken),
  status TEXT NOT NULL CHECK(status IN ('forming','succeeded','failed')),
  expires_at_ms BIGINT NOT NULL,
  timer_id BIGINT,
  created_at_ms BIGINT NOT NULL,
  ended_at_ms BIGINT
);
CREATE INDEX promo_groups_product ON promo_groups(product_id, status, expires_at_ms);
CREATE INDEX promo_groups_activity ON promo_groups(activity_id);

-- One row per order bought in an activity. state: created → paid, or cancelled (the seat,
-- the flash stock and the per-user allowance come back).
CREATE TABLE activity_orders(
  order_id BIGINT PRIMARY KEY,
  activity_id BIGINT NOT NULL,
  buyer_id BIGINT NOT NULL,
  quantity BIGINT NOT NULL CHECK(quantity > 0),
  group_id BIGINT,
  bargain_id BIGINT,
  state TEXT NOT NULL CHECK(state IN ('created','paid','cancelled')),
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX activity_orders_buyer ON activity_orders(activity_id, buyer_id);
CREATE INDEX activity_orders_group ON activity_orders(group_id);
-- A buyer holds at most one seat in a group.
CREATE UNIQUE INDEX activity_orders_one_seat ON activity_orders(group_id, buyer_id)
  WHERE group_id IS NOT NULL AND state <> 'cancelled';

-- Bargains: the cut schedule is derived from `seed` (see promo/bargain.cc).
CREATE TABLE bargains(
  id BIGINT PRIMARY KEY,
  activity_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  sku_id BIGINT NOT NULL,
  list_price_fen BIGINT NOT NULL,
  floor_price_fen BIGINT NOT NULL,
  current_price_fen BIGINT NOT NULL CHECK(current_price_fen >= floor_price_fen),
  helps_needed BIGINT NOT NULL CHECK(helps_needed > 0),
  helps_done BIGINT NOT NULL DEFAULT 0 CHECK(helps_done >= 0 AND helps_done <= helps_needed),
  seed BIGINT NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('active','bought','expired')),
  order_id BIGINT,
  expires_at_ms BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL
);
-- One running bargain per buyer per activity.
CREATE UNIQUE INDEX bargains_one_active ON bargains(activity_id, user_id) WHERE status = 'active';
CREATE TABLE bargain_helps(
  id BIGINT PRIMARY KEY,
  bargain_id BIGINT NOT NULL,
  helper_id BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  cut_fen BIGINT NOT NULL CHECK(cut_fen >= 1),
  day BIGINT NOT NULL,                   -- the helper's calendar day (China time), for the daily cap
  created_at_ms BIGINT NOT NULL,
  UNIQUE(bargain_id, helper_id),
  UNIQUE(bargain_id, seq)
);
CREATE INDEX bargain_helps_helper_day ON bargain_helps(helper_id, day);

-- Coupon templates: a merchant's (merchant_id set) or the platform's (merchant_id NULL).
CREATE TABLE coupons(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT,
  title TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL CHECK(kind IN ('fixed','percent','threshold')),
  amount_fen BIGINT NOT NULL DEFAULT 0,
  percent_bps BIGINT NOT NULL DEFAULT 0,
  cap_fen BIGINT NOT NULL DEFAULT 0,
  min_spend_fen BIGINT NOT NULL DEFAULT 0,
  total_quota BIGINT NOT NULL CHECK(total_quota > 0),
  claimed BIGINT NOT NULL DEFAULT 0 CHECK(claimed >= 0 AND claimed <= total_quota),
  per_user_limit BIGINT NOT NULL CHECK(per_user_limit > 0),
  scope TEXT NOT NULL,                    -- {"type":"merchant"|"sku"|"category"|"platform",...}
  valid_from_ms BIGINT,
  valid_to_ms BIGINT,
  valid_days BIGINT,
  status TEXT NOT NULL DEFAULT 'active' CHECK(status IN ('active','stopped')),
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX coupons_merchant ON coupons(merchant_id, id);
CREATE TABLE user_coupons(
  id BIGINT PRIMARY KEY,
  coupon_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('unused','used')),
  valid_from_ms BIGINT NOT NULL,
  valid_to_ms BIGINT NOT NULL,
  order_id BIGINT,
  claimed_at_ms BIGINT NOT NULL,
  used_at_ms BIGINT
);
CREATE INDEX user_coupons_user ON user_coupons(user_id, id);
CREATE INDEX user_coupons_coupon ON user_coupons(coupon_id, user_id);
CREATE INDEX user_coupons_order ON user_coupons(order_id);
