// Typed states of trade: order status and sub-status, after-sales status. Each has one
// table (src/trade/states.cc) giving its stable string (the API's and the database's
// spelling, unchanged) and the statuses it may move to; TradeService refuses any move the
// table does not list (INVALID_STATE). Invariant SQL takes its status lists from the same
// tables (OrderStatusSql), so a new status states once whether escrow holds its money.
//
//   if (!CanMove(o.status, OrderStatus::kShipped)) return Fail(ErrorCode::INVALID_STATE, ...);
//   "... WHERE status IN (" + OrderStatusSql(EscrowHolds) + ")"
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xd::trade {

// SPEC §2: created → paid → shipped → delivered → completed; created → cancelled (unpaid
// timeout or the buyer); paid/shipped/delivered → refunding → back where it was (partial
// refund, rejected request) or refunded; a payment landing on a cancelled order → refunding.
enum class OrderStatus { kCreated, kPaid, kShipped, kDelivered, kCompleted, kCancelled, kRefunding, kRefunded };

// Why a paid order waits before it may ship: its group is forming, or a gift's recipient has
// not given an address. Only a paid order waits.
enum class OrderSubStatus { kNone, kGrouping, kGiftPending };

// pending → awaiting_return (a return approved) → returned (sent back) → refunding (received)
// → refunded; pending → refunding (a refund approved); pending or returned → rejected.
enum class AftersaleStatus { kPending, kAwaitingReturn, kReturned, kRefunding, kRefunded, kRejected };

std::string_view ToString(OrderStatus s);
std::string_view ToString(OrderSubStatus s);
std::string_view ToString(AftersaleStatus s);
// The status a stable string names; nullopt for any other text.
std::optional<OrderStatus> OrderStatusFromString(std::string_view s);
std::optional<OrderSubStatus> OrderSubStatusFromString(std::string_view s);
std::optional<AftersaleStatus> AftersaleStatusFromString(std::string_view s);

// The transition tables: whether `from` may move to `to`.
bool CanMove(OrderStatus from, OrderStatus to);
bool CanMove(OrderSubStatus from, OrderSubStatus to);
bool CanMove(AftersaleStatus from, AftersaleStatus to);
// Every status of a kind, in declaration order.
const std::vector<OrderStatus>& AllOrderStatuses();
const std::vector<AftersaleStatus>& AllAftersaleStatuses();

// Properties the invariants rely on, stated once per status in the tables.
// Escrow holds what the buyer paid for an order in this status (minus refunds posted).
bool EscrowHolds(OrderStatus s);
// An order in this status has been paid in full (its payment equals its total).
bool PaidInFull(OrderStatus s);
// After-sales may be requested (the buyer has paid and the order is not finished).
bool AftersaleOpen(OrderStatus s);
// A return request in this status has had its goods received (and restocked).
bool GoodsReceived(AftersaleStatus s);
// A return request in this status still claims its items (not rejected).
bool ClaimsItems(AftersaleStatus s);

// The statuses for which `pred` holds, as an SQL list of quoted strings ('paid','shipped'),
// for `status IN (...)`. Built from the table's constants, never from input.
std::string OrderStatusSql(bool (*pred)(OrderStatus));
std::string AftersaleStatusSql(bool (*pred)(AftersaleStatus));

}  // namespace xd::trade
