// Orders: reading them (one, a page), the state machine (SetStatus), cancel, payment, confirmation,
// shipping and delivery, waits, refunds outside after-sales.
#include "trade/trade.h"

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>

#include "base/id.h"
#include "base/messages.h"
#include "base/money.h"
#include "catalog/catalog.h"
#include "trade/events.h"
#include "trade/internal/trade_internal.h"
#include "trade/states.h"

namespace xd::trade {

constexpr const char* kOrderCols =
    "id, buyer_id, merchant_id, merchant_kind, status, sub_status, status_before_refund, items_fen, discount_fen, shipping_fen, "
    "total_fen, provider_paid_fen, card_paid_fen, refunded_fen, commission_fen, address, pricing, activity, payment_id, "
    "created_at_ms, paid_at_ms, shipped_at_ms, delivered_at_ms, completed_at_ms, cancelled_at_ms";

Result<Order> OrderFromRow(const Row& r) {
  Order o;
  o.id = r.Int(0);
  o.buyer_id = r.Int(1);
  o.merchant_id = r.Int(2);
  o.merchant_kind = r.Str(3);
  ASSIGN_OR_RETURN(o.status, StoredStatus(OrderStatusFromString, "order status", r.Str(4)));
  ASSIGN_OR_RETURN(o.sub_status, StoredStatus(OrderSubStatusFromString, "order sub_status", r.Str(5)));
  if (!r.Str(6).empty()) {  // stored '' while the order is not refunding
    ASSIGN_OR_RETURN(o.status_before_refund, StoredStatus(OrderStatusFromString, "order status_before_refund", r.Str(6)));
  }
  o.items_fen = r.Int(7);
  o.discount_fen = r.Int(8);
  o.shipping_fen = r.Int(9);
  o.total_fen = r.Int(10);
  o.provider_paid_fen = r.Int(11);
  o.card_paid_fen = r.Int(12);
  o.refunded_fen = r.Int(13);
  o.commission_fen = r.Int(14);
  o.address_json = r.Str(15);
  o.pricing_json = r.Str(16);
  o.activity = r.JsonAt(17);
  o.payment_id = r.OptInt(18);
  o.created_at_ms = r.Int(19);
  o.paid_at_ms = r.OptInt(20);
  o.shipped_at_ms = r.OptInt(21);
  o.delivered_at_ms = r.OptInt(22);
  o.completed_at_ms = r.OptInt(23);
  o.cancelled_at_ms = r.OptInt(24);
  return o;
}

namespace {

// An order's lines, in order.
Result<std::vector<OrderItem>> LoadOrderItems(Reader& r, int64_t order_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT sku_id, product_id, title, image, spec, unit_price_fen, quantity, line_fen FROM order_items "
                                      "WHERE order_id=? ORDER BY id", {order_id}));
  std::vector<OrderItem> items;
  for (auto& it : rows)
    items.push_back(OrderItem{it.Int(0), it.Int(1), it.Str(2), it.Str(3), it.Str(4), it.Int(5), it.Int(6), it.Int(7)});
  return items;
}

}  // namespace

Result<Order> LoadOrder(Reader& r, int64_t order_id, bool with_items) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kOrderCols + " FROM orders WHERE id=?", {order_id}));
  if (!row) return Fail(Msg::ORDER_NOT_FOUND);
  ASSIGN_OR_RETURN(Order o, OrderFromRow(*row));
  if (with_items) {
    ASSIGN_OR_RETURN(o.items, LoadOrderItems(r, order_id));
  }
  return o;
}

