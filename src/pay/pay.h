// Capital flow: payments through a provider, the double-entry ledger, settlement of
// merchant balances after a hold, withdrawals, store credit (shopping cards), and the
// built-in sandbox provider that behaves like WeChat Pay / Alipay.
//
// Ledger convention: a journal entry moves money between accounts; its postings sum to
// zero (money leaves one account, -x, and arrives in another, +x). An account's balance
// is the money it holds. Accounts (<m> a merchant id, <u> a user id):
//   provider:sandbox:<m>     money received through the provider for merchant m's orders
//                            (negative = the provider owes it to us)
//   escrow:<m>               buyers' money for m's orders, held until an order completes or is refunded
//   merchant_payable:<m>     a merchant's earnings during the settlement hold
//   merchant_withdrawable:<m>  after the hold; withdrawals move it to payout:<m>
//   commission_revenue:<m>   the platform's commission on m's orders
//   card_funding / card:<u>  store credit issued by the platform, held by a buyer
//   card_hold:<u>            a buyer's store credit held for their pending payments
// Every account a payment touches belongs to one merchant or one buyer: no balance row is
// written by every payment of the platform (a lock queue on PostgreSQL, a cross-shard write
// under Citus: docs/scale-out.md, "No global hot rows"). Platform totals are derived
// (PlatformBalance), never stored. Each name comes from its function below, never pasted.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "pay/states.h"
#include "store/store.h"

namespace xd::pay {

// ---- ledger ----
struct Posting {
  std::string account;
  int64_t amount_fen;
};
// Records a balanced journal entry; INTERNAL if the postings do not sum to zero.
Result<int64_t> Post(Tx& tx, std::string_view kind, int64_t ref_id, std::vector<Posting> postings, std::string memo = "");
Result<int64_t> Balance(Reader& r, std::string_view account);
// The balance an account's check-then-act debit decides on: its row stays locked until the
// transaction ends, so two nodes cannot both spend the same money (see Dialect::ForUpdate).
Result<int64_t> BalanceForDebit(Tx& tx, std::string_view account);
std::string MerchantPayable(int64_t merchant_id);
std::string MerchantWithdrawable(int64_t merchant_id);
std::string CardAccount(int64_t user_id);
// The per-merchant and per-buyer accounts of the payment path, and the prefix each family's
// names share (for PlatformBalance and the ledger check).
inline constexpr std::string_view kEscrowPrefix = "escrow:";
inline constexpr std::string_view kProviderPrefix = "provider:sandbox:";
inline constexpr std::string_view kCommissionPrefix = "commission_revenue:";
inline constexpr std::string_view kCardHoldPrefix = "card_hold:";
std::string EscrowAccount(int64_t merchant_id);
std::string ProviderAccount(int64_t merchant_id);
std::string CommissionAccount(int64_t merchant_id);
std::string CardHoldAccount(int64_t buyer_id);
inline constexpr const char* kCardFunding = "card_funding";
// The platform-wide total of the accounts named `prefix`<id> (one of the k*Prefix above): the
// sum of their balances, derived on each call (a scan of that family: for checks and reports,
// not for a request path).
Result<int64_t> PlatformBalance(Reader& r, std::string_view prefix);
// An SQL condition: `column` (an account name) is in the family `prefix` (a k*Prefix constant,
// trusted text). Exact on both backends (LIKE would read `_` as a wildcard).
std::string AccountInFamily(std::string_view column, std::string_view prefix);

struct LedgerEntry {
  int64_t journal_id;
  std::string kind;
  int64_t ref_id;
  std::string memo;
  int64_t amount_fen;
  int64_t created_at_ms;
};
// Entries touching an account, newest first.
Result<std::vector<LedgerEntry>> AccountEntries(Reader& r, const std::string& account, int64_t limit, int64_t before_journal);

// ---- store credit ----
Result<int64_t> IssueCard(Tx& tx, int64_t user_id, int64_t amount_fen, const std::string& reason, int64_t issued_by);

// ---- sandbox provider ----
// The provider's view of one transaction, as its order-query API returns it.
struct ProviderTxn {
  std::string prepay_id, kind, out_no, status, transaction_id;
  int64_t amount_fen = 0;
};
enum class NotifyMode { kNormal, kLate, kTwice, kDrop };

// The secret this store's sandbox signs notifications with when none is configured: generated
// at random on first use and kept in the store (sandbox_config), so restarts and backups keep
// it. There is no built-in default: a known secret would let anyone forge notifications.
Result<std::string> StoredSandboxSecret(Tx& tx);

// The sandbox provider. Its records live in sandbox_txns (its own tables); it delivers
// signed notifications asynchronously through a transport (an HTTP POST to the server in
// production wiring), in the mode the operator chose: on time, late, twice, or never.
class SandboxProvider {
 public:
  // Delivers one notification and calls `done(true)` once the merchant acknowledged it (HTTP
  // 200), else `done(false)` — exactly once, from any thread. Called from the sender thread.
  using Transport = std::function<void(const std::string& body, const std::string& signature, std::function<void(bool)> done)>;
  SandboxProvider(std::string secret, const Clock& clock);
  ~SandboxProvider();

