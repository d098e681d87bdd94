-- PostgreSQL twin of ../032_community.sql (same meaning; docs/scale-out.md).
-- Community group buying (社区团购, SPEC §7; issue 17; decision 022): leaders (团长) and their
-- pickup points (自提点), campaigns (团购活动) with community prices and their own stock, the
-- orders placed through a leader, one consolidated batch per (campaign, pickup point), pickup
-- codes and what was picked up, the leaders' commission and withdrawals.
--
-- Distribution columns (docs/scale-out.md, Citus): every table a shop owns carries merchant_id;
-- a child row takes its parent's (store/colocation.cc). A pickup point is the leader's, not a
-- shop's (one point serves several merchants): it carries leader_user_id, the buyer group.

-- A pickup point: the leader's place (a shop, a garage, a doorway). Coordinates in millionths
-- of a degree: the store keeps no floating point.
CREATE TABLE community_pickup_points(
  id BIGINT PRIMARY KEY,
  leader_user_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  address TEXT NOT NULL,
  hours TEXT NOT NULL DEFAULT '',
  latitude_e6 BIGINT NOT NULL CHECK(latitude_e6 BETWEEN -90000000 AND 90000000),
  longitude_e6 BIGINT NOT NULL CHECK(longitude_e6 BETWEEN -180000000 AND 180000000),
  capacity BIGINT NOT NULL CHECK(capacity > 0),  -- parcels the point can hold at once
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);
CREATE INDEX community_pickup_points_leader ON community_pickup_points(leader_user_id, id);

-- A user leading for one merchant at one of their pickup points. `code` is the attribution
-- code in the leader's links (12 base62 characters: never the user's id). One role per user
-- per merchant: applying again after it ended or was rejected reopens the same row.
CREATE TABLE community_leaders(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  pickup_point_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  phone TEXT NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('pending','active','suspended','ended','rejected')),
  code TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX community_leaders_one_per_merchant ON community_leaders(user_id, merchant_id);
CREATE UNIQUE INDEX community_leaders_code ON community_leaders(code, merchant_id);
CREATE INDEX community_leaders_merchant ON community_leaders(merchant_id, status, id);
CREATE INDEX community_leaders_point ON community_leaders(pickup_point_id);

-- A campaign: products at community prices with their own stock, open from starts_at until the
-- cutoff (decided by commit time: an order whose transaction runs at or after the cutoff is
-- refused). `status` moves open → consolidated (the cutoff timer) or open → cancelled.
-- Unpicked orders, `unpicked_days` after their batch arrived: refunded or completed (rule).
CREATE TABLE community_campaigns(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  title TEXT NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('open','consolidated','cancelled')),
  starts_at_ms BIGINT NOT NULL,
  cutoff_at_ms BIGINT NOT NULL CHECK(cutoff_at_ms > starts_at_ms),
  pickup_date TEXT NOT NULL,             -- YYYY-MM-DD, the expected pickup day
  commission_bps BIGINT NOT NULL CHECK(commission_bps BETWEEN 0 AND 5000),
  unpicked_days BIGINT NOT NULL CHECK(unpicked_days BETWEEN 1 AND 30),
  unpicked_rule TEXT NOT NULL CHECK(unpicked_rule IN ('refund','complete')),
  orders BIGINT NOT NULL DEFAULT 0 CHECK(orders >= 0),
  consolidated_at_ms BIGINT,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);
CREATE INDEX community_campaigns_merchant ON community_campaigns(merchant_id, id);

-- A campaign's products: the community price, the campaign's stock and what orders hold of it
-- (`sold`: created and paid orders; a cancelled unpaid order gives back, a refund does not:
-- the goods are perishable). The CHECK makes an oversold campaign impossible to store.
CREATE TABLE community_campaign_items(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  campaign_id BIGINT NOT NULL,
  sku_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  price_fen BIGINT NOT NULL CHECK(price_fen > 0),
  stock BIGINT NOT NULL CHECK(stock >= 0),
  sold BIGINT NOT NULL DEFAULT 0 CHECK(sold >= 0 AND sold <= stock),
  commission_bps BIGINT CHECK(commission_bps IS NULL OR commission_bps BETWEEN 0 AND 5000)  -- NULL: the campaign's
);
CREATE UNIQUE INDEX community_campaign_items_sku ON community_campaign_items(campaign_id, sku_id, merchant_id);