namespace {

Json TimeOrNull(const std::optional<int64_t>& ms) { return ms ? Json(FormatRfc3339(*ms)) : Json(nullptr); }

// Whether this store locks rows. SQLite has one writer: a transaction holds the whole database
// from its first write, so `SELECT … FOR UPDATE` has nothing to take there (Dialect::ForUpdate
// is empty) and the reads that only lock are skipped — on a paid order they were five
// statements and a second load of the order (bench/README, addendum 8).
bool LocksRows(const Tx& tx) { return !tx.dialect().ForUpdate().empty(); }

// Locks the order's row to commit. Pay and Cancel take it before they read the order's pending
// payment: on two nodes at once, one waits for the other's commit and sees its payment (Pay
// answers it, Cancel closes it) instead of both acting on "no payment yet". An unknown order
// locks nothing (the read after says NOT_FOUND).
Status LockOrderRow(Tx& tx, int64_t order_id) {
  if (!LocksRows(tx)) return Ok();
  return ToStatus(tx.QueryOne("SELECT id FROM orders WHERE id=?" + std::string(tx.dialect().ForUpdate()), {order_id}));
}

// Locks the SKU rows of an order's lines, ascending by id: stock comes after the order's and
// its activity's rows and before the ledger's (OrderObserver::LockRows).
Status LockOrderSkus(Tx& tx, int64_t order_id) {
  if (!LocksRows(tx)) return Ok();
  ASSIGN_OR_RETURN(Rows skus, tx.Query("SELECT DISTINCT sku_id FROM order_items WHERE order_id=? ORDER BY sku_id", {order_id}));
  for (auto& s : skus)
    RETURN_IF_ERROR(ToStatus(tx.QueryOne("SELECT id FROM skus WHERE id=?" + std::string(tx.dialect().ForUpdate()), {s.Int(0)})));
  return Ok();
}

// An order's lines by product id, then SKU id: a sale counts on the products rows too, after
// LockOrderSkus has locked every SKU row (ascending), so the products rows are taken in one
// order as well (two orders of different SKUs of the same two products, paid at once).
std::vector<OrderItem> InStockOrder(std::vector<OrderItem> items) {
  std::ranges::sort(items, [](const OrderItem& a, const OrderItem& b) {
    return std::tie(a.product_id, a.sku_id) < std::tie(b.product_id, b.sku_id);
  });
  return items;
}

// Where an order records when it entered a status: the column and the Order field.
struct TimeColumn {
  const char* name;
  std::optional<int64_t> Order::*field;
};
std::optional<TimeColumn> TimeColumnOf(OrderStatus s) {
  switch (s) {
    case OrderStatus::kPaid: return TimeColumn{"paid_at_ms", &Order::paid_at_ms};
    case OrderStatus::kShipped: return TimeColumn{"shipped_at_ms", &Order::shipped_at_ms};
    case OrderStatus::kDelivered: return TimeColumn{"delivered_at_ms", &Order::delivered_at_ms};
    case OrderStatus::kCompleted: return TimeColumn{"completed_at_ms", &Order::completed_at_ms};
    case OrderStatus::kCancelled: return TimeColumn{"cancelled_at_ms", &Order::cancelled_at_ms};
    case OrderStatus::kCreated:
    case OrderStatus::kRefunding:
    case OrderStatus::kRefunded: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

Json ToJson(const Order& o) {
  Json items = Json::array();
  for (auto& it : o.items)
    items.push_back(Json{{"sku_id", IdString(it.sku_id)}, {"product_id", IdString(it.product_id)}, {"title", it.title},
                         {"image", it.image}, {"spec", StoredJson(it.spec_json)}, {"unit_price_fen", it.unit_price_fen},
                         {"quantity", it.quantity}, {"line_fen", it.line_fen}});
  Json j{{"id", IdString(o.id)},
         {"buyer_id", IdString(o.buyer_id)},
         {"merchant_id", IdString(o.merchant_id)},
         {"merchant_kind", o.merchant_kind},
         {"status", ToString(o.status)},
         {"sub_status", ToString(o.sub_status)},
         {"items", items},
         {"items_fen", o.items_fen},
         {"discount_fen", o.discount_fen},
         {"shipping_fen", o.shipping_fen},
         {"total_fen", o.total_fen},
         {"paid_fen", o.provider_paid_fen + o.card_paid_fen},
         {"card_paid_fen", o.card_paid_fen},
         {"refunded_fen", o.refunded_fen},
         {"commission_fen", o.commission_fen},
         {"address", StoredJson(o.address_json)},
         {"pricing", StoredJson(o.pricing_json)},
         {"activity", o.activity},
         {"payment_id", o.payment_id ? Json(IdString(*o.payment_id)) : Json(nullptr)},
         {"created_at", FormatRfc3339(o.created_at_ms)},
         {"paid_at", TimeOrNull(o.paid_at_ms)},
         {"shipped_at", TimeOrNull(o.shipped_at_ms)},
         {"delivered_at", TimeOrNull(o.delivered_at_ms)},
         {"completed_at", TimeOrNull(o.completed_at_ms)},
         {"cancelled_at", TimeOrNull(o.cancelled_at_ms)}};
  if (o.activity.is_object() && o.activity.contains("group_id")) j["group_id"] = o.activity["group_id"];
  return j;
}

namespace {

void WriteTimeOrNull(JsonWriter& w, const std::optional<int64_t>& ms) {
  ms ? w.String(FormatRfc3339(*ms)) : w.Null();
}

}  // namespace

void WriteOrderMembers(JsonWriter& w, const Order& o) {
  w.Key("id").String(IdString(o.id));
  w.Key("buyer_id").String(IdString(o.buyer_id));
  w.Key("merchant_id").String(IdString(o.merchant_id));
  w.Key("merchant_kind").String(o.merchant_kind);
  w.Key("status").String(ToString(o.status));
  w.Key("sub_status").String(ToString(o.sub_status));
  w.Key("items").BeginArray();
  for (auto& it : o.items) {
    w.BeginObject();
    w.Key("sku_id").String(IdString(it.sku_id));
    w.Key("product_id").String(IdString(it.product_id));
    w.Key("title").String(it.title);
    w.Key("image").String(it.image);
    w.Key("spec").Raw(it.spec_json);
    w.Key("unit_price_fen").Int(it.unit_price_fen);
    w.Key("quantity").Int(it.quantity);
    w.Key("line_fen").Int(it.line_fen);
    w.EndObject();
  }
  w.EndArray();
  w.Key("items_fen").Int(o.items_fen);
  w.Key("discount_fen").Int(o.discount_fen);
  w.Key("shipping_fen").Int(o.shipping_fen);
  w.Key("total_fen").Int(o.total_fen);
  w.Key("paid_fen").Int(o.provider_paid_fen + o.card_paid_fen);
  w.Key("card_paid_fen").Int(o.card_paid_fen);
  w.Key("refunded_fen").Int(o.refunded_fen);
  w.Key("commission_fen").Int(o.commission_fen);
  w.Key("address").Raw(o.address_json);
  w.Key("pricing").Raw(o.pricing_json);
  w.Key("activity").Value(o.activity);
  w.Key("payment_id");
  o.payment_id ? w.String(IdString(*o.payment_id)) : w.Null();
  w.Key("created_at").String(FormatRfc3339(o.created_at_ms));
  w.Key("paid_at");
  WriteTimeOrNull(w, o.paid_at_ms);
  w.Key("shipped_at");
  WriteTimeOrNull(w, o.shipped_at_ms);
  w.Key("delivered_at");
  WriteTimeOrNull(w, o.delivered_at_ms);
  w.Key("completed_at");
  WriteTimeOrNull(w, o.completed_at_ms);
  w.Key("cancelled_at");
  WriteTimeOrNull(w, o.cancelled_at_ms);
  if (o.activity.is_object() && o.activity.contains("group_id")) w.Key("group_id").Value(o.activity["group_id"]);
}

// ---- orders ----

Result<Order> TradeService::GetOrder(Reader& r, int64_t order_id, std::optional<int64_t> buyer_id, std::optional<int64_t> merchant_id) {
  ASSIGN_OR_RETURN(Order o, LoadOrder(r, order_id, true));
  if ((buyer_id && o.buyer_id != *buyer_id) || (merchant_id && o.merchant_id != *merchant_id))
    return Fail(Msg::ORDER_NOT_FOUND);
  return o;
}

Result<OrderStatus> TradeService::BuyerOrderStatus(Reader& r, int64_t order_id, int64_t buyer_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne("SELECT status FROM orders WHERE id=? AND buyer_id=?", {order_id, buyer_id}));
  if (!row) return Fail(Msg::ORDER_NOT_FOUND);
  return StoredStatus(OrderStatusFromString, "order status", row->Str(0));
}

Result<std::vector<Order>> TradeService::ListOrders(Reader& r, std::optional<int64_t> buyer_id, std::optional<int64_t> merchant_id,
                                                    const std::string& status, int64_t limit, int64_t before_id) {
  // Two queries, whatever the page size: the page, then the lines of the same page (the
  // same selection as a subquery, in the same snapshot).
  // `id < ?` as a plain range (no "first page" OR): each page starts where the last one ended
  // on the (owner, id) index instead of walking down from the newest order every time.
  const std::string page = std::string(" FROM orders WHERE ") + (buyer_id ? "buyer_id=?" : "merchant_id=?") +
                           " AND (?='' OR status=?) AND id<? ORDER BY id DESC LIMIT ?";
  int64_t owner = buyer_id ? *buyer_id : merchant_id.value_or(0);
  const int64_t below = before_id > 0 ? before_id : std::numeric_limits<int64_t>::max();
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + kOrderCols + page, {owner, status, status, below, limit}));
  std::vector<Order> out;
  if (rows.empty()) return out;
  std::map<int64_t, size_t> index;
  for (auto& row : rows) {
    index[row.Int(0)] = out.size();
    ASSIGN_OR_RETURN(Order o, OrderFromRow(row));
    out.push_back(std::move(o));
  }
  ASSIGN_OR_RETURN(Rows items, r.Query("SELECT order_id, sku_id, product_id, title, image, spec, unit_price_fen, quantity, line_fen "
                                       "FROM order_items WHERE order_id IN (SELECT id" + page + ") ORDER BY order_id, id",
                                       {owner, status, status, below, limit}));
  for (auto& it : items)
    if (auto o = index.find(it.Int(0)); o != index.end())
      out[o->second].items.push_back(OrderItem{it.Int(1), it.Int(2), it.Str(3), it.Str(4), it.Str(5), it.Int(6), it.Int(7), it.Int(8)});
  return out;
}

