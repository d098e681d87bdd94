// Logistics flow: a merchant ships a paid order with a carrier and tracking number;
// carriers (or the merchant's ERP) push tracking events; a "delivered" event moves the
// order to delivered. The buyer then confirms, or the auto-confirm timer does.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/id.h"
#include "base/json.h"
#include "base/result.h"
#include "store/store.h"
#include "trade/trade.h"

namespace xd::logistics {

struct Shipment {
  int64_t id = 0, order_id = 0, merchant_id = 0;
  std::string carrier, tracking_no, status;  // in_transit | delivered
  int64_t created_at_ms = 0;
  std::optional<int64_t> delivered_at_ms;
  Json events = Json::array();  // [{description, at}]
};
Json ToJson(const Shipment& s);

Result<Shipment> Ship(Tx& tx, trade::TradeService& trade, int64_t merchant_id, int64_t order_id, const std::string& carrier,
                      const std::string& tracking_no);
// Adds a tracking event to the order's shipment; delivered=true marks the order delivered.
Result<Shipment> Track(Tx& tx, trade::TradeService& trade, int64_t merchant_id, int64_t order_id, const std::string& description,
                       bool delivered);
// The order's shipment, if it has shipped.
Result<std::optional<Shipment>> ShipmentOf(Reader& r, int64_t order_id);
// The shipments of these orders by order id (orders that have not shipped are absent), each
// as ShipmentOf gives it. Two queries whatever the number of orders (for order lists).
Result<std::map<int64_t, Shipment>> ShipmentsOf(Reader& r, const std::vector<int64_t>& order_ids);

// Puts the order's shipment (null before shipping) in the order's JSON as "shipment":
// registered with the TradeService, so that order events snapshot it and the API shows it.
std::shared_ptr<trade::OrderObserver> NewShipmentDescriber();

// "shipment.tracked" (outbox): a tracking event was added; the shipment as it is after it.
struct ShipmentTracked {
  static constexpr int kSchemaVersion = 2;  // 2: the shipment snapshot
  Shipment shipment;
  std::string description;
  bool delivered = false;

  EventHead Head() const { return {"shipment.tracked", kSchemaVersion, shipment.order_id, shipment.merchant_id}; }
  Json Payload() const {
    return Json{{"order_id", IdString(shipment.order_id)}, {"merchant_id", IdString(shipment.merchant_id)},
                {"description", description}, {"delivered", delivered}, {"shipment", ToJson(shipment)}};
  }
};

}  // namespace xd::logistics
