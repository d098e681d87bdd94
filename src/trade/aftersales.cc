// After-sales: refund and return requests, their approval, the goods coming back (restocked
// exactly as named), and the refunds they start.
#include "trade/trade.h"

#include <algorithm>
#include <map>

#include "base/id.h"
#include "base/messages.h"
#include "base/money.h"
#include "catalog/catalog.h"
#include "trade/events.h"
#include "trade/internal/trade_internal.h"
#include "trade/states.h"

namespace xd::trade {

constexpr const char* kAftersaleCols =
    "id, order_id, buyer_id, merchant_id, amount_fen, type, reason, status, return_carrier, return_tracking_no, reject_reason, "
    "refund_id, created_at_ms";

Result<Aftersale> AftersaleFromRow(const Row& r) {
  ASSIGN_OR_RETURN(AftersaleStatus status, StoredStatus(AftersaleStatusFromString, "after-sales status", r.Str(7)));
  return Aftersale{r.Int(0), r.Int(1), r.Int(2), r.Int(3), r.Int(4), r.Str(5), r.Str(6), status, r.Str(8), r.Str(9), r.Str(10),
                   r.OptInt(11), r.Int(12), {}};
}

// Attaches each request's returned items: one query for all of `list`, whose ids are those
// `ids_sql` selects with `params` (the query that produced the list).
Status LoadAftersaleItems(Reader& r, std::vector<Aftersale>& list, const std::string& ids_sql, Params params) {
  if (list.empty()) return Ok();
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT aftersale_id, sku_id, quantity FROM aftersale_items WHERE aftersale_id IN (" + ids_sql +
                                          ") ORDER BY aftersale_id, sku_id",
                                      params));
  std::map<int64_t, Aftersale*> by_id;
  for (auto& a : list) by_id[a.id] = &a;
  for (auto& row : rows)
    if (auto it = by_id.find(row.Int(0)); it != by_id.end()) it->second->items.push_back(LineRequest{row.Int(1), row.Int(2)});
  return Ok();
}

// Moves a request along the after-sales table (INVALID_STATE for a move it does not list),
// guarded by the status it moves from.
Status MoveAftersale(Tx& tx, Aftersale& a, AftersaleStatus to) {
  if (!CanMove(a.status, to))
    return Fail(Msg::AFTERSALE_CANNOT_MOVE, {Term("from", std::string(ToString(a.status)), "aftersale"), Term("to", std::string(ToString(to)), "aftersale")});
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE aftersales SET status=?, updated_at_ms=? WHERE id=? AND status=?",
                                      {ToString(to), tx.NowMs(), a.id, ToString(a.status)}));
  if (n != 1) return Fail(Msg::AFTERSALE_CHANGED);
  a.status = to;
  return Ok();
}

// Per SKU of the order: units still returnable (ordered minus those of return requests that
// were not rejected).
namespace {

// "aftersale.<step>" with the request and its order as they are once the step took effect (the
// open platform's webhooks and the data platform read it).
Status EmitAftersale(const TradeService& trade, Tx& tx, std::string step, const Aftersale& a,
                     bool by_timeout = false) {
  AftersaleChanged e{.step = std::move(step), .aftersale = a, .by_timeout = by_timeout};
  ASSIGN_OR_RETURN(Order after, LoadOrder(tx, a.order_id, true));
  ASSIGN_OR_RETURN(e.order, trade.DescribeOrder(tx, after));
  return Emit(tx, std::move(e));
}

}  // namespace

Result<std::map<int64_t, int64_t>> ReturnableUnits(Reader& r, int64_t order_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT oi.sku_id, oi.quantity - COALESCE((SELECT SUM(ai.quantity) FROM aftersale_items ai "
                                      "JOIN aftersales a ON a.id = ai.aftersale_id WHERE ai.order_id = oi.order_id AND "
                                      "ai.sku_id = oi.sku_id AND a.status IN (" + AftersaleStatusSql(ClaimsItems) + ")), 0) FROM order_items oi WHERE oi.order_id=?",
                                      {order_id}));
  std::map<int64_t, int64_t> left;
  for (auto& row : rows) left[row.Int(0)] += row.Int(1);
  return left;
}

Json ToJson(const Aftersale& a) {
  Json items = Json::array();
  for (auto& it : a.items) items.push_back(Json{{"sku_id", IdString(it.sku_id)}, {"quantity", it.quantity}});
  return Json{{"id", IdString(a.id)},
              {"order_id", IdString(a.order_id)},
              {"type", a.type},
              {"amount_fen", a.amount_fen},
              {"reason", a.reason},
              {"status", ToString(a.status)},
              {"return_carrier", a.return_carrier},
              {"return_tracking_no", a.return_tracking_no},
              {"reject_reason", a.reject_reason},
              {"items", items},
              {"created_at", FormatRfc3339(a.created_at_ms)}};
}