Status TradeService::SetStatus(Tx& tx, Order& o, OrderStatus to, const Json& extra) {
  if (!CanMove(o.status, to))
    return Fail(Msg::ORDER_CANNOT_MOVE, {Term("from", std::string(ToString(o.status)), "order"), Term("to", std::string(ToString(to)), "order")});
  if (o.sub_status != OrderSubStatus::kNone && to != OrderStatus::kPaid)
    return Fail(Msg::ORDER_WAITING, {Term("waiting", std::string(ToString(o.sub_status)), "order")});
  int64_t now = tx.NowMs();
  const std::optional<TimeColumn> time_col = TimeColumnOf(to);
  std::string sql = "UPDATE orders SET status=?1, sub_status=?2, status_before_refund=?3, updated_at_ms=?4";
  // A status's time is when the order first reached it: a partial refund that returns the order
  // to paid (or shipped, …) keeps the time it was paid (or shipped) — time windows (hot shops,
  // first paid orders, BI) must not see it paid again.
  if (time_col) sql += std::string(", ") + time_col->name + "=COALESCE(" + time_col->name + ", ?4)";
  // Becoming paid records what was paid and by which payment, in the same statement.
  const bool paid = to == OrderStatus::kPaid;
  if (paid) sql += ", provider_paid_fen=?7, card_paid_fen=?8, payment_id=?9";
  // Guarded by the status it moves from: a stale read cannot move an order twice.
  sql += " WHERE id=?5 AND status=?6";
  int64_t changed = 0;
  // The stored spellings; '' for "not refunding".
  const std::string_view before_refund = o.status_before_refund ? ToString(*o.status_before_refund) : "";
  if (paid) {
    ASSIGN_OR_RETURN(changed, tx.Exec(sql, {ToString(to), ToString(o.sub_status), before_refund, now, o.id, ToString(o.status),
                                            o.provider_paid_fen, o.card_paid_fen, o.payment_id}));
  } else {
    ASSIGN_OR_RETURN(changed, tx.Exec(sql, {ToString(to), ToString(o.sub_status), before_refund, now, o.id, ToString(o.status)}));
  }
  if (changed != 1) return Fail(Msg::ORDER_CHANGED);
  OrderEvent event{.order_id = o.id, .buyer_id = o.buyer_id, .merchant_id = o.merchant_id, .total_fen = o.total_fen,
                   .from = o.status, .to = to, .extra = extra};
  o.status = to;
  if (time_col && !(o.*(time_col->field))) o.*(time_col->field) = now;
  // The snapshot: the order as this transaction leaves it, its lines included.
  if (o.items.empty()) {  // only the lines are missing: not the whole order again
    ASSIGN_OR_RETURN(o.items, LoadOrderItems(tx, o.id));
  }
  ASSIGN_OR_RETURN(event.order, DescribeOrder(tx, o));
  RETURN_IF_ERROR(Emit(tx, std::move(event)));
  for (auto& ob : observers_) ob->OnStatusChanged(tx, o);
  return Ok();
}

