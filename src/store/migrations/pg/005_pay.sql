-- PostgreSQL twin of ../005_pay.sql (same meaning; docs/scale-out.md).
-- Capital flow: payments, refunds, the double-entry ledger, settlements, withdrawals,
-- store credit; and the sandbox provider's own records.
CREATE TABLE payments(
  id BIGINT PRIMARY KEY,
  order_id BIGINT NOT NULL,
  buyer_id BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL CHECK(amount_fen >= 0),
  card_fen BIGINT NOT NULL DEFAULT 0 CHECK(card_fen >= 0),
  status TEXT NOT NULL CHECK(status IN ('pending','succeeded','failed','closed')),
  provider TEXT NOT NULL,
  prepay_id TEXT NOT NULL DEFAULT '',
  transaction_id TEXT NOT NULL DEFAULT '',
  created_at_ms BIGINT NOT NULL,
  paid_at_ms BIGINT
);
CREATE INDEX payments_order ON payments(order_id);
CREATE UNIQUE INDEX payments_prepay ON payments(prepay_id) WHERE prepay_id <> '';
-- At most one successful payment per order: the database refuses a double charge.
CREATE UNIQUE INDEX payments_one_success ON payments(order_id) WHERE status = 'succeeded';
CREATE TABLE refunds(
  id BIGINT PRIMARY KEY,
  order_id BIGINT NOT NULL,
  payment_id BIGINT NOT NULL,
  provider_fen BIGINT NOT NULL CHECK(provider_fen >= 0),
  card_fen BIGINT NOT NULL CHECK(card_fen >= 0),
  status TEXT NOT NULL CHECK(status IN ('pending','succeeded')),
  reason TEXT NOT NULL DEFAULT '',
  created_at_ms BIGINT NOT NULL,
  completed_at_ms BIGINT
);
CREATE INDEX refunds_order ON refunds(order_id);
CREATE INDEX refunds_payment ON refunds(payment_id);
CREATE TABLE journal(
  id BIGINT PRIMARY KEY,
  kind TEXT NOT NULL,
  ref_id BIGINT NOT NULL,
  memo TEXT NOT NULL DEFAULT '',
  created_at_ms BIGINT NOT NULL
);
CREATE TABLE postings(
  id BIGINT PRIMARY KEY,
  journal_id BIGINT NOT NULL,
  account TEXT NOT NULL,
  amount_fen BIGINT NOT NULL
);
CREATE INDEX postings_account ON postings(account, id);
CREATE INDEX postings_journal ON postings(journal_id);
CREATE TABLE balances(account TEXT PRIMARY KEY, balance_fen BIGINT NOT NULL);
CREATE TABLE settlements(
  id BIGINT PRIMARY KEY,
  order_id BIGINT NOT NULL UNIQUE,
  merchant_id BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('held','settled')),
  due_at_ms BIGINT NOT NULL,
  settled_at_ms BIGINT
);
CREATE INDEX settlements_merchant ON settlements(merchant_id, status);
CREATE TABLE withdrawals(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL CHECK(amount_fen > 0),
  status TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL
);
CREATE TABLE cards(
  id BIGINT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL CHECK(amount_fen > 0),
  reason TEXT NOT NULL,
  issued_by BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL
);
-- The sandbox provider's side of the world (what WeChat Pay / Alipay would hold).
CREATE TABLE sandbox_txns(
  prepay_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK(kind IN ('pay','refund')),
  out_no TEXT NOT NULL,
  amount_fen BIGINT NOT NULL,
  status TEXT NOT NULL CHECK(status IN ('NOTPAY','SUCCESS','FAIL')),
  transaction_id TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  completed_at_ms BIGINT
);
CREATE TABLE sandbox_notify_seen(notify_id TEXT PRIMARY KEY, at_ms BIGINT NOT NULL);