Result<AftersaleRequest> AftersaleRequestFromJson(const Json& body) {
  ObjectReader r(body);
  AftersaleRequest req;
  req.type = r.String("type", {.max_len = 20});
  req.amount_fen = r.Int("amount_fen", {.min = 1});
  req.reason = r.OptString("reason", {.max_len = limits::kMaxRemarkLen}).value_or("");
  const Json* items = r.Raw("items");
  RETURN_IF_ERROR(r.Finish());
  if (items) {
    ASSIGN_OR_RETURN(req.items, ReadLineRequests(*items));
  }
  return req;
}

// ---- after-sales ----

Result<Aftersale> TradeService::GetAftersale(Reader& r, int64_t id, std::optional<int64_t> buyer_id, std::optional<int64_t> merchant_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kAftersaleCols + " FROM aftersales WHERE id=?", {id}));
  if (!row) return Fail(Msg::AFTERSALE_NOT_FOUND);
  ASSIGN_OR_RETURN(Aftersale found, AftersaleFromRow(*row));
  std::vector<Aftersale> one{std::move(found)};
  if ((buyer_id && one[0].buyer_id != *buyer_id) || (merchant_id && one[0].merchant_id != *merchant_id))
    return Fail(Msg::AFTERSALE_NOT_FOUND);
  RETURN_IF_ERROR(LoadAftersaleItems(r, one, "?", {id}));
  return std::move(one[0]);
}

Result<std::optional<Aftersale>> TradeService::LatestAftersale(Reader& r, int64_t order_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kAftersaleCols + " FROM aftersales WHERE order_id=? ORDER BY id DESC LIMIT 1",
                                        {order_id}));
  if (!row) return std::optional<Aftersale>();
  ASSIGN_OR_RETURN(Aftersale found, AftersaleFromRow(*row));
  std::vector<Aftersale> one{std::move(found)};
  RETURN_IF_ERROR(LoadAftersaleItems(r, one, "?", {one[0].id}));
  return std::optional<Aftersale>(std::move(one[0]));
}

Result<std::map<int64_t, Aftersale>> TradeService::LatestAftersales(
    Reader& r, const std::vector<int64_t>& order_ids) {
  std::map<int64_t, Aftersale> out;
  if (order_ids.empty()) return out;
  const std::string list = IdListParam(order_ids);
  // Each order's newest request: the largest id, as LatestAftersale's ORDER BY id DESC LIMIT 1.
  const std::string latest =
      "SELECT MAX(id) FROM aftersales "
      "WHERE order_id IN " + r.dialect().IdsIn("?") + " GROUP BY order_id";
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + kAftersaleCols +
                                          " FROM aftersales WHERE id IN (" + latest + ")",
                                      {list}));
  std::vector<Aftersale> found;
  for (auto& row : rows) {
    ASSIGN_OR_RETURN(Aftersale a, AftersaleFromRow(row));
    found.push_back(std::move(a));
  }
  RETURN_IF_ERROR(LoadAftersaleItems(r, found, latest, {list}));
  for (auto& a : found) out.emplace(a.order_id, std::move(a));
  return out;
}

Result<std::vector<Aftersale>> TradeService::MerchantAftersales(Reader& r, int64_t merchant_id, const std::string& status, int64_t limit) {
  const std::string where = " FROM aftersales WHERE merchant_id=? AND (?='' OR status=?) ORDER BY id DESC LIMIT ?";
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + kAftersaleCols + where, {merchant_id, status, status, limit}));
  std::vector<Aftersale> out;
  for (auto& row : rows) {
    ASSIGN_OR_RETURN(Aftersale a, AftersaleFromRow(row));
    out.push_back(std::move(a));
  }
  RETURN_IF_ERROR(LoadAftersaleItems(r, out, "SELECT id" + where, {merchant_id, status, status, limit}));
  return out;
}