Status TradeService::LockForChange(Tx& tx, const Order& o, OrderChange change) {
  if (!LocksRows(tx)) return Ok();  // observers' LockRows only lock too
  RETURN_IF_ERROR(LockOrderRow(tx, o.id));
  for (auto& ob : observers_) RETURN_IF_ERROR(ob->LockRows(tx, o, change));
  return LockOrderSkus(tx, o.id);
}

Status TradeService::LockOrders(Tx& tx, std::vector<int64_t> order_ids) {
  std::sort(order_ids.begin(), order_ids.end());
  for (int64_t id : order_ids) RETURN_IF_ERROR(LockOrderRow(tx, id));
  return Ok();
}

Status TradeService::Cancel(Tx& tx, int64_t order_id, std::optional<int64_t> buyer_id, const std::string& reason) {
  RETURN_IF_ERROR(LockOrderRow(tx, order_id));
  ASSIGN_OR_RETURN(Order o, GetOrder(tx, order_id, buyer_id, std::nullopt));
  if (o.status != OrderStatus::kCreated)
    return Fail(Msg::ORDER_NOT_CANCELLABLE, {Term("status", std::string(ToString(o.status)), "order")});
  RETURN_IF_ERROR(LockForChange(tx, o, OrderChange::kCancel));
  for (auto& it : InStockOrder(o.items))
    RETURN_IF_ERROR(catalog::Release(tx, it.sku_id, it.quantity));
  ASSIGN_OR_RETURN(auto pending, pay::PendingPaymentOf(tx, order_id));
  if (pending) RETURN_IF_ERROR(pay::EndPendingPayment(tx, pending->id, false));
  RETURN_IF_ERROR(SetStatus(tx, o, OrderStatus::kCancelled, Json{{"reason", reason}}));
  for (auto& ob : observers_) RETURN_IF_ERROR(ob->OnCancelled(tx, o));
  return Ok();
}

