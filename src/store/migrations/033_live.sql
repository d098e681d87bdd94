-- Live commerce (直播带货, SPEC §8; issue 18; decision 024): rooms (scheduled → live → ended, or
-- cancelled) with a host, a stream URL and a cover; the room's products with a live price and
-- live stock allocated from the SKU's stock when the room goes live and given back when it
-- ends; reminders (预约), orders attributed to a room, and comments (弹幕) kept for the replay.
--
-- Stock conservation with allocations: a SKU's units are available (stock), held by unpaid
-- orders (reserved), sold, or allocated to live rooms (allocated):
--   stock_in = stock + reserved + sold + allocated
-- and the units a live room holds (allocated - sold - returned of its products) sum, per SKU,
-- to skus.allocated (`xiaodian check`, live_ok).
--
-- Distribution columns (docs/scale-out.md, Citus): every table carries merchant_id.

ALTER TABLE skus ADD COLUMN allocated INTEGER NOT NULL DEFAULT 0 CHECK(allocated >= 0);

-- A room. `status` moves only as live/states.cc's table allows; `pinned_sku_id` is the product
-- being presented (讲解中), at most one.
CREATE TABLE live_rooms(
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  host_user_id INTEGER NOT NULL,         -- a staff member of the merchant
  title TEXT NOT NULL,
  cover TEXT NOT NULL DEFAULT '',
  stream_url TEXT NOT NULL,              -- the merchant's streaming service plays the video
  status TEXT NOT NULL CHECK(status IN ('scheduled','live','ended','cancelled')),
  starts_at_ms INTEGER NOT NULL,         -- announced start
  started_at_ms INTEGER,
  ended_at_ms INTEGER,
  pinned_sku_id INTEGER,
  pinned_at_ms INTEGER,
  reminders INTEGER NOT NULL DEFAULT 0 CHECK(reminders >= 0),
  orders INTEGER NOT NULL DEFAULT 0 CHECK(orders >= 0),
  likes INTEGER NOT NULL DEFAULT 0 CHECK(likes >= 0),
  comments INTEGER NOT NULL DEFAULT 0 CHECK(comments >= 0),
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
CREATE INDEX live_rooms_merchant ON live_rooms(merchant_id, id);
CREATE INDEX live_rooms_status ON live_rooms(status, starts_at_ms);

-- A room's product: the live price, the stock asked for (live_stock), what was allocated when
-- the room went live (at most live_stock: what the SKU had), what orders took from it (sold, net
-- of cancelled orders) and what went back to the SKU (returned: at the end, or an order
-- cancelled after it). Left in the room: allocated - sold - returned.
CREATE TABLE live_room_products(
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  room_id INTEGER NOT NULL,
  sku_id INTEGER NOT NULL,
  product_id INTEGER NOT NULL,
  position INTEGER NOT NULL,
  live_price_fen INTEGER NOT NULL CHECK(live_price_fen > 0),
  live_stock INTEGER NOT NULL CHECK(live_stock >= 0),
  allocated INTEGER NOT NULL DEFAULT 0 CHECK(allocated >= 0),
  sold INTEGER NOT NULL DEFAULT 0 CHECK(sold >= 0),
  returned INTEGER NOT NULL DEFAULT 0 CHECK(returned >= 0),
  CHECK(sold + returned <= allocated)
);
CREATE UNIQUE INDEX live_room_products_sku ON live_room_products(room_id, sku_id);

-- 预约: a viewer asks to be told when the room goes live (notified_at_ms then).
CREATE TABLE live_reminders(
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  room_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  notified_at_ms INTEGER
);
CREATE UNIQUE INDEX live_reminders_once ON live_reminders(room_id, user_id);
CREATE INDEX live_reminders_user ON live_reminders(user_id, id);

-- An order placed in a room (its lines are the order's items).
CREATE TABLE live_orders(
  order_id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  room_id INTEGER NOT NULL,
  buyer_id INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX live_orders_room ON live_orders(room_id, order_id);

-- Comments (弹幕), kept for the room's replay list.
CREATE TABLE live_comments(
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  room_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  nickname TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX live_comments_room ON live_comments(room_id, id);