-- One consolidated shipment per (campaign, pickup point), made at the cutoff: shipped by the
-- merchant with one tracking number, marked arrived by the leader (the pickup window starts).
CREATE TABLE community_batches(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  campaign_id BIGINT NOT NULL,
  pickup_point_id BIGINT NOT NULL,
  leader_id BIGINT NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('consolidated','shipped','arrived')),
  carrier TEXT NOT NULL DEFAULT '',
  tracking_no TEXT NOT NULL DEFAULT '',
  shipped_at_ms BIGINT,
  arrived_at_ms BIGINT,
  pickup_deadline_ms BIGINT,            -- arrived + the campaign's unpicked_days
  created_at_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX community_batches_one_per_point ON community_batches(campaign_id, pickup_point_id, merchant_id);
CREATE INDEX community_batches_leader ON community_batches(leader_id, id);
CREATE INDEX community_batches_merchant ON community_batches(merchant_id, id);

-- An order placed through a leader: its campaign, leader and pickup point, its batch (set once,
-- at the cutoff), its pickup code (6 digits, unique among the point's open orders of the
-- merchant) and where its pickup stands. `is_open` is 1 until the order is picked up in full,
-- refunded or completed: only open orders hold their code.
CREATE TABLE community_orders(
  order_id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  campaign_id BIGINT NOT NULL,
  leader_id BIGINT NOT NULL,
  pickup_point_id BIGINT NOT NULL,
  buyer_id BIGINT NOT NULL,
  batch_id BIGINT,
  pickup_code TEXT NOT NULL,
  is_open BIGINT NOT NULL DEFAULT 1 CHECK(is_open IN (0,1)),
  picked_fen BIGINT NOT NULL DEFAULT 0 CHECK(picked_fen >= 0),
  commission_fen BIGINT NOT NULL DEFAULT 0 CHECK(commission_fen >= 0),  -- posted at completion
  picked_at_ms BIGINT,                  -- the last pickup
  reminded_at_ms BIGINT,
  created_at_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX community_orders_code ON community_orders(pickup_point_id, pickup_code, merchant_id) WHERE is_open = 1;
CREATE INDEX community_orders_campaign ON community_orders(campaign_id, pickup_point_id);
CREATE INDEX community_orders_batch ON community_orders(batch_id);
CREATE INDEX community_orders_leader ON community_orders(leader_id, order_id);

-- An order's lines as the pickup sees them: how many units, how many handed over, the line's
-- commission rate (the product's override, else the campaign's, fixed when ordered).
CREATE TABLE community_order_items(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  order_id BIGINT NOT NULL,
  sku_id BIGINT NOT NULL,
  unit_price_fen BIGINT NOT NULL,
  quantity BIGINT NOT NULL CHECK(quantity > 0),
  picked BIGINT NOT NULL DEFAULT 0 CHECK(picked >= 0 AND picked <= quantity),
  commission_bps BIGINT NOT NULL
);
CREATE UNIQUE INDEX community_order_items_line ON community_order_items(order_id, sku_id, merchant_id);

-- Each verification of a pickup code: which units were handed over, by which leader.
CREATE TABLE community_pickups(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  order_id BIGINT NOT NULL,
  leader_id BIGINT NOT NULL,
  items TEXT NOT NULL,                   -- [{sku_id, quantity}], JSON
  amount_fen BIGINT NOT NULL,
  picked_at_ms BIGINT NOT NULL
);
CREATE INDEX community_pickups_order ON community_pickups(order_id);

-- A leader's withdrawals from leader:<id> (ledger), newest last.
CREATE TABLE community_withdrawals(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  leader_id BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL CHECK(amount_fen > 0),
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX community_withdrawals_leader ON community_withdrawals(leader_id, id);
