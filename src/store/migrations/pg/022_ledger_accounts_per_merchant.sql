-- PostgreSQL twin of ../022_ledger_accounts_per_merchant.sql (same meaning; docs/scale-out.md).
-- No global hot rows (issue 13; docs/scale-out.md): the accounts every payment wrote — `escrow`,
-- `provider:sandbox`, `commission_revenue` and `card_hold`, one balance row each for the whole
-- platform — become one per merchant (`escrow:<m>`, `provider:sandbox:<m>`,
-- `commission_revenue:<m>`) and one per buyer (`card_hold:<u>`). Platform totals are sums over
-- the family, never stored.
--
-- A payment now records its order's merchant, so every later posting of the payment (success,
-- refunds) names the merchant's accounts without reading the order.
ALTER TABLE payments ADD COLUMN merchant_id BIGINT NOT NULL DEFAULT 0;
UPDATE payments SET merchant_id = COALESCE((SELECT o.merchant_id FROM orders o WHERE o.id = payments.order_id), 0);
--
-- Existing postings move to the per-merchant/per-buyer accounts. Whose they are follows from the
-- journal entry: its kind says what its ref_id is (src/pay/payments.cc, ledger.cc, trade/orders.cc).
--   payment         ref = payment: provider, escrow (its merchant), card_hold (its buyer)
--   card.hold, card.release  ref = payment: card_hold (its buyer)
--   refund.card, refund.provider  ref = refund → its payment: escrow, provider (the merchant)
--   order.complete  ref = order: escrow, commission_revenue (its merchant)
--   order.shares    ref = order: escrow (its merchant)
CREATE TABLE ledger_owner_022(journal_id BIGINT PRIMARY KEY, merchant_id BIGINT NOT NULL, buyer_id BIGINT NOT NULL);
INSERT INTO ledger_owner_022(journal_id, merchant_id, buyer_id)
  SELECT j.id, p.merchant_id, p.buyer_id FROM journal j JOIN payments p ON p.id = j.ref_id
  WHERE j.kind IN ('payment', 'card.hold', 'card.release');
INSERT INTO ledger_owner_022(journal_id, merchant_id, buyer_id)
  SELECT j.id, p.merchant_id, p.buyer_id FROM journal j JOIN refunds f ON f.id = j.ref_id JOIN payments p ON p.id = f.payment_id
  WHERE j.kind IN ('refund.card', 'refund.provider');
INSERT INTO ledger_owner_022(journal_id, merchant_id, buyer_id)
  SELECT j.id, o.merchant_id, o.buyer_id FROM journal j JOIN orders o ON o.id = j.ref_id
  WHERE j.kind IN ('order.complete', 'order.shares');
UPDATE postings SET account = 'escrow:' ||
    (SELECT CAST(w.merchant_id AS TEXT) FROM ledger_owner_022 w WHERE w.journal_id = postings.journal_id)
  WHERE account = 'escrow' AND journal_id IN (SELECT journal_id FROM ledger_owner_022);
UPDATE postings SET account = 'provider:sandbox:' ||
    (SELECT CAST(w.merchant_id AS TEXT) FROM ledger_owner_022 w WHERE w.journal_id = postings.journal_id)
  WHERE account = 'provider:sandbox' AND journal_id IN (SELECT journal_id FROM ledger_owner_022);
UPDATE postings SET account = 'commission_revenue:' ||
    (SELECT CAST(w.merchant_id AS TEXT) FROM ledger_owner_022 w WHERE w.journal_id = postings.journal_id)
  WHERE account = 'commission_revenue' AND journal_id IN (SELECT journal_id FROM ledger_owner_022);
UPDATE postings SET account = 'card_hold:' ||
    (SELECT CAST(w.buyer_id AS TEXT) FROM ledger_owner_022 w WHERE w.journal_id = postings.journal_id)
  WHERE account = 'card_hold' AND journal_id IN (SELECT journal_id FROM ledger_owner_022);
DROP TABLE ledger_owner_022;
--
-- The balances of those families are rebuilt from their postings. (A posting no rule above
-- claims keeps its old account and balance: `xiaodian check` then shows it.)
DELETE FROM balances WHERE account IN ('escrow', 'provider:sandbox', 'commission_revenue', 'card_hold')
  OR substr(account, 1, 7) = 'escrow:' OR substr(account, 1, 17) = 'provider:sandbox:'
  OR substr(account, 1, 19) = 'commission_revenue:' OR substr(account, 1, 10) = 'card_hold:';
INSERT INTO balances(account, balance_fen)
  SELECT account, SUM(amount_fen) FROM postings
  WHERE account IN ('escrow', 'provider:sandbox', 'commission_revenue', 'card_hold')
    OR substr(account, 1, 7) = 'escrow:' OR substr(account, 1, 17) = 'provider:sandbox:'
    OR substr(account, 1, 19) = 'commission_revenue:' OR substr(account, 1, 10) = 'card_hold:'
  GROUP BY account;
