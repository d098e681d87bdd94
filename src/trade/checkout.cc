// Checkout: one order per merchant, stock reserved, all or none; and checkout-and-pay.
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

Result<std::vector<LineRequest>> ReadLineRequests(const Json& items) {
  if (!items.is_array() || items.empty() || items.size() > limits::kMaxOrderLines)
    return Fail(Msg::ORDER_LINES_RANGE, {{"max", limits::kMaxOrderLines}});
  std::vector<LineRequest> lines;
  for (size_t i = 0; i < items.size(); ++i) {
    ObjectReader lr(items[i], "items[" + std::to_string(i) + "].");
    LineRequest line{lr.Id("sku_id"), lr.Int("quantity", {.min = 1, .max = limits::kMaxLineQuantity})};
    RETURN_IF_ERROR(lr.Finish());
    lines.push_back(line);
  }
  return lines;
}

Result<CheckoutRequest> CheckoutRequestFromJson(const Json& body) {
  ObjectReader r(body);
  CheckoutRequest req;
  const Json* items = r.Raw("items");
  const Json* cart_ids = r.Raw("cart_item_ids");
  const Json* address = r.Raw("address");
  req.address_id = r.OptId("address_id");
  if (const Json* a = r.Raw("activity")) req.activity = *a;
  const Json* coupons = r.Raw("coupon_ids");
  const Json* points = r.Raw("member_points");
  if (const Json* pay = r.Raw("pay")) {
    ObjectReader pr(*pay, "pay.");
    req.pay = true;
    req.card_fen = pr.OptInt("card_fen", {.min = 0}).value_or(0);
    RETURN_IF_ERROR(pr.Finish());
  }
  RETURN_IF_ERROR(r.Finish());
  if ((items == nullptr) == (cart_ids == nullptr)) return Fail(Msg::CHECKOUT_ITEMS_OR_CART);
  if (items) {
    ASSIGN_OR_RETURN(req.items, ReadLineRequests(*items));
  }
  if (cart_ids) {
    if (!cart_ids->is_array() || cart_ids->empty() || cart_ids->size() > limits::kMaxOrderLines)
      return Fail(Msg::CART_ITEM_IDS_RANGE, {{"max", limits::kMaxOrderLines}});
    for (auto& v : *cart_ids) {
      auto id = v.is_string() ? ParseId(v.get<std::string>()) : std::nullopt;
      if (!id) return Fail(Msg::FIELD_NOT_ID, {Field("cart_item_ids")});
      req.cart_item_ids.push_back(*id);
    }
  }
  if (address) {
    ASSIGN_OR_RETURN(account::Address a, account::AddressFromJson(*address));
    req.address = a;
  }
  if (!req.activity.is_null() && !req.activity.is_object()) return Fail(Msg::FIELD_NOT_OBJECT, {Field("activity")});
  if (coupons) {
    if (!coupons->is_array() || coupons->size() > 5) return Fail(Msg::COUPON_IDS_RANGE, {{"max", 5}});
    for (auto& v : *coupons) {
      auto id = v.is_string() ? ParseId(v.get<std::string>()) : std::nullopt;
      if (!id) return Fail(Msg::FIELD_NOT_ID, {Field("coupon_ids")});
      req.coupon_ids.push_back(*id);
    }
  }
  if (points) {
    if (!points->is_object() || points->size() > limits::kMaxOrderLines)
      return Fail(Msg::FIELD_NOT_OBJECT, {Field("member_points")});
    for (auto& [key, v] : points->items()) {
      auto id = ParseId(key);
      if (!id) return Fail(Msg::FIELD_NOT_ID, {Field("member_points")});
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > limits::kMaxPointsRedeemed)
        return Fail(Msg::FIELD_RANGE, {Field("member_points"), {"min", 0}, {"max", limits::kMaxPointsRedeemed}});
      if (v.get<int64_t>() > 0) req.redeem_points[*id] = v.get<int64_t>();
    }
  }
  return req;
}

