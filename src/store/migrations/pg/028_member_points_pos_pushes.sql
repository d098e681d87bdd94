-- PostgreSQL twin of ../028_member_points_pos_pushes.sql (same meaning; docs/scale-out.md).
-- Membership cards, the rest of issue 16: the points journal's full set of kinds (earned at
-- completion, redeemed at checkout, offline purchases, expiry, adjustments, referral bonuses)
-- and its debt column, per-SKU member prices, the POS API's purchases, pushes to members with
-- their inbox, and card sharing (decision 018).

-- The journal gains kinds and columns (PostgreSQL alters the CHECK in place).
--  debt: what an entry adds to the card's points debt (a refund that finds its points spent
--        records the rest here; later earnings pay it first, entry points = earned - paid);
--  ref_id: the POS purchase, referral or push the entry belongs to;
--  note, actor_id: an adjustment's reason and the staff member who made it (audited).
ALTER TABLE member_points_journal DROP CONSTRAINT member_points_journal_kind_check;
ALTER TABLE member_points_journal ADD CONSTRAINT member_points_journal_kind_check
  CHECK(kind IN ('order_paid','order_completed','order_refunded','redeemed',
    'redeem_returned','pos_purchase','pos_refunded','expired','adjusted','referral_bonus','level_review'));
ALTER TABLE member_points_journal ADD COLUMN debt BIGINT NOT NULL DEFAULT 0;
ALTER TABLE member_points_journal ADD COLUMN ref_id BIGINT;
ALTER TABLE member_points_journal ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE member_points_journal ADD COLUMN actor_id BIGINT;
-- An order earns once at completion and redeems once at checkout; a POS purchase earns once.
CREATE UNIQUE INDEX member_points_one_completion ON member_points_journal(order_id, merchant_id) WHERE kind = 'order_completed';
CREATE UNIQUE INDEX member_points_one_redemption ON member_points_journal(order_id, merchant_id) WHERE kind = 'redeemed';
CREATE UNIQUE INDEX member_points_one_pos ON member_points_journal(ref_id, merchant_id) WHERE kind = 'pos_purchase';
-- Expiry finds the lots that lapsed since a card's last sweep.
CREATE INDEX member_points_expiry ON member_points_journal(expires_at_ms) WHERE expires_at_ms IS NOT NULL;

-- Cards: the points debt (sum of the journal's debt, never negative); the growth at the start
-- of the current review year (levels follow growth - growth_base) and when that year is
-- reviewed; how far expiry has swept; spend online and offline; the opt-out of the merchant's
-- pushes; the card's share link and who referred it.
ALTER TABLE member_cards ADD COLUMN points_debt BIGINT NOT NULL DEFAULT 0 CHECK(points_debt >= 0);
ALTER TABLE member_cards ADD COLUMN growth_base BIGINT NOT NULL DEFAULT 0;
ALTER TABLE member_cards ADD COLUMN review_at_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE member_cards ADD COLUMN expiry_swept_at_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE member_cards ADD COLUMN online_spend_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE member_cards ADD COLUMN offline_spend_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE member_cards ADD COLUMN pushes_opted_out_at_ms BIGINT;
ALTER TABLE member_cards ADD COLUMN share_token TEXT;
ALTER TABLE member_cards ADD COLUMN referrer_card_id BIGINT;
UPDATE member_cards SET review_at_ms = claimed_at_ms + 31536000000;
CREATE INDEX member_cards_review ON member_cards(review_at_ms);
CREATE UNIQUE INDEX member_cards_share_token ON member_cards(share_token) WHERE share_token IS NOT NULL;

-- The programme's redemption (points per yuan off, 0: off; the cap as a share of the order in
-- bps), its push cap per member per 7 days (platform maximum 4) and the referrer's bonus.
ALTER TABLE member_programmes ADD COLUMN redeem_points_per_yuan BIGINT NOT NULL DEFAULT 0 CHECK(redeem_points_per_yuan >= 0);
ALTER TABLE member_programmes ADD COLUMN redeem_cap_bps BIGINT NOT NULL DEFAULT 0 CHECK(redeem_cap_bps BETWEEN 0 AND 10000);
ALTER TABLE member_programmes ADD COLUMN push_cap_per_week BIGINT NOT NULL DEFAULT 2 CHECK(push_cap_per_week BETWEEN 0 AND 4);
ALTER TABLE member_programmes ADD COLUMN referral_bonus_points BIGINT NOT NULL DEFAULT 0 CHECK(referral_bonus_points >= 0);

