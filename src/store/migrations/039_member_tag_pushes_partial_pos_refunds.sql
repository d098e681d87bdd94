-- 039 (issue 16's remaining gaps): pushes to a tag audience, partial POS refunds, and the POS's
-- refused member codes counted in the store (every node sees one count).

-- A tag push's audience, resolved once when the push is composed: the merchant's cards whose
-- holders carried every tag then (the data platform's user tags, insight/insight.h). Delivery
-- walks these cards in card order like any audience; the rows go with the push's delivery.
CREATE TABLE member_push_targets(
  push_id INTEGER NOT NULL,
  card_id INTEGER NOT NULL,
  PRIMARY KEY(push_id, card_id)
);

-- Partial refunds of an offline purchase: the amount refunded so far (the purchase is
-- 'refunded' once it reaches amount_fen) and one row per refund, idempotent by the POS's own
-- refund id. Points and growth are taken back in proportion to the amount, cumulatively, so
-- that the parts add up to exactly what the purchase gave.
ALTER TABLE member_pos_purchases ADD COLUMN refunded_fen INTEGER NOT NULL DEFAULT 0;
UPDATE member_pos_purchases SET refunded_fen = amount_fen WHERE status = 'refunded';
CREATE TABLE member_pos_refunds(
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  purchase_id INTEGER NOT NULL,
  refund_id TEXT NOT NULL,
  amount_fen INTEGER NOT NULL CHECK(amount_fen > 0),
  points INTEGER NOT NULL,
  growth INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX member_pos_refund_once ON member_pos_refunds(purchase_id, refund_id);
-- Full refunds made before 039: one row each (the purchase's id serves as the row's).
INSERT INTO member_pos_refunds(id, merchant_id, purchase_id, refund_id, amount_fen, points,
                               growth, created_at_ms)
SELECT id, merchant_id, id, 'full', amount_fen, points, growth, COALESCE(refunded_at_ms, created_at_ms)
FROM member_pos_purchases WHERE status = 'refunded';

-- Refused member codes per POS caller (an API key, or a staff member) in the current window:
-- one row per caller, its window and count, so the limit holds across nodes.
CREATE TABLE member_pos_code_failures(
  limiter_key TEXT PRIMARY KEY,
  window_no INTEGER NOT NULL,
  failures INTEGER NOT NULL
);
