-- Social trading (promo): activities (group buy, flash sale, bargain), groups, the orders
-- bought in an activity, bargains with their helps, coupons and the buyers' coupons.
-- Every counter below is changed only by guarded UPDATEs inside the single writer, and the
-- CHECKs make an over-filled group, an oversold flash sale or an over-issued coupon
-- impossible to store even if a guard were wrong.
CREATE TABLE activities(
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  type TEXT NOT NULL CHECK(type IN ('group_buy','flash_sale','bargain')),
  sku_id INTEGER NOT NULL,
  product_id INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK(status IN ('active','stopped')),
  starts_at_ms INTEGER NOT NULL,
  ends_at_ms INTEGER NOT NULL,
  config TEXT NOT NULL,                   -- type-specific settings (prices, sizes), JSON
  stock_total INTEGER NOT NULL DEFAULT 0, -- flash sale: the activity's own stock
  stock_left INTEGER NOT NULL DEFAULT 0 CHECK(stock_left >= 0 AND stock_left <= stock_total),
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX activities_merchant ON activities(merchant_id, id);
CREATE INDEX activities_product ON activities(product_id, id);

-- A group of a group buy. seats_taken counts member orders created or paid.
CREATE TABLE promo_groups(
  id INTEGER PRIMARY KEY,
  activity_id INTEGER NOT NULL,
  product_id INTEGER NOT NULL,
  leader_id INTEGER NOT NULL,
  size INTEGER NOT NULL CHECK(size >= 2),
  seats_taken INTEGER NOT NULL DEFAULT 0 CHECK(seats_taken >= 0 AND seats_taken <= size),
  paid_members INTEGER NOT NULL DEFAULT 0 CHECK(paid_members >= 0 AND paid_members <= seats_taken),
  status TEXT NOT NULL CHECK(status IN ('forming','succeeded','failed')),
  expires_at_ms INTEGER NOT NULL,
  timer_id INTEGER,
  created_at_ms INTEGER NOT NULL,
  ended_at_ms INTEGER
);
CREATE INDEX promo_groups_product ON promo_groups(product_id, status, expires_at_ms);
CREATE INDEX promo_groups_activity ON promo_groups(activity_id);

-- One row per order bought in an activity. state: created → paid, or cancelled (the seat,
-- the flash stock and the per-user allowance come back).
CREATE TABLE activity_orders(
  order_id INTEGER PRIMARY KEY,
  activity_id INTEGER NOT NULL,
  buyer_id INTEGER NOT NULL,
  quantity INTEGER NOT NULL CHECK(quantity > 0),
  group_id INTEGER,
  bargain_id INTEGER,
  state TEXT NOT NULL CHECK(state IN ('created','paid','cancelled')),
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX activity_orders_buyer ON activity_orders(activity_id, buyer_id);
CREATE INDEX activity_orders_group ON activity_orders(group_id);
-- A buyer holds at most one seat in a group.
CREATE UNIQUE INDEX activity_orders_one_seat ON activity_orders(group_id, buyer_id)
  WHERE group_id IS NOT NULL AND state <> 'cancelled';

-- Bargains: the cut schedule is derived from `seed` (see promo/bargain.cc).
CREATE TABLE bargains(
  id INTEGER PRIMARY KEY,
  activity_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  sku_id INTEGER NOT NULL,
  list_price_fen INTEGER NOT NULL,
  floor_price_fen INTEGER NOT NULL,
  current_price_fen INTEGER NOT NULL CHECK(current_price_fen >= floor_price_fen),
  helps_needed INTEGER NOT NULL CHECK(helps_needed > 0),
  helps_done INTEGER NOT NULL DEFAULT 0 CHECK(helps_done >= 0 AND helps_done <= helps_needed),
  seed INTEGER NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('active','bought','expired')),
  order_id INTEGER,
  expires_at_ms INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL
);
-- One running bargain per buyer per activity.
CREATE UNIQUE INDEX bargains_one_active ON bargains(activity_id, user_id) WHERE status = 'active';
CREATE TABLE bargain_helps(
  id INTEGER PRIMARY KEY,
  bargain_id INTEGER NOT NULL,
  helper_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  cut_fen INTEGER NOT NULL CHECK(cut_fen >= 1),
  day INTEGER NOT NULL,                   -- the helper's calendar day (China time), for the daily cap
  created_at_ms INTEGER NOT NULL,
  UNIQUE(bargain_id, helper_id),
  UNIQUE(bargain_id, seq)
);
CREATE INDEX bargain_helps_helper_day ON bargain_helps(helper_id, day);

-- Coupon templates: a merchant's (merchant_id set) or the platform's (merchant_id NULL).
CREATE TABLE coupons(
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER,
  title TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL CHECK(kind IN ('fixed','percent','threshold')),
  amount_fen INTEGER NOT NULL DEFAULT 0,
  percent_bps INTEGER NOT NULL DEFAULT 0,
  cap_fen INTEGER NOT NULL DEFAULT 0,
  min_spend_fen INTEGER NOT NULL DEFAULT 0,
  total_quota INTEGER NOT NULL CHECK(total_quota > 0),
  claimed INTEGER NOT NULL DEFAULT 0 CHECK(claimed >= 0 AND claimed <= total_quota),
  per_user_limit INTEGER NOT NULL CHECK(per_user_limit > 0),
  scope TEXT NOT NULL,                    -- {"type":"merchant"|"sku"|"category"|"platform",...}
  valid_from_ms INTEGER,
  valid_to_ms INTEGER,
  valid_days INTEGER,
  status TEXT NOT NULL DEFAULT 'active' CHECK(status IN ('active','stopped')),
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX coupons_merchant ON coupons(merchant_id, id);
CREATE TABLE user_coupons(
  id INTEGER PRIMARY KEY,
  coupon_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('unused','used')),
  valid_from_ms INTEGER NOT NULL,
  valid_to_ms INTEGER NOT NULL,
  order_id INTEGER,
  claimed_at_ms INTEGER NOT NULL,
  used_at_ms INTEGER
);
CREATE INDEX user_coupons_user ON user_coupons(user_id, id);
CREATE INDEX user_coupons_coupon ON user_coupons(coupon_id, user_id);
CREATE INDEX user_coupons_order ON user_coupons(order_id);
