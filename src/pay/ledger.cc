// The double-entry ledger, store credit, settlement and withdrawals, and the ledger check.
#include <algorithm>

#include "base/id.h"
#include "base/messages.h"
#include "pay/events.h"
#include "pay/internal/moves.h"
#include "pay/pay.h"

namespace xd::pay {

std::string MerchantPayable(int64_t merchant_id) { return "merchant_payable:" + IdString(merchant_id); }
std::string MerchantWithdrawable(int64_t merchant_id) { return "merchant_withdrawable:" + IdString(merchant_id); }
std::string CardAccount(int64_t user_id) { return "card:" + IdString(user_id); }
std::string EscrowAccount(int64_t merchant_id) { return std::string(kEscrowPrefix) + IdString(merchant_id); }
std::string ProviderAccount(int64_t merchant_id) { return std::string(kProviderPrefix) + IdString(merchant_id); }
std::string CommissionAccount(int64_t merchant_id) { return std::string(kCommissionPrefix) + IdString(merchant_id); }
std::string CardHoldAccount(int64_t buyer_id) { return std::string(kCardHoldPrefix) + IdString(buyer_id); }

std::string AccountInFamily(std::string_view column, std::string_view prefix) {
  return "substr(" + std::string(column) + ", 1, " + std::to_string(prefix.size()) + ") = '" + std::string(prefix) + "'";
}

Result<int64_t> PlatformBalance(Reader& r, std::string_view prefix) {
  return r.QueryInt("SELECT COALESCE(SUM(balance_fen),0) FROM balances WHERE " + AccountInFamily("account", prefix));
}

Result<int64_t> Post(Tx& tx, std::string_view kind, int64_t ref_id, std::vector<Posting> postings, std::string memo) {
  int64_t sum = 0;
  postings.erase(std::remove_if(postings.begin(), postings.end(), [](const Posting& p) { return p.amount_fen == 0; }), postings.end());
  for (auto& p : postings) {
    if (__builtin_add_overflow(sum, p.amount_fen, &sum)) return Fail(ErrorCode::INTERNAL, "ledger overflow");
  }
  if (sum != 0) return Fail(ErrorCode::INTERNAL, "unbalanced journal entry " + std::string(kind));
  if (postings.empty()) return int64_t{0};
  // Balance rows ascending by account, the one order every entry takes them in: a payment
  // (provider → escrow) and a refund (escrow → provider) of one merchant listed the same two
  // accounts in opposite orders and deadlocked on PostgreSQL. A debit that locked its account
  // first (BalanceForDebit) keeps the order where that account sorts first in its entry (card:,
  // merchant_withdrawable:, leader:); a sharer's withdrawal (sharer:, then card:) is the only
  // entry that names both of its accounts.
  std::ranges::stable_sort(postings, {}, &Posting::account);
  int64_t jid = tx.NewId();
  RETURN_IF_ERROR(tx.Run("INSERT INTO journal(id, kind, ref_id, memo, created_at_ms) VALUES(?,?,?,?,?)", {jid, kind, ref_id, memo, tx.NowMs()}));
  for (auto& p : postings) {
    RETURN_IF_ERROR(tx.Run("INSERT INTO postings(id, journal_id, account, amount_fen) VALUES(?,?,?,?)", {tx.NewId(), jid, p.account, p.amount_fen}));
    RETURN_IF_ERROR(tx.Run("INSERT INTO balances(account, balance_fen) VALUES(?1, ?2) "
                           "ON CONFLICT(account) DO UPDATE SET balance_fen = balances.balance_fen + excluded.balance_fen",
                           {p.account, p.amount_fen}));
  }
  return jid;
}

Result<int64_t> Balance(Reader& r, std::string_view account) {
  return r.QueryInt("SELECT balance_fen FROM balances WHERE account=?", {account});
}

Result<int64_t> BalanceForDebit(Tx& tx, std::string_view account) {
  return tx.QueryInt("SELECT balance_fen FROM balances WHERE account=?" + std::string(tx.dialect().ForUpdate()), {account});
}

Result<std::vector<LedgerEntry>> AccountEntries(Reader& r, const std::string& account, int64_t limit, int64_t before_journal) {
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT j.id, j.kind, j.ref_id, j.memo, p.amount_fen, j.created_at_ms FROM postings p "
                                      "JOIN journal j ON j.id = p.journal_id WHERE p.account=? AND (?=0 OR j.id < ?) "
                                      "ORDER BY j.id DESC LIMIT ?",
                                      {account, before_journal, before_journal, limit}));
  std::vector<LedgerEntry> out;
  for (auto& row : rows) out.push_back(LedgerEntry{row.Int(0), row.Str(1), row.Int(2), row.Str(3), row.Int(4), row.Int(5)});
  return out;
}

