// The status tables of pay: one row per status, in declaration order, with its stored name,
// the statuses it may move to, and the properties the ledger check relies on.
#include "pay/states.h"

#include <initializer_list>
#include <iterator>

#include "base/messages.h"
#include "base/state_table.h"

namespace xd::pay {

namespace {

using state_table::At;
using state_table::Contains;
using state_table::Find;
using state_table::InOrder;
using state_table::Set;
using state_table::SqlList;

using P = PaymentStatus;
using R = RefundStatus;
using S = SettlementStatus;
using W = WithdrawalStatus;

struct PaymentRow {
  P status;
  const char* name;
  unsigned next;  // Set of the statuses it may move to
  bool awaits_provider;
  bool holds_card;
  bool charged;
};
constexpr PaymentRow kPayment[] = {
    {P::kPending, "pending", Set<P>({P::kSucceeded, P::kFailed, P::kClosed}), true, true, false},
    {P::kSucceeded, "succeeded", Set<P>({}), false, false, true},
    {P::kFailed, "failed", Set<P>({}), false, false, false},
    {P::kClosed, "closed", Set<P>({P::kSucceeded}), false, false, false},  // paid on an old page
};

struct RefundRow {
  R status;
  const char* name;
  unsigned next;
  bool provider_refunded;
};
constexpr RefundRow kRefund[] = {
    {R::kPending, "pending", Set<R>({R::kSucceeded}), false},
    {R::kSucceeded, "succeeded", Set<R>({}), true},
};

struct SettlementRow {
  S status;
  const char* name;
  unsigned next;
  bool held;
};
constexpr SettlementRow kSettlement[] = {
    {S::kHeld, "held", Set<S>({S::kSettled}), true},
    {S::kSettled, "settled", Set<S>({}), false},
};

struct WithdrawalRow {
  W status;
  const char* name;
  unsigned next;
};
constexpr WithdrawalRow kWithdrawal[] = {
    {W::kPaid, "paid", Set<W>({})},
};

static_assert(InOrder(kPayment) && std::size(kPayment) == static_cast<size_t>(P::kClosed) + 1);
static_assert(InOrder(kRefund) && std::size(kRefund) == static_cast<size_t>(R::kSucceeded) + 1);
static_assert(InOrder(kSettlement) && std::size(kSettlement) == static_cast<size_t>(S::kSettled) + 1);
static_assert(InOrder(kWithdrawal) && std::size(kWithdrawal) == static_cast<size_t>(W::kPaid) + 1);

template <class E, class Row, size_t N>
const std::vector<E>& All(const Row (&table)[N]) {
  static const std::vector<E> all = [&] {
    std::vector<E> v;
    for (const Row& r : table) v.push_back(r.status);
    return v;
  }();
  return all;
}

template <class E>
Result<std::string_view> MoveIn(const char* kind, E from, E to) {
  if (!CanMove(from, to))
    return Fail(Msg::STATUS_CANNOT_MOVE,
                {Term("kind", kind, "kind"), Term("from", std::string(Name(from)), "pay"), Term("to", std::string(Name(to)), "pay")});
  return Name(to);
}

std::string Quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

}  // namespace

std::string_view Name(PaymentStatus s) { return At(kPayment, s).name; }
std::string_view Name(RefundStatus s) { return At(kRefund, s).name; }
std::string_view Name(SettlementStatus s) { return At(kSettlement, s).name; }
std::string_view Name(WithdrawalStatus s) { return At(kWithdrawal, s).name; }
std::optional<PaymentStatus> PaymentStatusFromString(std::string_view s) { return Find<P>(kPayment, s); }
std::optional<RefundStatus> RefundStatusFromString(std::string_view s) { return Find<R>(kRefund, s); }
std::optional<SettlementStatus> SettlementStatusFromString(std::string_view s) { return Find<S>(kSettlement, s); }
std::optional<WithdrawalStatus> WithdrawalStatusFromString(std::string_view s) { return Find<W>(kWithdrawal, s); }

bool CanMove(PaymentStatus from, PaymentStatus to) { return Contains(At(kPayment, from).next, to); }
bool CanMove(RefundStatus from, RefundStatus to) { return Contains(At(kRefund, from).next, to); }
bool CanMove(SettlementStatus from, SettlementStatus to) { return Contains(At(kSettlement, from).next, to); }
bool CanMove(WithdrawalStatus from, WithdrawalStatus to) { return Contains(At(kWithdrawal, from).next, to); }

Result<std::string_view> Move(PaymentStatus from, PaymentStatus to) { return MoveIn("payment", from, to); }
Result<std::string_view> Move(RefundStatus from, RefundStatus to) { return MoveIn("refund", from, to); }
Result<std::string_view> Move(SettlementStatus from, SettlementStatus to) { return MoveIn("settlement", from, to); }
Result<std::string_view> Move(WithdrawalStatus from, WithdrawalStatus to) { return MoveIn("withdrawal", from, to); }

const std::vector<PaymentStatus>& AllPaymentStatuses() { return All<P>(kPayment); }
const std::vector<RefundStatus>& AllRefundStatuses() { return All<R>(kRefund); }
const std::vector<SettlementStatus>& AllSettlementStatuses() { return All<S>(kSettlement); }

bool AwaitsProvider(PaymentStatus s) { return At(kPayment, s).awaits_provider; }
bool HoldsCard(PaymentStatus s) { return At(kPayment, s).holds_card; }
bool Charged(PaymentStatus s) { return At(kPayment, s).charged; }
bool ProviderRefunded(RefundStatus s) { return At(kRefund, s).provider_refunded; }
bool Held(SettlementStatus s) { return At(kSettlement, s).held; }

std::string PaymentStatusSql(bool (*pred)(PaymentStatus)) { return SqlList(kPayment, pred); }
std::string RefundStatusSql(bool (*pred)(RefundStatus)) { return SqlList(kRefund, pred); }
std::string SettlementStatusSql(bool (*pred)(SettlementStatus)) { return SqlList(kSettlement, pred); }
std::string Sql(PaymentStatus s) { return Quoted(Name(s)); }
std::string Sql(RefundStatus s) { return Quoted(Name(s)); }
std::string Sql(SettlementStatus s) { return Quoted(Name(s)); }
std::string Sql(WithdrawalStatus s) { return Quoted(Name(s)); }

}  // namespace xd::pay
