// Payments and refunds: what the platform records of money moving through the provider
// and store credit, with the ledger postings of each step.
#include "base/id.h"
#include "base/messages.h"
#include "pay/events.h"
#include "pay/internal/moves.h"
#include "pay/pay.h"

namespace xd::pay {

namespace {
using internal::Moved;
using internal::Stored;
constexpr const char* kPaymentCols =
    "id, order_id, merchant_id, buyer_id, amount_fen, card_fen, status, provider, prepay_id, transaction_id, created_at_ms";
Payment PaymentFromRow(const Row& r) {
  return Payment{r.Int(0), r.Int(1), r.Int(2), r.Int(3), r.Int(4), r.Int(5), Stored(PaymentStatusFromString(r.Str(6))),
                 r.Str(7), r.Str(8), r.Str(9), r.Int(10)};
}
}  // namespace

Json ToJson(const Payment& p) {
  return Json{{"payment_id", IdString(p.id)}, {"order_id", IdString(p.order_id)}, {"prepay_id", p.prepay_id},
              {"amount_fen", p.amount_fen},   {"card_fen", p.card_fen},             {"status", std::string(Name(p.status))},
              {"pay_url", "/#/pay/" + IdString(p.id)}};
}

Result<Payment> GetPayment(Reader& r, int64_t payment_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kPaymentCols + " FROM payments WHERE id=?", {payment_id}));
  if (!row) return Fail(Msg::PAYMENT_NOT_FOUND);
  return PaymentFromRow(*row);
}

Result<std::optional<Payment>> PendingPaymentOf(Reader& r, int64_t order_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kPaymentCols + " FROM payments WHERE order_id=? AND status IN (" + PaymentStatusSql(AwaitsProvider) + ")",
                                        {order_id}));
  if (!row) return std::optional<Payment>();
  return std::optional<Payment>(PaymentFromRow(*row));
}

Result<Payment> PaymentByPrepay(Reader& r, const std::string& prepay_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kPaymentCols + " FROM payments WHERE prepay_id=? AND prepay_id <> ''", {prepay_id}));
  if (!row) return Fail(Msg::PAYMENT_NOT_FOUND);
  return PaymentFromRow(*row);
}

Result<Payment> StartPayment(Tx& tx, SandboxProvider& provider, int64_t order_id, int64_t merchant_id, int64_t buyer_id,
                             int64_t total_fen, int64_t card_fen) {
  if (card_fen < 0 || card_fen > total_fen) return Fail(Msg::CARD_AMOUNT_RANGE, {Fen("total", total_fen)});
  if (card_fen > 0) {
    ASSIGN_OR_RETURN(int64_t balance, BalanceForDebit(tx, CardAccount(buyer_id)));
    if (balance < card_fen) return Fail(Msg::CARD_BALANCE_LOW, {Fen("balance", balance)});
  }
  Payment p;
  p.id = tx.NewId();
  p.order_id = order_id;
  p.merchant_id = merchant_id;
  p.buyer_id = buyer_id;
  p.card_fen = card_fen;
  p.amount_fen = total_fen - card_fen;
  p.status = PaymentStatus::kPending;
  p.provider = p.amount_fen > 0 ? "sandbox" : "card";
  p.created_at_ms = tx.NowMs();
  if (p.amount_fen > 0) {
    ASSIGN_OR_RETURN(p.prepay_id, provider.CreatePrepay(tx, IdString(p.id), p.amount_fen));
  }
  RETURN_IF_ERROR(tx.Run("INSERT INTO payments(id, order_id, merchant_id, buyer_id, amount_fen, card_fen, status, provider, prepay_id, "
                         "created_at_ms) VALUES(?,?,?,?,?,?,?,?,?,?)",
                         {p.id, order_id, merchant_id, buyer_id, p.amount_fen, card_fen, Name(p.status), p.provider, p.prepay_id,
                          p.created_at_ms}));
  // Store credit is held at once, so two payments cannot spend the same balance.
  RETURN_IF_ERROR(Post(tx, "card.hold", p.id, {{CardAccount(buyer_id), -card_fen}, {CardHoldAccount(buyer_id), card_fen}}));
  return p;
}

Result<bool> SettlePaymentSuccess(Tx& tx, const Payment& p, const std::string& transaction_id) {
  const int64_t payment_id = p.id;
  if (p.status == PaymentStatus::kSucceeded) return false;
  ASSIGN_OR_RETURN(std::string_view to, Move(p.status, PaymentStatus::kSucceeded));
  // Guarded by the status it moves from: a stale read cannot post the payment twice.
  ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE payments SET status=?, transaction_id=?, paid_at_ms=? WHERE id=? AND status=?",
                                            {to, transaction_id, tx.NowMs(), payment_id, Name(p.status)}));
  RETURN_IF_ERROR(Moved(changed, "payment"));
  std::vector<Posting> postings = {{ProviderAccount(p.merchant_id), -p.amount_fen}, {EscrowAccount(p.merchant_id), p.amount_fen}};
  if (HoldsCard(p.status)) {  // (a closed payment gave its store credit back when it closed)
    postings.push_back({CardHoldAccount(p.buyer_id), -p.card_fen});
    postings.push_back({EscrowAccount(p.merchant_id), p.card_fen});
  }
  RETURN_IF_ERROR(Post(tx, "payment", payment_id, postings));
  RETURN_IF_ERROR(Emit(tx, PaymentSucceeded{p, transaction_id}));
  return true;
}