Result<int64_t> IssueCard(Tx& tx, int64_t user_id, int64_t amount_fen, const std::string& reason, int64_t issued_by) {
  if (amount_fen <= 0 || amount_fen > 10'000'000'00) return Fail(Msg::AMOUNT_RANGE, {Fen("max", 10'000'000'00)});
  int64_t id = tx.NewId();
  RETURN_IF_ERROR(tx.Run("INSERT INTO cards(id, user_id, amount_fen, reason, issued_by, created_at_ms) VALUES(?,?,?,?,?,?)",
                         {id, user_id, amount_fen, reason, issued_by, tx.NowMs()}));
  RETURN_IF_ERROR(Post(tx, "card.issue", id, {{kCardFunding, -amount_fen}, {CardAccount(user_id), amount_fen}}, reason));
  RETURN_IF_ERROR(Emit(tx, CardIssued{id, user_id, amount_fen, issued_by, reason}));
  return id;
}

Status SettleOrderCompletion(Tx& tx, int64_t order_id, int64_t merchant_id, int64_t net_fen, int64_t commission_fen, int64_t hold_days) {
  RETURN_IF_ERROR(Post(tx, "order.complete", order_id,
                       {{EscrowAccount(merchant_id), -(net_fen + commission_fen)},
                        {MerchantPayable(merchant_id), net_fen},
                        {CommissionAccount(merchant_id), commission_fen}}));
  int64_t due = tx.NowMs() + hold_days * 24 * 3600 * 1000;
  RETURN_IF_ERROR(tx.Run("INSERT INTO settlements(id, order_id, merchant_id, amount_fen, status, due_at_ms) VALUES(?,?,?,?,?,?)",
                         {tx.NewId(), order_id, merchant_id, net_fen, Name(SettlementStatus::kHeld), due}));
  return ToStatus(tx.AddTimer(kTimerSettle, due, Json{{"order_id", order_id}}));
}

Status ReleaseSettlement(Tx& tx, int64_t order_id) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT id, merchant_id, amount_fen, status FROM settlements WHERE order_id=?", {order_id}));
  if (!row) return Ok();
  const SettlementStatus from = internal::Stored(SettlementStatusFromString(row->Str(3)));
  if (from == SettlementStatus::kSettled) return Ok();  // already settled: nothing to do
  ASSIGN_OR_RETURN(std::string_view to, Move(from, SettlementStatus::kSettled));
  int64_t merchant_id = row->Int(1), amount = row->Int(2);
  ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE settlements SET status=?, settled_at_ms=? WHERE id=? AND status=?",
                                            {to, tx.NowMs(), row->Int(0), Name(from)}));
  RETURN_IF_ERROR(internal::Moved(changed, "settlement"));
  RETURN_IF_ERROR(Post(tx, "settle", order_id, {{MerchantPayable(merchant_id), -amount}, {MerchantWithdrawable(merchant_id), amount}}));
  return Emit(tx, SettlementReleased{row->Int(0), order_id, merchant_id, amount});
}

Result<int64_t> Withdraw(Tx& tx, int64_t merchant_id, int64_t amount_fen) {
  if (amount_fen <= 0) return Fail(Msg::AMOUNT_NOT_POSITIVE);
  ASSIGN_OR_RETURN(int64_t available, BalanceForDebit(tx, MerchantWithdrawable(merchant_id)));
  if (available < amount_fen) return Fail(Msg::WITHDRAWABLE_LOW, {Fen("available", available)});
  int64_t id = tx.NewId();
  RETURN_IF_ERROR(tx.Run("INSERT INTO withdrawals(id, merchant_id, amount_fen, status, created_at_ms) VALUES(?,?,?,?,?)",
                         {id, merchant_id, amount_fen, Name(WithdrawalStatus::kPaid), tx.NowMs()}));
  RETURN_IF_ERROR(Post(tx, "withdraw", id, {{MerchantWithdrawable(merchant_id), -amount_fen}, {"payout:" + IdString(merchant_id), amount_fen}}));
  RETURN_IF_ERROR(Emit(tx, MerchantWithdrawal{id, merchant_id, amount_fen, available - amount_fen}));
  return id;
}

