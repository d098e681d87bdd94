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
// it (OrderObserver::Describe: the shipment); `extra` holds the transition's own facts
// (reason, refunded_fen, aftersale_id, ...).
struct OrderEvent {
  static constexpr int kSchemaVersion = 2;  // 2: "order" is a snapshot taken at the event
  Json order;
  int64_t order_id = 0, buyer_id = 0, merchant_id = 0, total_fen = 0;
  std::optional<OrderStatus> from;
  OrderStatus to = OrderStatus::kCreated;
  Json extra = Json::object();

  EventHead Head() const { return {"order." + std::string(ToString(to)), kSchemaVersion, order_id, merchant_id}; }
  Json Payload() const& { return Facts(Json(order)); }
  Json Payload() && { return Facts(std::move(order)); }  // Emit(tx, std::move(e)): no copy

 private:
  Json Facts(Json snapshot) const {
    Json p{{"order_id", IdString(order_id)}, {"buyer_id", IdString(buyer_id)}, {"merchant_id", IdString(merchant_id)},
           {"from", from ? Json(ToString(*from)) : Json(nullptr)}, {"to", ToString(to)}, {"total_fen", total_fen}};
    p.update(extra);
    p["order"] = std::move(snapshot);
    return p;
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

// "aftersale.approved": a request was approved (by the merchant, or by the timeout), with
// the request and its order as they are after the approval took effect.
struct AftersaleApproved {
  static constexpr int kSchemaVersion = 2;  // 2: snapshots
  Aftersale aftersale;
  Json order;
  bool by_timeout = false;

  EventHead Head() const { return {"aftersale.approved", kSchemaVersion, aftersale.id, aftersale.merchant_id}; }
  Json Payload() const& { return Facts(Json(order)); }
  Json Payload() && { return Facts(std::move(order)); }

 private:
  Json Facts(Json snapshot) const {
    Json p{{"aftersale_id", IdString(aftersale.id)}, {"order_id", IdString(aftersale.order_id)},
           {"merchant_id", IdString(aftersale.merchant_id)}, {"by", by_timeout ? "timeout" : "merchant"},
           {"aftersale", ToJson(aftersale)}};
    p["order"] = std::move(snapshot);
    return p;
  }
};

// "refund.succeeded": a refund of the order completed (provider part confirmed, or store
// credit only), with the order as it is at that moment (refunded_fen counted, its status
// not yet moved: "order.refunded" or the way back follows).
struct RefundSucceeded {
  static constexpr int kSchemaVersion = 2;  // 2: amounts and the order snapshot
  pay::Refund refund;
  int64_t merchant_id = 0;
  Json order;

  EventHead Head() const { return {"refund.succeeded", kSchemaVersion, refund.id, merchant_id}; }
  Json Payload() const& { return Facts(Json(order)); }
  Json Payload() && { return Facts(std::move(order)); }

 private:
  Json Facts(Json snapshot) const {
    Json p{{"refund_id", IdString(refund.id)}, {"order_id", IdString(refund.order_id)},
           {"merchant_id", IdString(merchant_id)}, {"amount_fen", refund.provider_fen + refund.card_fen},
           {"provider_fen", refund.provider_fen}, {"card_fen", refund.card_fen}};
    p["order"] = std::move(snapshot);
    return p;
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