Result<pay::Payment> TradeService::Pay(Tx& tx, int64_t buyer_id, int64_t order_id, int64_t card_fen) {
  RETURN_IF_ERROR(LockOrderRow(tx, order_id));
  ASSIGN_OR_RETURN(Order o, LoadOrder(tx, order_id, false));  // the lines are not needed to pay
  if (o.buyer_id != buyer_id) return Fail(Msg::ORDER_NOT_FOUND);
  if (o.status != OrderStatus::kCreated)
    return Fail(Msg::ORDER_NOT_PAYABLE, {Term("status", std::string(ToString(o.status)), "order")});
  ASSIGN_OR_RETURN(auto pending, pay::PendingPaymentOf(tx, order_id));
  if (pending) return *pending;
  return StartOrderPayment(tx, o, card_fen);
}

Result<pay::Payment> TradeService::StartOrderPayment(Tx& tx, Order& o, int64_t card_fen) {
  // Store credit covering it all completes the payment in this command: its rows first.
  if (card_fen >= o.total_fen) RETURN_IF_ERROR(LockForChange(tx, o, OrderChange::kPay));
  ASSIGN_OR_RETURN(pay::Payment p, pay::StartPayment(tx, provider_, o.id, o.merchant_id, o.buyer_id, o.total_fen, card_fen));
  RETURN_IF_ERROR(tx.Run("UPDATE orders SET payment_id=? WHERE id=?", {p.id, o.id}));
  o.payment_id = p.id;
  if (p.amount_fen == 0) {  // store credit covered it all
    ASSIGN_OR_RETURN(bool fresh, pay::SettlePaymentSuccess(tx, p, "card"));
    if (fresh) RETURN_IF_ERROR(OnPaymentSucceeded(tx, p));
    p.status = pay::PaymentStatus::kSucceeded;
    ASSIGN_OR_RETURN(o, LoadOrder(tx, o.id, true));  // paid, perhaps waiting for its group or gift
  }
  return p;
}