Result<Aftersale> TradeService::RequestAftersale(Tx& tx, int64_t buyer_id, int64_t order_id, const AftersaleRequest& req) {
  const std::string& type = req.type;
  const int64_t amount_fen = req.amount_fen;
  if (type != "refund_only" && type != "return_refund") return Fail(Msg::AFTERSALE_TYPE_INVALID, {{"type", type}});
  if (type == "refund_only" && !req.items.empty()) return Fail(Msg::REFUND_ONLY_NO_ITEMS);
  ASSIGN_OR_RETURN(Order o, GetOrder(tx, order_id, buyer_id, std::nullopt));
  if (!AftersaleOpen(o.status))
    return Fail(Msg::AFTERSALE_ORDER_STATE, {Term("status", std::string(ToString(o.status)), "order")});
  if (o.sub_status != OrderSubStatus::kNone)
    return Fail(Msg::ORDER_WAITING, {Term("waiting", std::string(ToString(o.sub_status)), "order")});
  if (type == "return_refund" && o.status == OrderStatus::kPaid) return Fail(Msg::NOTHING_TO_RETURN);
  int64_t refundable = o.provider_paid_fen + o.card_paid_fen - o.refunded_fen;
  if (amount_fen <= 0 || amount_fen > refundable)
    return Fail(Msg::REFUND_AMOUNT_RANGE, {Fen("max", refundable)});
  std::vector<LineRequest> returned;
  if (type == "return_refund") {
    ASSIGN_OR_RETURN(auto left, ReturnableUnits(tx, order_id));
    if (req.items.empty()) {
      for (auto& [sku, qty] : left)
        if (qty > 0) returned.push_back(LineRequest{sku, qty});
    } else {
      std::map<int64_t, int64_t> asked;
      for (auto& l : req.items) asked[l.sku_id] += l.quantity;
      for (auto& [sku, qty] : asked) {
        auto it = left.find(sku);
        if (it == left.end()) return Fail(Msg::RETURN_ITEM_NOT_IN_ORDER, {{"sku_id", IdString(sku)}});
        if (qty > it->second)
          return Fail(Msg::RETURN_QUANTITY_LIMIT, {{"sku_id", IdString(sku)}, {"max", it->second}});
        returned.push_back(LineRequest{sku, qty});
      }
    }
    if (returned.empty()) return Fail(Msg::NOTHING_LEFT_TO_RETURN);
  }
  const std::string& reason = req.reason;
  Aftersale a;
  a.id = tx.NewId();
  a.order_id = order_id;
  a.buyer_id = buyer_id;
  a.merchant_id = o.merchant_id;
  a.type = type;
  a.amount_fen = amount_fen;
  a.reason = reason;
  a.status = AftersaleStatus::kPending;
  a.created_at_ms = tx.NowMs();
  RETURN_IF_ERROR(tx.Run("INSERT INTO aftersales(id, order_id, buyer_id, merchant_id, type, amount_fen, reason, status, created_at_ms, updated_at_ms) "
                         "VALUES(?,?,?,?,?,?,?,?,?,?)",
                         {a.id, order_id, buyer_id, o.merchant_id, type, amount_fen, reason, ToString(a.status), a.created_at_ms,
                          a.created_at_ms}));
  for (auto& l : returned)
    RETURN_IF_ERROR(tx.Run("INSERT INTO aftersale_items(aftersale_id, order_id, merchant_id, sku_id, quantity) VALUES(?,?,?,?,?)",
                           {a.id, order_id, o.merchant_id, l.sku_id, l.quantity}));
  a.items = std::move(returned);
  o.status_before_refund = o.status;
  RETURN_IF_ERROR(SetStatus(tx, o, OrderStatus::kRefunding, Json{{"aftersale_id", IdString(a.id)}}));
  RETURN_IF_ERROR(tx.AddTimer(kTimerAftersale, tx.NowMs() + config_.aftersale_timeout_ms, Json{{"aftersale_id", a.id}}));
  RETURN_IF_ERROR(EmitAftersale(*this, tx, "requested", a));
  return a;
}

Status TradeService::StartAftersaleRefund(Tx& tx, Aftersale& a, Order& o) {
  ASSIGN_OR_RETURN(pay::Refund rf, pay::StartRefund(tx, provider_, o.id, a.amount_fen, o.refunded_fen, "after-sales " + IdString(a.id)));
  RETURN_IF_ERROR(MoveAftersale(tx, a, AftersaleStatus::kRefunding));
  RETURN_IF_ERROR(tx.Run("UPDATE aftersales SET refund_id=? WHERE id=?", {rf.id, a.id}));
  a.refund_id = rf.id;
  if (rf.status == pay::RefundStatus::kSucceeded) {
    RETURN_IF_ERROR(OnRefundCompleted(tx, rf.id));
    a.status = AftersaleStatus::kRefunded;
  }
  return Ok();
}