  void SetTransport(Transport t);  // before StartSender
  void SetMode(NotifyMode mode, int64_t late_ms = 2000);
  NotifyMode mode() const;

  // Creates a prepay order (provider side).
  Result<std::string> CreatePrepay(Tx& tx, const std::string& out_no, int64_t amount_fen);
  // The buyer completed (or failed) payment on the sandbox page; queues the notification
  // (after the commit).
  Status Complete(Tx& tx, const std::string& prepay_id, bool success);
  // A refund against the provider; succeeds at once in the sandbox and notifies.
  Result<std::string> CreateRefund(Tx& tx, const std::string& out_refund_no, int64_t amount_fen);
  // Order-query API.
  Result<ProviderTxn> Query(Reader& r, const std::string& prepay_id);

  std::string Sign(const std::string& body) const;
  bool Verify(const std::string& body, const std::string& signature) const;
  // Starts the sender thread. It hands due notifications to the transport, at most
  // `max_in_flight` at a time (like a PSP's many callback workers: one slow delivery does not
  // hold up others). Each waits for the merchant's durable answer (a few ms under load), so
  // the rate is about max_in_flight / answer time. A failed delivery is retried with backoff.
  void StartSender(int max_in_flight = 64);
  // Stops the sender and waits (up to 15 s) for deliveries in flight to be answered.
  void StopSender();
  // Notifications queued (due or not, retries included) or handed to the transport and not
  // answered yet. 0 once every notification so far was answered (or given up): tests wait on
  // it instead of sleeping until a duplicate or late one must have landed.
  int Outstanding() const;