-- Per-SKU member prices: a member pays this for the SKU (when lower than its price), instead
-- of the level discount on that line.
CREATE TABLE member_sku_prices(
  sku_id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  price_fen BIGINT NOT NULL CHECK(price_fen > 0),
  updated_at_ms BIGINT NOT NULL
);
CREATE INDEX member_sku_prices_merchant ON member_sku_prices(merchant_id, sku_id);

-- Offline purchases reported by a store's POS: one per (merchant, receipt id), so a replay
-- finds the first; refunded once, in full.
CREATE TABLE member_pos_purchases(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  store_id BIGINT NOT NULL,
  card_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  receipt_id TEXT NOT NULL,
  amount_fen BIGINT NOT NULL CHECK(amount_fen > 0),
  items TEXT NOT NULL,                   -- [{name, quantity, amount_fen}], JSON
  points BIGINT NOT NULL,
  growth BIGINT NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('completed','refunded')),
  api_key_id BIGINT,
  created_at_ms BIGINT NOT NULL,
  refunded_at_ms BIGINT
);
CREATE UNIQUE INDEX member_pos_receipt ON member_pos_purchases(merchant_id, receipt_id);
CREATE INDEX member_pos_card ON member_pos_purchases(card_id, id);

-- Pushes to members: the audience ({"all":true} | {"level":n} | {"tags":[...]}, JSON, so tags
-- from the data platform fit later), the message, and the delivery counts.
CREATE TABLE member_pushes(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  audience TEXT NOT NULL,
  text TEXT NOT NULL,
  product_id BIGINT,
  coupon_id BIGINT,
  status TEXT NOT NULL CHECK(status IN ('sending','sent')),
  cursor_card_id BIGINT NOT NULL DEFAULT 0,  -- delivery has passed the cards up to here
  targeted BIGINT NOT NULL DEFAULT 0,
  delivered BIGINT NOT NULL DEFAULT 0,
  capped BIGINT NOT NULL DEFAULT 0,
  opted_out BIGINT NOT NULL DEFAULT 0,
  created_by BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  CHECK(delivered + capped + opted_out = targeted)
);
CREATE INDEX member_pushes_merchant ON member_pushes(merchant_id, id);

-- A member's inbox (消息): one row per push delivered; `cap` is the cap it was delivered
-- under (`xiaodian check`: no card holds more deliveries in any 7 days than that).
CREATE TABLE member_inbox(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  push_id BIGINT NOT NULL,
  card_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  cap BIGINT NOT NULL,
  delivered_at_ms BIGINT NOT NULL,
  opened_at_ms BIGINT
);
CREATE UNIQUE INDEX member_inbox_once ON member_inbox(push_id, card_id);
CREATE INDEX member_inbox_user ON member_inbox(user_id, id);
CREATE INDEX member_inbox_card ON member_inbox(card_id, delivered_at_ms);

-- Referrals: a friend claimed the card from a member's share link (once per new card).
CREATE TABLE member_referrals(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  referrer_card_id BIGINT NOT NULL,
  card_id BIGINT NOT NULL,
  bonus_points BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX member_referrals_card ON member_referrals(card_id);
CREATE INDEX member_referrals_referrer ON member_referrals(referrer_card_id, id);
