// Typed states of capital flow: payment, refund, settlement and withdrawal status. Each has
// one table (src/pay/states.cc) giving its stable string (the database's and the API's
// spelling, unchanged) and the statuses it may move to. Every status change in pay goes
// through Move() and a guarded UPDATE (... WHERE status=<from>), so a move the table does
// not list is refused (INVALID_STATE) and a stale read cannot move a row twice. Invariant SQL
// takes its status lists from the same tables (PaymentStatusSql(HoldsCard)), so a new status
// states once what the ledger check expects of it.
//
//   ASSIGN_OR_RETURN(std::string_view to, Move(p.status, PaymentStatus::kSucceeded));
//   "... FROM payments WHERE status IN (" + PaymentStatusSql(HoldsCard) + ")"
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace xd::pay {

// pending → succeeded (the provider, or store credit alone, paid) | failed (the provider said
// so) | closed (the order was cancelled first); closed → succeeded (the buyer paid on an old
// page after the cancellation: the money arrived and trade refunds it). succeeded and failed
// are final: a succeeded payment cannot fail, a failed one cannot succeed.
enum class PaymentStatus { kPending, kSucceeded, kFailed, kClosed };
// pending (the provider part is with the provider) → succeeded (its notification arrived). A
// refund of store credit alone is succeeded from the start.
enum class RefundStatus { kPending, kSucceeded };
// held (the merchant's payable during the settlement hold) → settled (moved to withdrawable).
enum class SettlementStatus { kHeld, kSettled };
// paid: a withdrawal is paid out when it is recorded (the sandbox has no payout step yet).
enum class WithdrawalStatus { kPaid };

// "pending", "succeeded", ...: the name stored in the database and shown in JSON.
std::string_view Name(PaymentStatus s);
std::string_view Name(RefundStatus s);
std::string_view Name(SettlementStatus s);
std::string_view Name(WithdrawalStatus s);
// The status a stored name names; nullopt for any other text.
std::optional<PaymentStatus> PaymentStatusFromString(std::string_view s);
std::optional<RefundStatus> RefundStatusFromString(std::string_view s);
std::optional<SettlementStatus> SettlementStatusFromString(std::string_view s);
std::optional<WithdrawalStatus> WithdrawalStatusFromString(std::string_view s);

// The transition tables: whether `from` may move to `to`.
bool CanMove(PaymentStatus from, PaymentStatus to);
bool CanMove(RefundStatus from, RefundStatus to);
bool CanMove(SettlementStatus from, SettlementStatus to);
bool CanMove(WithdrawalStatus from, WithdrawalStatus to);
// A status change: the stored name of `to` for the guarded UPDATE, or INVALID_STATE (zh, the
// English in parentheses) when the table does not list the move.
Result<std::string_view> Move(PaymentStatus from, PaymentStatus to);
Result<std::string_view> Move(RefundStatus from, RefundStatus to);
Result<std::string_view> Move(SettlementStatus from, SettlementStatus to);
Result<std::string_view> Move(WithdrawalStatus from, WithdrawalStatus to);

// Every status of a kind, in declaration order.
const std::vector<PaymentStatus>& AllPaymentStatuses();
const std::vector<RefundStatus>& AllRefundStatuses();
const std::vector<SettlementStatus>& AllSettlementStatuses();

// Properties the invariants rely on, stated once per status in the tables.
// The payment waits for the provider (the order may still be paid through it).
bool AwaitsProvider(PaymentStatus s);
// card_hold holds the payment's store credit (card_fen) until it succeeds or ends.
bool HoldsCard(PaymentStatus s);
// The payment's money arrived: the provider's part is in the provider account and the whole
// amount went to escrow. At most one such payment per order.
bool Charged(PaymentStatus s);
// The refund's provider part has been posted (escrow → provider account).
bool ProviderRefunded(RefundStatus s);
// The settlement's amount is still the merchant's payable (not yet withdrawable).
bool Held(SettlementStatus s);

// The statuses for which `pred` holds, as an SQL list of quoted names ('pending','closed'),
// for `status IN (...)`; NULL when none does. Built from the tables' constants, never from
// input.
std::string PaymentStatusSql(bool (*pred)(PaymentStatus));
std::string RefundStatusSql(bool (*pred)(RefundStatus));
std::string SettlementStatusSql(bool (*pred)(SettlementStatus));
// One status's name quoted for SQL ('succeeded').
std::string Sql(PaymentStatus s);
std::string Sql(RefundStatus s);
std::string Sql(SettlementStatus s);
std::string Sql(WithdrawalStatus s);

}  // namespace xd::pay