 private:
  void Enqueue(Tx& tx, const ProviderTxn& t, const std::string& event);
  std::string NewId(std::string_view prefix) const;
  struct Pending;
  // Takes the earliest notification if it is due; else sets *next_due_ms to its due time
  // (0 when the queue is empty). Under mu_.
  std::optional<Pending> PopDue(int64_t* next_due_ms);
  // A delivery's answer (any thread): retries a failed one with backoff.
  void OnDelivered(Pending p, bool delivered);
  std::string key_;  // the HMAC key: SHA-256 of the configured secret, computed once
  const Clock& clock_;
  Transport transport_;
  mutable std::mutex mu_;
  NotifyMode mode_ = NotifyMode::kNormal;
  int64_t late_ms_ = 2000;
  std::vector<Pending> queue_;
  struct Sender;
  std::unique_ptr<Sender> sender_;
};

// A verified provider notification, decoded.
struct Notification {
  std::string notify_id, event, prepay_id, out_no, transaction_id;
  int64_t amount_fen = 0;
  int64_t timestamp_ms = 0;
};
inline constexpr int64_t kNotifyMaxAgeMs = 10 * 60 * 1000;
// Checks signature and freshness and decodes; INVALID_SIGNATURE for forged or stale ones.
Result<Notification> VerifyNotification(const SandboxProvider& p, const Clock& clock, const std::string& body,
                                        const std::string& signature);
// Records the notification id; false when it was seen before (a duplicate: do nothing).
Result<bool> FirstSighting(Tx& tx, const std::string& notify_id);
// Forgets up to `limit` notification ids first seen before now - keep_ms (retention; a
// replay after that is still harmless: every notification is confirmed against the
// provider's records and every transition is guarded). Returns rows deleted.
Result<int64_t> PruneNotificationIds(Tx& tx, int64_t keep_ms, int limit);

// ---- payments ----
struct Payment {
  int64_t id = 0, order_id = 0, merchant_id = 0, buyer_id = 0, amount_fen = 0, card_fen = 0;
  PaymentStatus status = PaymentStatus::kPending;
  std::string provider, prepay_id, transaction_id;
  int64_t created_at_ms = 0;
};
Json ToJson(const Payment& p);
Result<Payment> GetPayment(Reader& r, int64_t payment_id);
Result<std::optional<Payment>> PendingPaymentOf(Reader& r, int64_t order_id);
Result<Payment> PaymentByPrepay(Reader& r, const std::string& prepay_id);

// Starts paying `total_fen` for an order of `merchant_id`: `card_fen` from the buyer's store
// credit (held in card_hold:<buyer> at once), the rest through the sandbox provider. Closes any
// earlier pending payment of the order. When the card covers everything, the payment succeeds
// at once (status "succeeded").
Result<Payment> StartPayment(Tx& tx, SandboxProvider& provider, int64_t order_id, int64_t merchant_id, int64_t buyer_id,
                             int64_t total_fen, int64_t card_fen);
// Marks a payment succeeded and posts provider+card hold → the merchant's escrow. Returns false (and does
// nothing) if it had already succeeded; INVALID_STATE from a status the table does not let
// succeed (failed). CONFLICT if the order already has another successful payment (the unique
// index refuses a double charge).
// `p` is the payment as read in this transaction.
Result<bool> SettlePaymentSuccess(Tx& tx, const Payment& p, const std::string& transaction_id);
// Ends a pending payment that will not complete: "failed" (the provider said so) or
// "closed" (the order was cancelled). Releases held store credit. No-op if not pending.
Status EndPendingPayment(Tx& tx, int64_t payment_id, bool failed);

// ---- refunds ----
struct Refund {
  int64_t id = 0, order_id = 0, payment_id = 0, provider_fen = 0, card_fen = 0;
  RefundStatus status = RefundStatus::kPending;
};
// Refunds `amount_fen` of an order's successful payment: the card part at once (posted),
// the provider part through the provider (posted when its notification arrives).
// `already_refunded_fen` is what earlier refunds of the order returned.
Result<Refund> StartRefund(Tx& tx, SandboxProvider& provider, int64_t order_id, int64_t amount_fen,
                           int64_t already_refunded_fen, const std::string& reason);
// Completes a refund from the provider's notification; false if already completed.
Result<bool> CompleteRefund(Tx& tx, int64_t refund_id);
Result<Refund> GetRefund(Reader& r, int64_t refund_id);

// ---- settlement and withdrawals ----
// On order completion: escrow → merchant payable (net of commission) + commission; the
// payable becomes withdrawable after `hold_days` (a settlement row + timer).
Status SettleOrderCompletion(Tx& tx, int64_t order_id, int64_t merchant_id, int64_t net_fen, int64_t commission_fen,
                             int64_t hold_days);
// Timer handler: moves one held settlement to withdrawable.
Status ReleaseSettlement(Tx& tx, int64_t order_id);
Result<int64_t> Withdraw(Tx& tx, int64_t merchant_id, int64_t amount_fen);
struct MerchantFinance {
  int64_t payable_fen = 0, withdrawable_fen = 0, withdrawn_fen = 0;
  Json pending = Json::array();
};
Result<MerchantFinance> FinanceOf(Reader& r, int64_t merchant_id);

// ---- checks ----
struct LedgerReport {
  bool balanced = true;
  int64_t sum_fen = 0;
  int64_t journals = 0;
  int64_t postings = 0;
  std::vector<std::string> problems;
  Json ToJson() const;
};
// Every journal sums to zero, all accounts sum to zero, the balances cache agrees with
// the postings, the provider accounts agree with the provider's records (in total and each
// merchant's with its payments and refunds), the card holds equal pending payments' card
// parts (in total and per buyer), no store-credit, hold, escrow or merchant balance is
// negative, payables agree with held settlements. (Escrow against orders: trade's check.)
Result<LedgerReport> CheckLedger(Reader& r);

inline constexpr const char* kTimerSettle = "pay.settle";

}  // namespace xd::pay