Status TradeService::OnPaymentSucceeded(Tx& tx, const pay::Payment& p) {
  const int64_t order_id = p.order_id;
  ASSIGN_OR_RETURN(Order o, LoadOrder(tx, order_id, true));
  o.provider_paid_fen = p.amount_fen;
  o.card_paid_fen = p.card_fen;
  o.payment_id = p.id;
  if (o.status == OrderStatus::kCancelled) {
    RETURN_IF_ERROR(tx.Run("UPDATE orders SET provider_paid_fen=?, card_paid_fen=?, payment_id=? WHERE id=?",
                           {o.provider_paid_fen, o.card_paid_fen, p.id, order_id}));
    // Paid after the order was cancelled (the buyer paid on an old page): refund it all.
    o.status_before_refund = OrderStatus::kCancelled;
    RETURN_IF_ERROR(SetStatus(tx, o, OrderStatus::kRefunding, Json{{"reason", "paid after cancellation"}}));
    ASSIGN_OR_RETURN(pay::Refund rf, pay::StartRefund(tx, provider_, order_id, o.provider_paid_fen + o.card_paid_fen, 0, "paid after cancellation"));
    if (rf.status == pay::RefundStatus::kSucceeded) RETURN_IF_ERROR(OnRefundCompleted(tx, rf.id));
    return Ok();
  }
  if (o.status != OrderStatus::kCreated)
    return Fail(ErrorCode::INTERNAL, "payment for an order in state " + std::string(ToString(o.status)));
  for (auto& it : InStockOrder(o.items)) RETURN_IF_ERROR(catalog::Sell(tx, it.sku_id, it.quantity));
  for (auto& ob : observers_) RETURN_IF_ERROR(ob->OnPaid(tx, o));
  return SetStatus(tx, o, OrderStatus::kPaid, Json{{"paid_fen", o.provider_paid_fen + o.card_paid_fen}});  // writes the amounts too
}

Status TradeService::LockForPaymentOf(Tx& tx, const pay::Payment& p) {
  if (!pay::AwaitsProvider(p.status) || !LocksRows(tx)) return Ok();  // settled before: nothing will change
  ASSIGN_OR_RETURN(Order o, LoadOrder(tx, p.order_id, false));
  return LockForChange(tx, o, OrderChange::kPay);
}

Result<std::string> TradeService::ApplyNotification(Tx& tx, const pay::Notification& n) {
  ASSIGN_OR_RETURN(bool first, pay::FirstSighting(tx, n.notify_id));
  if (!first) return std::string("duplicate");
  // Believe only what the provider's own records say (the query API), not the message alone:
  // every outcome (success, failure, refund) must be the one the provider recorded, for this
  // kind of transaction, amount, number and transaction id. A message signed with a leaked
  // secret then cannot fail a payment the provider completed, nor the other way round.
  ASSIGN_OR_RETURN(pay::ProviderTxn t, provider_.Query(tx, n.prepay_id));
  const bool is_payment = n.event == "payment.succeeded" || n.event == "payment.failed";
  const char* recorded = n.event == "payment.failed" ? "FAIL" : "SUCCESS";
  if (!is_payment && n.event != "refund.succeeded") return Fail(Msg::NOTIFICATION_EVENT_UNKNOWN, {{"event", n.event}});
  if (t.kind != (is_payment ? "pay" : "refund") || t.status != recorded || t.amount_fen != n.amount_fen || t.out_no != n.out_no ||
      t.transaction_id != n.transaction_id)
    return Fail(Msg::NOTIFICATION_UNCONFIRMED);
  if (is_payment) {
    ASSIGN_OR_RETURN(pay::Payment p, pay::PaymentByPrepay(tx, n.prepay_id));
    if (n.event == "payment.succeeded") {
      RETURN_IF_ERROR(LockForPaymentOf(tx, p));
      ASSIGN_OR_RETURN(bool fresh, pay::SettlePaymentSuccess(tx, p, t.transaction_id));
      if (fresh) RETURN_IF_ERROR(OnPaymentSucceeded(tx, p));
      return std::string(fresh ? "paid" : "already_paid");
    }
    RETURN_IF_ERROR(pay::EndPendingPayment(tx, p.id, true));
    return std::string("failed");
  }
  auto refund_id = ParseId(n.out_no);
  if (!refund_id) return Fail(Msg::REFUND_NUMBER_INVALID);
  ASSIGN_OR_RETURN(bool fresh, pay::CompleteRefund(tx, *refund_id));
  if (fresh) RETURN_IF_ERROR(OnRefundCompleted(tx, *refund_id));
  return std::string(fresh ? "refunded" : "already_refunded");
}

