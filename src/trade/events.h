// The trade module's outbox events (architecture decision 4; issue 12). Each payload
// snapshots the facts at the event — a consumer reading it later (a webhook, the data
// platform) learns what was true then, never what is true when it reads. Ids are strings,
// money in fen. Bump kSchemaVersion when a field changes meaning or goes away.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/id.h"
#include "base/json.h"
#include "store/store.h"
#include "trade/states.h"
#include "trade/trade.h"

namespace xd::trade {

// "order.<to>": an order was created (no `from`) or changed status. `order` is the order as
// GET /merchant/orders/{id} shows it right after the change, with what other modules add to
// it (OrderObserver::Describe: the shipment), as JSON text (TradeService::DescribeOrder);
// `extra` holds the transition's own facts (reason, refunded_fen, aftersale_id, ...).
struct OrderEvent {
  static constexpr int kSchemaVersion = 2;  // 2: "order" is a snapshot taken at the event
  std::string order;
  int64_t order_id = 0, buyer_id = 0, merchant_id = 0, total_fen = 0;
  std::optional<OrderStatus> from;
  OrderStatus to = OrderStatus::kCreated;
  Json extra = Json::object();

  EventHead Head() const { return {"order." + std::string(ToString(to)), kSchemaVersion, order_id, merchant_id}; }
  std::string Payload() const {
    std::string out;
    JsonWriter w(out);
    w.BeginObject();
    w.Key("order_id").String(IdString(order_id));
    w.Key("buyer_id").String(IdString(buyer_id));
    w.Key("merchant_id").String(IdString(merchant_id));
    w.Key("from");
    from ? w.String(ToString(*from)) : w.Null();
    w.Key("to").String(ToString(to));
    w.Key("total_fen").Int(total_fen);
    for (auto& [k, v] : extra.items()) w.Key(k).Value(v);
    w.Key("order").Raw(order);
    w.EndObject();
    return out;
  }
};

// "order.released": a paid order stopped waiting (grouping, gift_pending) and may ship.
struct OrderReleased {
  static constexpr int kSchemaVersion = 1;
  int64_t order_id = 0, merchant_id = 0;
  OrderSubStatus from = OrderSubStatus::kNone;  // the sub-status it waited in

  EventHead Head() const { return {"order.released", kSchemaVersion, order_id, merchant_id}; }
  Json Payload() const {
    return Json{{"order_id", IdString(order_id)}, {"merchant_id", IdString(merchant_id)}, {"from", ToString(from)}};
  }
};

// "aftersale.<step>": a request's life, with the request and its order as they are after the
// step took effect — requested (the order is refunding), approved (by the merchant, or by the
// timeout: "by"), rejected (the order is back where it was), returned (the buyer sent the goods
// back: carrier and tracking number), received (the merchant has them; the refund starts).
struct AftersaleChanged {
  static constexpr int kSchemaVersion = 2;  // 2: snapshots
  std::string step;
  Aftersale aftersale;
  std::string order;  // JSON text, as OrderEvent's
  bool by_timeout = false;

  EventHead Head() const { return {"aftersale." + step, kSchemaVersion, aftersale.id, aftersale.merchant_id}; }
  std::string Payload() const {
    std::string out;
    JsonWriter w(out);
    w.BeginObject();
    w.Key("aftersale_id").String(IdString(aftersale.id));
    w.Key("order_id").String(IdString(aftersale.order_id));
    w.Key("merchant_id").String(IdString(aftersale.merchant_id));
    if (step == "approved") w.Key("by").String(by_timeout ? "timeout" : "merchant");
    w.Key("aftersale").Value(ToJson(aftersale));
    w.Key("order").Raw(order);
    w.EndObject();
    return out;
  }
};

// "refund.succeeded": a refund of the order completed (provider part confirmed, or store
// credit only), with the order as it is at that moment (refunded_fen counted, its status
// not yet moved: "order.refunded" or the way back follows).
struct RefundSucceeded {
  static constexpr int kSchemaVersion = 2;  // 2: amounts and the order snapshot
  pay::Refund refund;
  int64_t merchant_id = 0;
  std::string order;  // JSON text, as OrderEvent's

  EventHead Head() const { return {"refund.succeeded", kSchemaVersion, refund.id, merchant_id}; }
  std::string Payload() const {
    std::string out;
    JsonWriter w(out);
    w.BeginObject();
    w.Key("refund_id").String(IdString(refund.id));
    w.Key("order_id").String(IdString(refund.order_id));
    w.Key("merchant_id").String(IdString(merchant_id));
    w.Key("amount_fen").Int(refund.provider_fen + refund.card_fen);
    w.Key("provider_fen").Int(refund.provider_fen);
    w.Key("card_fen").Int(refund.card_fen);
    w.Key("order").Raw(order);
    w.EndObject();
    return out;
  }
};

// "cart.added": a buyer put units of a SKU in the cart (the data platform's add-to-cart).
struct CartAdded {
  static constexpr int kSchemaVersion = 1;
  int64_t user_id = 0, sku_id = 0, product_id = 0, merchant_id = 0, quantity = 0, unit_price_fen = 0;

  EventHead Head() const { return {"cart.added", kSchemaVersion, user_id, merchant_id}; }
  Json Payload() const {
    return Json{{"user_id", IdString(user_id)}, {"sku_id", IdString(sku_id)}, {"product_id", IdString(product_id)},
                {"quantity", quantity}, {"unit_price_fen", unit_price_fen}};
  }
};

}  // namespace xd::trade
