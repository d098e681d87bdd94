#include "trade/states.h"

#include <initializer_list>

#include "base/state_table.h"

namespace xd::trade {

namespace {

using state_table::At;
using state_table::Contains;
using state_table::Find;
using state_table::InOrder;
using state_table::Set;
using state_table::SqlList;

using O = OrderStatus;
using A = AftersaleStatus;

struct OrderRow {
  O status;
  const char* name;
  unsigned next;  // Set of the statuses it may move to
  bool escrow_holds;   // until completion moves the money to the merchant
  bool paid_in_full;
  bool aftersale_open;
};
// One row per status, in declaration order.
constexpr OrderRow kOrder[] = {
    {O::kCreated, "created", Set<O>({O::kPaid, O::kCancelled}), true, false, false},
    {O::kPaid, "paid", Set<O>({O::kShipped, O::kRefunding}), true, true, true},
    {O::kShipped, "shipped", Set<O>({O::kDelivered, O::kCompleted, O::kRefunding}), true, true, true},
    {O::kDelivered, "delivered", Set<O>({O::kCompleted, O::kRefunding}), true, true, true},
    {O::kCompleted, "completed", Set<O>({}), false, true, false},
    {O::kCancelled, "cancelled", Set<O>({O::kRefunding}), true, false, false},  // paid on an old page: refunded
    {O::kRefunding, "refunding", Set<O>({O::kPaid, O::kShipped, O::kDelivered, O::kRefunded}), true, false, false},
    {O::kRefunded, "refunded", Set<O>({}), true, false, false},
};

struct SubRow {
  OrderSubStatus status;
  const char* name;
  unsigned next;
};
constexpr SubRow kSub[] = {
    {OrderSubStatus::kNone, "", Set<OrderSubStatus>({OrderSubStatus::kGrouping, OrderSubStatus::kGiftPending})},
    {OrderSubStatus::kGrouping, "grouping", Set<OrderSubStatus>({OrderSubStatus::kNone})},
    {OrderSubStatus::kGiftPending, "gift_pending", Set<OrderSubStatus>({OrderSubStatus::kNone})},
};

struct AftersaleRow {
  A status;
  const char* name;
  unsigned next;
  bool goods_received;
  bool claims_items;
};
constexpr AftersaleRow kAftersale[] = {
    {A::kPending, "pending", Set<A>({A::kAwaitingReturn, A::kRefunding, A::kRejected}), false, true},
    {A::kAwaitingReturn, "awaiting_return", Set<A>({A::kReturned}), false, true},
    {A::kReturned, "returned", Set<A>({A::kRefunding, A::kRejected}), false, true},
    {A::kRefunding, "refunding", Set<A>({A::kRefunded}), true, true},
    {A::kRefunded, "refunded", Set<A>({}), true, true},
    {A::kRejected, "rejected", Set<A>({}), false, false},
};

static_assert(InOrder(kOrder) && std::size(kOrder) == static_cast<size_t>(O::kRefunded) + 1);
static_assert(InOrder(kSub) && std::size(kSub) == static_cast<size_t>(OrderSubStatus::kGiftPending) + 1);
static_assert(InOrder(kAftersale) && std::size(kAftersale) == static_cast<size_t>(A::kRejected) + 1);


}  // namespace

std::string_view ToString(OrderStatus s) { return At(kOrder, s).name; }
std::string_view ToString(OrderSubStatus s) { return At(kSub, s).name; }
std::string_view ToString(AftersaleStatus s) { return At(kAftersale, s).name; }
std::optional<OrderStatus> OrderStatusFromString(std::string_view s) { return Find<O>(kOrder, s); }
std::optional<OrderSubStatus> OrderSubStatusFromString(std::string_view s) {
  return Find<OrderSubStatus>(kSub, s);
}
std::optional<AftersaleStatus> AftersaleStatusFromString(std::string_view s) {
  return Find<A>(kAftersale, s);
}

bool CanMove(OrderStatus from, OrderStatus to) { return Contains(At(kOrder, from).next, to); }
bool CanMove(OrderSubStatus from, OrderSubStatus to) { return Contains(At(kSub, from).next, to); }
bool CanMove(AftersaleStatus from, AftersaleStatus to) { return Contains(At(kAftersale, from).next, to); }

const std::vector<OrderStatus>& AllOrderStatuses() {
  static const std::vector<OrderStatus> all = [] {
    std::vector<OrderStatus> v;
    for (const OrderRow& r : kOrder) v.push_back(r.status);
    return v;
  }();
  return all;
}
const std::vector<AftersaleStatus>& AllAftersaleStatuses() {
  static const std::vector<AftersaleStatus> all = [] {
    std::vector<AftersaleStatus> v;
    for (const AftersaleRow& r : kAftersale) v.push_back(r.status);
    return v;
  }();
  return all;
}

bool EscrowHolds(OrderStatus s) { return At(kOrder, s).escrow_holds; }
bool PaidInFull(OrderStatus s) { return At(kOrder, s).paid_in_full; }
bool AftersaleOpen(OrderStatus s) { return At(kOrder, s).aftersale_open; }
bool GoodsReceived(AftersaleStatus s) { return At(kAftersale, s).goods_received; }
bool ClaimsItems(AftersaleStatus s) { return At(kAftersale, s).claims_items; }

std::string OrderStatusSql(bool (*pred)(OrderStatus)) { return SqlList(kOrder, pred); }
std::string AftersaleStatusSql(bool (*pred)(AftersaleStatus)) { return SqlList(kAftersale, pred); }

}  // namespace xd::trade