Result<pay::PaymentStatus> TradeService::QueryPayment(Tx& tx, int64_t payment_id) {
  ASSIGN_OR_RETURN(pay::Payment p, pay::GetPayment(tx, payment_id));
  if (!pay::AwaitsProvider(p.status) || p.prepay_id.empty()) return p.status;
  ASSIGN_OR_RETURN(pay::ProviderTxn t, provider_.Query(tx, p.prepay_id));
  if (t.status == "SUCCESS") {
    RETURN_IF_ERROR(LockForPaymentOf(tx, p));
    ASSIGN_OR_RETURN(bool fresh, pay::SettlePaymentSuccess(tx, p, t.transaction_id));
    if (fresh) RETURN_IF_ERROR(OnPaymentSucceeded(tx, p));
    return pay::PaymentStatus::kSucceeded;
  }
  if (t.status == "FAIL") {
    RETURN_IF_ERROR(pay::EndPendingPayment(tx, p.id, true));
    return pay::PaymentStatus::kFailed;
  }
  return p.status;
}

Status TradeService::Confirm(Tx& tx, int64_t order_id, std::optional<int64_t> buyer_id) {
  ASSIGN_OR_RETURN(Order o, GetOrder(tx, order_id, buyer_id, std::nullopt));
  if (o.status != OrderStatus::kShipped && o.status != OrderStatus::kDelivered)
    return Fail(Msg::ORDER_NOT_CONFIRMABLE, {Term("status", std::string(ToString(o.status)), "order")});
  ASSIGN_OR_RETURN(account::Merchant m, account::GetMerchant(tx, o.merchant_id));
  int64_t kept = o.provider_paid_fen + o.card_paid_fen - o.refunded_fen;
  ASSIGN_OR_RETURN(Money commission, Money::Fen(kept).ApplyBps(m.settings.commission_bps));
  RETURN_IF_ERROR(tx.Run("UPDATE orders SET commission_fen=? WHERE id=?", {commission.fen(), order_id}));
  o.commission_fen = commission.fen();
  std::vector<pay::Posting> shares;
  for (auto& ob : observers_) RETURN_IF_ERROR(ob->OnCompleting(tx, o, &shares));
  int64_t net = kept - commission.fen();
  for (auto& p : shares) net -= p.amount_fen;
  if (net < 0) return Fail(ErrorCode::INTERNAL, "shares exceed the merchant's net");
  // The completion's entry before the shares': each entry takes its balances ascending by
  // account (pay::Post), and the completion's (commission:, escrow:, merchant_payable:) must
  // come first so that every completion of the merchant takes commission: before escrow:.
  RETURN_IF_ERROR(pay::SettleOrderCompletion(tx, order_id, o.merchant_id, net, commission.fen(),
                                             m.settings.hold_days));
  if (!shares.empty()) {
    int64_t total = 0;
    for (auto& p : shares) total += p.amount_fen;
    shares.push_back({pay::EscrowAccount(o.merchant_id), -total});
    RETURN_IF_ERROR(pay::Post(tx, "order.shares", order_id, shares));
  }
  RETURN_IF_ERROR(SetStatus(tx, o, OrderStatus::kCompleted, Json{{"commission_fen", commission.fen()}}));
  for (auto& ob : observers_) RETURN_IF_ERROR(ob->OnCompleted(tx, o));
  return Ok();
}

Status TradeService::MarkShipped(Tx& tx, int64_t merchant_id, int64_t order_id) {
  ASSIGN_OR_RETURN(Order o, GetOrder(tx, order_id, std::nullopt, merchant_id));
  if (o.status != OrderStatus::kPaid)
    return Fail(Msg::ORDER_NOT_SHIPPABLE, {Term("status", std::string(ToString(o.status)), "order")});
  if (o.sub_status != OrderSubStatus::kNone)
    return Fail(Msg::ORDER_WAITING, {Term("waiting", std::string(ToString(o.sub_status)), "order")});
  RETURN_IF_ERROR(SetStatus(tx, o, OrderStatus::kShipped));
  return ToStatus(tx.AddTimer(kTimerAutoConfirm, tx.NowMs() + config_.auto_confirm_ms, Json{{"order_id", order_id}}));
}

Status TradeService::MarkDelivered(Tx& tx, int64_t order_id) {
  ASSIGN_OR_RETURN(Order o, LoadOrder(tx, order_id, false));
  if (o.status != OrderStatus::kShipped) return Ok();  // a late tracking event after confirmation changes nothing
  return SetStatus(tx, o, OrderStatus::kDelivered);
}

