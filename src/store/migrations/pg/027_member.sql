-- PostgreSQL twin of ../027_member.sql (same meaning; docs/scale-out.md).
-- O2O membership cards (会员卡, SPEC §6; issue 16): a merchant's physical stores, its one card
-- programme, the buyers' cards and their points journal. Every table is the merchant's
-- (distributed by merchant_id, docs/scale-out.md): a card with its programme, a journal entry
-- with its card (store/colocation.cc).
--
-- The programme's `issued` counter is changed only by a guarded UPDATE (issued < issue_limit)
-- and the CHECK makes an over-issued programme impossible to store; one card per buyer per
-- merchant is a unique index, so a second claim finds the first card instead of making one.
CREATE TABLE member_programmes(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  title TEXT NOT NULL,
  cover_color TEXT NOT NULL,
  levels TEXT NOT NULL,                  -- [{name, growth_threshold, discount_bps, points_multiplier_bps, benefits}], JSON
  points_per_yuan BIGINT NOT NULL CHECK(points_per_yuan >= 0),
  points_validity_days BIGINT NOT NULL CHECK(points_validity_days >= 0),  -- 0: points never expire
  issue_limit BIGINT CHECK(issue_limit IS NULL OR issue_limit > 0),      -- NULL: no limit
  issued BIGINT NOT NULL DEFAULT 0 CHECK(issued >= 0 AND (issue_limit IS NULL OR issued <= issue_limit)),
  claim_token TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX member_programmes_merchant ON member_programmes(merchant_id);
CREATE UNIQUE INDEX member_programmes_token ON member_programmes(claim_token);

-- A merchant's physical store (门店). Coordinates in millionths of a degree: the store keeps
-- no floating point. A deleted store keeps its row (cards name the store they were claimed in)
-- and its claim link stops working.
CREATE TABLE member_stores(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  address TEXT NOT NULL,
  opening_hours TEXT NOT NULL DEFAULT '',
  latitude_e6 BIGINT NOT NULL CHECK(latitude_e6 BETWEEN -90000000 AND 90000000),
  longitude_e6 BIGINT NOT NULL CHECK(longitude_e6 BETWEEN -180000000 AND 180000000),
  claim_token TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK(status IN ('open','deleted')),
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);
CREATE INDEX member_stores_merchant ON member_stores(merchant_id, id);
CREATE UNIQUE INDEX member_stores_token ON member_stores(claim_token);

-- A buyer's card at a merchant. `points` and `growth` are the sums of the card's journal
-- (`xiaodian check` compares them); `level` is an index into the programme's levels (clamped
-- when levels are removed), raised at once when growth crosses a threshold, never lowered here.
CREATE TABLE member_cards(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  programme_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  card_no TEXT NOT NULL,                 -- 10 digits, the number a POS reads before the code's MAC
  level BIGINT NOT NULL DEFAULT 0 CHECK(level >= 0),
  points BIGINT NOT NULL DEFAULT 0 CHECK(points >= 0),
  growth BIGINT NOT NULL DEFAULT 0 CHECK(growth >= 0),
  store_id BIGINT,                      -- the store whose link it was claimed through
  claimed_at_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX member_cards_one_per_buyer ON member_cards(user_id, merchant_id);
CREATE UNIQUE INDEX member_cards_number ON member_cards(merchant_id, card_no);
CREATE INDEX member_cards_programme ON member_cards(programme_id, id);

-- Points and growth, append-only: a card's balance is the sum of its entries. An order earns
-- once (the partial unique index); each refund of it reverses its share.
CREATE TABLE member_points_journal(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  card_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  kind TEXT NOT NULL CHECK(kind IN ('order_paid','order_refunded')),
  order_id BIGINT,
  points BIGINT NOT NULL,
  growth BIGINT NOT NULL,
  expires_at_ms BIGINT,                 -- earned points: when they lapse (NULL: never)
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX member_points_card ON member_points_journal(card_id, id);
CREATE INDEX member_points_order ON member_points_journal(order_id, kind);
CREATE UNIQUE INDEX member_points_one_earn ON member_points_journal(order_id, merchant_id) WHERE kind = 'order_paid';

-- The member-code signing secret: configured (serve --member-code-secret), else generated at
-- random once per store and kept here, so every node signs and verifies with the same key.
CREATE TABLE member_config(name TEXT PRIMARY KEY, value TEXT NOT NULL);