Result<MerchantFinance> FinanceOf(Reader& r, int64_t merchant_id) {
  MerchantFinance f;
  ASSIGN_OR_RETURN(f.payable_fen, Balance(r, MerchantPayable(merchant_id)));
  ASSIGN_OR_RETURN(f.withdrawable_fen, Balance(r, MerchantWithdrawable(merchant_id)));
  ASSIGN_OR_RETURN(f.withdrawn_fen, Balance(r, "payout:" + IdString(merchant_id)));
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT order_id, amount_fen, due_at_ms FROM settlements WHERE merchant_id=? AND status IN (" + SettlementStatusSql(Held) + ") "
                                      "ORDER BY due_at_ms LIMIT 100",
                                      {merchant_id}));
  for (auto& row : rows)
    f.pending.push_back(Json{{"order_id", IdString(row.Int(0))}, {"amount_fen", row.Int(1)}, {"available_at", FormatRfc3339(row.Int(2))}});
  return f;
}

Json LedgerReport::ToJson() const {
  return Json{{"balanced", balanced}, {"sum_fen", sum_fen}, {"journals", journals}, {"postings", postings}, {"problems", problems}};
}

Result<LedgerReport> CheckLedger(Reader& r) {
  LedgerReport rep;
  auto problem = [&](std::string p) {
    rep.balanced = false;
    rep.problems.push_back(std::move(p));
  };
  ASSIGN_OR_RETURN(rep.sum_fen, r.QueryInt("SELECT COALESCE(SUM(amount_fen),0) FROM postings"));
  ASSIGN_OR_RETURN(rep.journals, r.QueryInt("SELECT count(*) FROM journal"));
  ASSIGN_OR_RETURN(rep.postings, r.QueryInt("SELECT count(*) FROM postings"));
  if (rep.sum_fen != 0) problem("all postings sum to " + std::to_string(rep.sum_fen) + ", not 0");
  ASSIGN_OR_RETURN(Rows unbalanced, r.Query("SELECT journal_id, SUM(amount_fen) FROM postings GROUP BY journal_id HAVING SUM(amount_fen) <> 0 LIMIT 10"));
  for (auto& row : unbalanced) problem("journal " + IdString(row.Int(0)) + " sums to " + std::to_string(row.Int(1)));
  ASSIGN_OR_RETURN(Rows drift, r.Query("SELECT b.account, b.balance_fen, COALESCE(x.s,0) FROM balances b LEFT JOIN "
                                       "(SELECT account, SUM(amount_fen) s FROM postings GROUP BY account) x ON x.account = b.account "
                                       "WHERE b.balance_fen <> COALESCE(x.s,0) LIMIT 10"));
  for (auto& row : drift) problem("balance of " + row.Str(0) + " is " + std::to_string(row.Int(1)) + " but postings sum to " + std::to_string(row.Int(2)));
  // No account that holds money may hold less than nothing (the provider accounts may: the
  // provider owes what it received).
  ASSIGN_OR_RETURN(Rows negative, r.Query("SELECT account, balance_fen FROM balances WHERE balance_fen < 0 AND (" +
                                          AccountInFamily("account", "card:") + " OR " +
                                          AccountInFamily("account", "merchant_") + " OR " +
                                          AccountInFamily("account", kCardHoldPrefix) + " OR " +
                                          AccountInFamily("account", kEscrowPrefix) + ") LIMIT 10"));
  for (auto& row : negative) problem("account " + row.Str(0) + " is negative: " + std::to_string(row.Int(1)));
  // The provider accounts mirror the provider's own records: in total, and each merchant's
  // account its own payments' and refunds' part.
  ASSIGN_OR_RETURN(int64_t provider, PlatformBalance(r, kProviderPrefix));
  const std::string paid_sql = "FROM sandbox_txns t JOIN payments p ON p.prepay_id = t.prepay_id "
                               "WHERE t.kind='pay' AND t.status='SUCCESS' AND p.status IN (" + PaymentStatusSql(Charged) + ")";
  const std::string refunded_sql = "FROM refunds f JOIN payments p ON p.id = f.payment_id WHERE f.status IN (" +
                                   RefundStatusSql(ProviderRefunded) + ")";
  ASSIGN_OR_RETURN(int64_t paid, r.QueryInt("SELECT COALESCE(SUM(t.amount_fen),0) " + paid_sql));
  ASSIGN_OR_RETURN(int64_t refunded, r.QueryInt("SELECT COALESCE(SUM(provider_fen),0) FROM refunds WHERE status IN (" + RefundStatusSql(ProviderRefunded) + ")"));
  ASSIGN_OR_RETURN(int64_t provider_refunds, r.QueryInt("SELECT COALESCE(SUM(amount_fen),0) FROM sandbox_txns WHERE kind='refund' AND status='SUCCESS'"));
  ASSIGN_OR_RETURN(int64_t pending_provider_refunds, r.QueryInt("SELECT COALESCE(SUM(provider_fen),0) FROM refunds WHERE status NOT IN (" + RefundStatusSql(ProviderRefunded) + ")"));
  if (-provider != paid - refunded)
    problem("provider account is " + std::to_string(-provider) + " received, provider records say " + std::to_string(paid - refunded));
  if (provider_refunds != refunded + pending_provider_refunds)
    problem("provider refunded " + std::to_string(provider_refunds) + " but the platform recorded " + std::to_string(refunded + pending_provider_refunds));
  // Each expected balance minus the account's balance, per account name: nonzero is a problem
  // (an account missing on either side counts as 0).
  auto per_account = [&](const std::string& expected_sql, std::string_view prefix, std::string_view what) -> Status {
    ASSIGN_OR_RETURN(Rows off, r.Query("SELECT account, SUM(expected), SUM(actual) FROM (" + expected_sql +
                                       " UNION ALL SELECT account, 0 AS expected, balance_fen AS actual FROM balances WHERE " +
                                       AccountInFamily("account", prefix) +
                                       ") x GROUP BY account HAVING SUM(expected) <> SUM(actual) ORDER BY account LIMIT 10"));
    for (auto& row : off)
      problem(row.Str(0) + " is " + std::to_string(row.Int(2)) + " but " + std::string(what) + " " + std::to_string(row.Int(1)));
    return Ok();
  };
  const std::string provider_name = "'" + std::string(kProviderPrefix) + "' || CAST(p.merchant_id AS TEXT)";
  RETURN_IF_ERROR(per_account("SELECT " + provider_name + " AS account, -t.amount_fen AS expected, 0 AS actual " + paid_sql +
                                  " UNION ALL SELECT " + provider_name + ", f.provider_fen, 0 " + refunded_sql,
                              kProviderPrefix, "the merchant's provider records say"));
  // Store credit held for pending payments: in total, and each buyer's hold their own.
  ASSIGN_OR_RETURN(int64_t hold, PlatformBalance(r, kCardHoldPrefix));
  const std::string holding_sql = "FROM payments WHERE status IN (" + PaymentStatusSql(HoldsCard) + ")";
  ASSIGN_OR_RETURN(int64_t pending_card, r.QueryInt("SELECT COALESCE(SUM(card_fen),0) " + holding_sql));
  if (hold != pending_card) problem("card holds are " + std::to_string(hold) + " but pending payments hold " + std::to_string(pending_card));
  RETURN_IF_ERROR(per_account("SELECT '" + std::string(kCardHoldPrefix) + "' || CAST(buyer_id AS TEXT) AS account, card_fen AS expected, 0 AS actual " + holding_sql,
                              kCardHoldPrefix, "the buyer's pending payments hold"));
  // Merchant payables equal held settlements.
  ASSIGN_OR_RETURN(int64_t payable, r.QueryInt("SELECT COALESCE(SUM(balance_fen),0) FROM balances WHERE " + AccountInFamily("account", "merchant_payable:")));
  ASSIGN_OR_RETURN(int64_t held, r.QueryInt("SELECT COALESCE(SUM(amount_fen),0) FROM settlements WHERE status IN (" + SettlementStatusSql(Held) + ")"));
  if (payable != held) problem("merchant payables " + std::to_string(payable) + " differ from held settlements " + std::to_string(held));
  return rep;
}

}  // namespace xd::pay
