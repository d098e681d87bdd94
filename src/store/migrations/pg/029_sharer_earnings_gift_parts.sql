-- PostgreSQL twin of ../029_sharer_earnings_gift_parts.sql (same meaning; docs/scale-out.md).
-- Sharers' earnings and gifts to several recipients (issue 14; decision 019).
--
-- A sharer's withdrawal moves money from the ledger account sharer:<id> to the same user's
-- store credit card:<id> (one journal entry); this table is its record, what the sharer's
-- 我的收益 page lists and what `xiaodian check` compares the account with (paid commissions
-- minus withdrawals = the balance, never negative). Buyer group: keyed by the sharer.
CREATE TABLE sharer_withdrawals(
  id BIGINT PRIMARY KEY,
  sharer_id BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL CHECK(amount_fen > 0),
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX sharer_withdrawals_sharer ON sharer_withdrawals(sharer_id, id);

-- A gift of N parts: N recipients each accept one part (one unit) with their own address.
-- A gift made before 029 is one part. Parts exist once the gift is paid (status waiting);
-- a part moves waiting → accepted (a recipient and an address) | refunded (at the deadline,
-- with the money it returned). One part per recipient per gift (gift_parts_recipient). The
-- merchant's rows, like their gift (distribution column merchant_id, store/colocation.cc).
ALTER TABLE gifts ADD COLUMN parts BIGINT NOT NULL DEFAULT 1;
CREATE TABLE gift_parts(
  gift_id BIGINT NOT NULL,
  part_no BIGINT NOT NULL,
  merchant_id BIGINT NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('waiting','accepted','refunded')),
  recipient_id BIGINT,
  address TEXT,
  accepted_at_ms BIGINT,
  refunded_fen BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY(gift_id, part_no),
  CHECK((status = 'accepted') = (recipient_id IS NOT NULL AND address IS NOT NULL))
);
CREATE UNIQUE INDEX gift_parts_recipient ON gift_parts(gift_id, recipient_id) WHERE recipient_id IS NOT NULL;
CREATE INDEX gift_parts_received ON gift_parts(recipient_id) WHERE recipient_id IS NOT NULL;
INSERT INTO gift_parts(gift_id, part_no, merchant_id, status, recipient_id, address, accepted_at_ms, refunded_fen)
  SELECT g.id, 1, g.merchant_id, g.status, CASE WHEN g.status = 'accepted' THEN g.recipient_id END,
    CASE WHEN g.status = 'accepted' THEN o.address END, g.accepted_at_ms,
    CASE WHEN g.status = 'refunded' THEN o.refunded_fen ELSE 0 END
  FROM gifts g JOIN orders o ON o.id = g.order_id WHERE g.status IN ('waiting','accepted','refunded');