Status EndPendingPayment(Tx& tx, int64_t payment_id, bool failed) {
  ASSIGN_OR_RETURN(Payment p, GetPayment(tx, payment_id));
  if (p.status != PaymentStatus::kPending) return Ok();
  ASSIGN_OR_RETURN(std::string_view to, Move(p.status, failed ? PaymentStatus::kFailed : PaymentStatus::kClosed));
  ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE payments SET status=?, card_fen=0 WHERE id=? AND status=?", {to, payment_id, Name(p.status)}));
  RETURN_IF_ERROR(Moved(changed, "payment"));
  if (HoldsCard(p.status))
    RETURN_IF_ERROR(Post(tx, "card.release", payment_id, {{CardHoldAccount(p.buyer_id), -p.card_fen}, {CardAccount(p.buyer_id), p.card_fen}}));
  return Emit(tx, PaymentEnded{p, failed});
}

Result<Refund> StartRefund(Tx& tx, SandboxProvider& provider, int64_t order_id, int64_t amount_fen, int64_t already_refunded_fen,
                           const std::string& reason) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne(std::string("SELECT ") + kPaymentCols + " FROM payments WHERE order_id=? AND status IN (" + PaymentStatusSql(Charged) + ")",
                                         {order_id}));
  if (!row) return Fail(Msg::NO_PAYMENT_TO_REFUND);
  Payment p = PaymentFromRow(*row);
  if (amount_fen <= 0 || amount_fen + already_refunded_fen > p.amount_fen + p.card_fen)
    return Fail(Msg::REFUND_EXCEEDS_PAID);
  ASSIGN_OR_RETURN(int64_t provider_done, tx.QueryInt("SELECT COALESCE(SUM(provider_fen),0) FROM refunds WHERE payment_id=?", {p.id}));
  Refund rf;
  rf.id = tx.NewId();
  rf.order_id = order_id;
  rf.payment_id = p.id;
  rf.provider_fen = std::min(amount_fen, p.amount_fen - provider_done);
  rf.card_fen = amount_fen - rf.provider_fen;
  rf.status = rf.provider_fen > 0 ? RefundStatus::kPending : RefundStatus::kSucceeded;
  RETURN_IF_ERROR(tx.Run("INSERT INTO refunds(id, order_id, payment_id, merchant_id, provider_fen, card_fen, status, reason, created_at_ms, "
                         "completed_at_ms) VALUES(?,?,?,?,?,?,?,?,?,?)",
                         {rf.id, order_id, p.id, p.merchant_id, rf.provider_fen, rf.card_fen, Name(rf.status), reason, tx.NowMs(),
                          ProviderRefunded(rf.status) ? std::optional<int64_t>(tx.NowMs()) : std::nullopt}));
  RETURN_IF_ERROR(Post(tx, "refund.card", rf.id, {{EscrowAccount(p.merchant_id), -rf.card_fen}, {CardAccount(p.buyer_id), rf.card_fen}}));
  if (rf.provider_fen > 0) RETURN_IF_ERROR(provider.CreateRefund(tx, IdString(rf.id), rf.provider_fen));
  RETURN_IF_ERROR(Emit(tx, RefundStarted{rf, reason}));
  return rf;
}

Result<bool> CompleteRefund(Tx& tx, int64_t refund_id) {
  ASSIGN_OR_RETURN(Refund rf, GetRefund(tx, refund_id));
  if (rf.status == RefundStatus::kSucceeded) return false;
  ASSIGN_OR_RETURN(std::string_view to, Move(rf.status, RefundStatus::kSucceeded));
  ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE refunds SET status=?, completed_at_ms=? WHERE id=? AND status=?",
                                            {to, tx.NowMs(), refund_id, Name(rf.status)}));
  RETURN_IF_ERROR(Moved(changed, "refund"));
  ASSIGN_OR_RETURN(Payment p, GetPayment(tx, rf.payment_id));
  RETURN_IF_ERROR(Post(tx, "refund.provider", refund_id,
                       {{EscrowAccount(p.merchant_id), -rf.provider_fen}, {ProviderAccount(p.merchant_id), rf.provider_fen}}));
  // "refund.succeeded" is the trade module's event: it knows the order (and its merchant).
  return true;
}

Result<Refund> GetRefund(Reader& r, int64_t refund_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne("SELECT id, order_id, payment_id, provider_fen, card_fen, status FROM refunds WHERE id=?", {refund_id}));
  if (!row) return Fail(Msg::REFUND_NOT_FOUND);
  return Refund{row->Int(0), row->Int(1), row->Int(2), row->Int(3), row->Int(4), Stored(RefundStatusFromString(row->Str(5)))};
}

}  // namespace xd::pay