Result<std::vector<Order>> TradeService::Checkout(Tx& tx, int64_t buyer_id, const CheckoutRequest& req) {
  ASSIGN_OR_RETURN(auto contexts, PriceRequest(tx, &tx, buyer_id, req));
  // An order ships to the buyer's address; one whose address comes later (a gift) starts
  // with none ({}) unless the buyer gave one anyway.
  Json address_json = Json::object();
  if (req.address || req.address_id) {
    account::Address address;
    if (req.address) {
      address = *req.address;
    } else {
      ASSIGN_OR_RETURN(address, account::GetAddress(tx, buyer_id, *req.address_id));
    }
    address_json = account::ToJson(address);
    address_json.erase("id");
  } else if (!std::ranges::all_of(contexts, [](const PricingContext& c) { return c.address_later; })) {
    return Fail(Msg::ADDRESS_REQUIRED);
  }
  const std::string address_text = DumpJson(address_json);
  // Stock first, for every shop's lines at once, ascending by SKU id (the contexts come shop by
  // shop): the one order every command takes stock rows in (Cancel, payment, returns: orders.cc
  // LockOrderSkus), and all of it before any shop's AfterOrderCreated rows (decision 031;
  // Races.ACheckoutWaitsForItsLowestSkuHoldingNoOtherStock).
  {
    std::vector<std::pair<int64_t, int64_t>> stock;  // sku id, quantity
    for (auto& ctx : contexts)
      for (auto& l : ctx.lines) stock.emplace_back(l.sku_id, l.quantity);
    std::ranges::stable_sort(stock, {}, &std::pair<int64_t, int64_t>::first);
    for (auto& [sku_id, qty] : stock) RETURN_IF_ERROR(catalog::Reserve(tx, sku_id, qty));
  }
  int64_t checkout_id = tx.NewId();
  int64_t now = tx.NowMs();
  std::vector<Order> orders;
  for (auto& ctx : contexts) {
    int64_t order_id = tx.NewId();
    int64_t items_fen = ctx.steps.front().amount_fen, shipping_fen = 0, discount_fen = 0;
    Json steps = Json::array();
    for (auto& s : ctx.steps) {
      steps.push_back(ToJson(s));
      if (s.step == "shipping") shipping_fen += s.amount_fen;
      else if (s.step != "list" && s.step != "total") discount_fen -= s.amount_fen;
    }
    Json activity = req.activity.is_null() ? Json(nullptr) : req.activity;
    if (!ctx.order_extra.empty()) {
      if (!activity.is_object()) activity = Json::object();
      activity.update(ctx.order_extra);
    }
    std::string pricing_json = DumpJson(steps);
    RETURN_IF_ERROR(tx.Run("INSERT INTO orders(id, buyer_id, merchant_id, merchant_kind, status, items_fen, discount_fen, shipping_fen, "
                           "total_fen, address, pricing, activity, checkout_id, created_at_ms, updated_at_ms) "
                           "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           {order_id, buyer_id, ctx.merchant_id, ctx.merchant_kind, ToString(OrderStatus::kCreated), items_fen, discount_fen, shipping_fen,
                            ctx.subtotal_fen, address_text, pricing_json, DumpJson(activity), checkout_id, now, now}));
    Order o;
    for (auto& l : ctx.lines) {
      o.items.push_back(OrderItem{l.sku_id, l.product_id, l.title, l.image, DumpJson(l.spec), l.unit_price_fen, l.quantity,
                                  l.unit_price_fen * l.quantity});
      RETURN_IF_ERROR(tx.Run("INSERT INTO order_items(id, order_id, merchant_id, sku_id, product_id, title, spec, image, unit_price_fen, "
                             "quantity, line_fen) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                             {tx.NewId(), order_id, ctx.merchant_id, l.sku_id, l.product_id, l.title, o.items.back().spec_json, l.image, l.unit_price_fen,
                              l.quantity, l.unit_price_fen * l.quantity}));
    }
    for (auto& rule : rules_) RETURN_IF_ERROR(rule->AfterOrderCreated(tx, ctx, order_id));
    RETURN_IF_ERROR(tx.AddTimer(kTimerUnpaid, now + config_.unpaid_timeout_ms, Json{{"order_id", order_id}}));
    // The order as just written (reading it back cost two queries and three JSON parses).
    o.id = order_id;
    o.buyer_id = buyer_id;
    o.merchant_id = ctx.merchant_id;
    o.merchant_kind = ctx.merchant_kind;
    o.status = OrderStatus::kCreated;
    o.items_fen = items_fen;
    o.discount_fen = discount_fen;
    o.shipping_fen = shipping_fen;
    o.total_fen = ctx.subtotal_fen;
    o.address_json = address_text;
    o.pricing_json = std::move(pricing_json);
    o.activity = std::move(activity);
    o.created_at_ms = now;
    OrderEvent created{.order_id = order_id, .buyer_id = buyer_id, .merchant_id = ctx.merchant_id, .total_fen = ctx.subtotal_fen,
                       .to = OrderStatus::kCreated};
    ASSIGN_OR_RETURN(created.order, DescribeOrder(tx, o));
    RETURN_IF_ERROR(Emit(tx, std::move(created)));
    orders.push_back(std::move(o));
  }
  for (int64_t cid : req.cart_item_ids) RETURN_IF_ERROR(tx.Run("DELETE FROM cart_items WHERE id=? AND user_id=?", {cid, buyer_id}));
  return orders;
}

Result<std::vector<std::pair<Order, pay::Payment>>> TradeService::CheckoutAndPay(Tx& tx, int64_t buyer_id, const CheckoutRequest& req) {
  ASSIGN_OR_RETURN(std::vector<Order> orders, Checkout(tx, buyer_id, req));
  if (req.card_fen > 0 && orders.size() > 1)
    return Fail(Msg::CARD_NEEDS_ONE_SHOP, {{"field", "pay.card_fen"}});
  std::vector<std::pair<Order, pay::Payment>> out;
  for (auto& o : orders) {
    ASSIGN_OR_RETURN(pay::Payment p, StartOrderPayment(tx, o, req.card_fen));
    out.emplace_back(std::move(o), std::move(p));
  }
  return out;
}

}  // namespace xd::trade