Result<std::string> TradeService::DescribeOrder(Reader& r, const Order& o) const {
  std::string out;
  out.reserve(1536);
  JsonWriter w(out);
  w.BeginObject();
  WriteOrderMembers(w, o);
  for (auto& ob : observers_) RETURN_IF_ERROR(ob->Describe(r, o, w));
  w.EndObject();
  return out;
}

Status TradeService::ReleaseWait(Tx& tx, int64_t order_id, OrderSubStatus waiting, const Json* new_address) {
  const std::string waiting_name(ToString(waiting));
  if (!CanMove(waiting, OrderSubStatus::kNone)) return Fail(Msg::ORDER_NOT_WAITING, {Term("waiting", waiting_name, "order")});
  std::optional<std::string> address;
  if (new_address) address = DumpJson(*new_address);
  ASSIGN_OR_RETURN(auto released, tx.QueryOne("UPDATE orders SET sub_status=?, address=COALESCE(?, address), updated_at_ms=? "
                                                "WHERE id=? AND status=? AND sub_status=? RETURNING merchant_id",
                                                {ToString(OrderSubStatus::kNone), address, tx.NowMs(), order_id,
                                                 ToString(OrderStatus::kPaid), waiting_name}));
  if (!released) return Fail(Msg::ORDER_NOT_WAITING, {Term("waiting", waiting_name, "order")});
  return Emit(tx, OrderReleased{.order_id = order_id, .merchant_id = released->Int(0), .from = waiting});
}

Status TradeService::RefundOrder(Tx& tx, int64_t order_id, int64_t amount_fen, const std::string& reason) {
  ASSIGN_OR_RETURN(Order o, LoadOrder(tx, order_id, false));
  if (o.status != OrderStatus::kPaid) return Fail(Msg::ORDER_NOT_REFUNDABLE_UNSHIPPED);
  o.status_before_refund = o.status;
  o.sub_status = OrderSubStatus::kNone;
  RETURN_IF_ERROR(SetStatus(tx, o, OrderStatus::kRefunding, Json{{"reason", reason}}));
  ASSIGN_OR_RETURN(pay::Refund rf, pay::StartRefund(tx, provider_, order_id, amount_fen, o.refunded_fen, reason));
  if (rf.status == pay::RefundStatus::kSucceeded) RETURN_IF_ERROR(OnRefundCompleted(tx, rf.id));
  return Ok();
}

Status TradeService::OnRefundCompleted(Tx& tx, int64_t refund_id) {
  ASSIGN_OR_RETURN(pay::Refund rf, pay::GetRefund(tx, refund_id));
  ASSIGN_OR_RETURN(Order o, LoadOrder(tx, rf.order_id, true));
  int64_t amount = rf.provider_fen + rf.card_fen;
  o.refunded_fen += amount;
  RETURN_IF_ERROR(tx.Run("UPDATE orders SET refunded_fen=? WHERE id=?", {o.refunded_fen, o.id}));
  RefundSucceeded succeeded{.refund = rf, .merchant_id = o.merchant_id};
  ASSIGN_OR_RETURN(succeeded.order, DescribeOrder(tx, o));
  RETURN_IF_ERROR(Emit(tx, std::move(succeeded)));
  ASSIGN_OR_RETURN(auto as_row, tx.QueryOne("SELECT id FROM aftersales WHERE refund_id=?", {refund_id}));
  if (as_row) {
    ASSIGN_OR_RETURN(Aftersale a, GetAftersale(tx, as_row->Int(0), std::nullopt, std::nullopt));
    RETURN_IF_ERROR(MoveAftersale(tx, a, AftersaleStatus::kRefunded));
  }
  bool full = o.refunded_fen >= o.provider_paid_fen + o.card_paid_fen;
  OrderStatus next = full ? OrderStatus::kRefunded : o.status_before_refund.value_or(OrderStatus::kPaid);
  o.status_before_refund.reset();
  RETURN_IF_ERROR(SetStatus(tx, o, next, Json{{"refunded_fen", o.refunded_fen}}));
  for (auto& ob : observers_) RETURN_IF_ERROR(ob->OnRefunded(tx, o, amount));
  return Ok();
}

}  // namespace xd::trade