Result<Aftersale> TradeService::ApproveAftersale(Tx& tx, int64_t id, std::optional<int64_t> merchant_id) {
  ASSIGN_OR_RETURN(Aftersale a, GetAftersale(tx, id, std::nullopt, merchant_id));
  if (a.status != AftersaleStatus::kPending) {
    if (!merchant_id) return a;  // the timeout found it handled already
    return Fail(Msg::AFTERSALE_NOT_PENDING, {Term("status", std::string(ToString(a.status)), "aftersale")});
  }
  ASSIGN_OR_RETURN(Order o, LoadOrder(tx, a.order_id, true));
  if (a.type == "return_refund") {
    RETURN_IF_ERROR(MoveAftersale(tx, a, AftersaleStatus::kAwaitingReturn));
  } else {
    RETURN_IF_ERROR(StartAftersaleRefund(tx, a, o));
  }
  // After the approval took effect, so the snapshots say what it did.
  RETURN_IF_ERROR(EmitAftersale(*this, tx, "approved", a, !merchant_id));
  return a;
}

Result<Aftersale> TradeService::RejectAftersale(Tx& tx, int64_t id, int64_t merchant_id, const std::string& reason) {
  ASSIGN_OR_RETURN(Aftersale a, GetAftersale(tx, id, std::nullopt, merchant_id));
  ASSIGN_OR_RETURN(Order o, LoadOrder(tx, a.order_id, false));
  RETURN_IF_ERROR(MoveAftersale(tx, a, AftersaleStatus::kRejected));
  RETURN_IF_ERROR(tx.Run("UPDATE aftersales SET reject_reason=? WHERE id=?", {reason, id}));
  OrderStatus back = o.status_before_refund.value_or(OrderStatus::kPaid);
  o.status_before_refund.reset();
  RETURN_IF_ERROR(SetStatus(tx, o, back, Json{{"aftersale_id", IdString(id)}, {"rejected", true}}));
  a.reject_reason = reason;
  RETURN_IF_ERROR(EmitAftersale(*this, tx, "rejected", a));
  return a;
}

Result<Aftersale> TradeService::ReturnGoods(Tx& tx, int64_t id, int64_t buyer_id, const std::string& carrier, const std::string& tracking_no) {
  if (carrier.empty() || carrier.size() > limits::kMaxCarrierLen || tracking_no.empty() ||
      tracking_no.size() > limits::kMaxTrackingNoLen)
    return Fail(Msg::RETURN_SHIPMENT_REQUIRED, {{"carrier_max", limits::kMaxCarrierLen}, {"tracking_no_max", limits::kMaxTrackingNoLen}});
  ASSIGN_OR_RETURN(Aftersale a, GetAftersale(tx, id, buyer_id, std::nullopt));
  RETURN_IF_ERROR(MoveAftersale(tx, a, AftersaleStatus::kReturned));
  RETURN_IF_ERROR(tx.Run("UPDATE aftersales SET return_carrier=?, return_tracking_no=?, updated_at_ms=? WHERE id=?",
                         {carrier, tracking_no, tx.NowMs(), id}));
  a.return_carrier = carrier;
  a.return_tracking_no = tracking_no;
  RETURN_IF_ERROR(EmitAftersale(*this, tx, "returned", a));
  return a;
}

Result<Aftersale> TradeService::ReceiveReturn(Tx& tx, int64_t id, int64_t merchant_id) {
  ASSIGN_OR_RETURN(Aftersale a, GetAftersale(tx, id, std::nullopt, merchant_id));
  if (a.status != AftersaleStatus::kReturned)
    return Fail(Msg::AFTERSALE_NOT_RETURNING, {Term("status", std::string(ToString(a.status)), "aftersale")});
  ASSIGN_OR_RETURN(Order o, LoadOrder(tx, a.order_id, false));
  // What came back returns to stock: the request's items, not the whole order.
  // Ascending by SKU id, the one order every command takes stock rows in (checkout.cc).
  std::vector<std::pair<int64_t, int64_t>> back;  // sku id, quantity
  for (auto& it : a.items) back.emplace_back(it.sku_id, it.quantity);
  std::ranges::stable_sort(back, {}, &std::pair<int64_t, int64_t>::first);
  for (auto& [sku_id, qty] : back) RETURN_IF_ERROR(catalog::Restock(tx, sku_id, qty));
  RETURN_IF_ERROR(StartAftersaleRefund(tx, a, o));
  RETURN_IF_ERROR(EmitAftersale(*this, tx, "received", a));
  return a;
}

}  // namespace xd::trade
