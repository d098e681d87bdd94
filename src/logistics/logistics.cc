#include "logistics/logistics.h"

#include "base/id.h"
#include "base/limits.h"
#include "base/messages.h"

namespace xd::logistics {

Json ToJson(const Shipment& s) {
  return Json{{"id", IdString(s.id)},
              {"carrier", s.carrier},
              {"tracking_no", s.tracking_no},
              {"status", s.status},
              {"created_at", FormatRfc3339(s.created_at_ms)},
              {"delivered_at", s.delivered_at_ms ? Json(FormatRfc3339(*s.delivered_at_ms)) : Json(nullptr)},
              {"events", s.events}};
}

namespace {

constexpr const char* kShipmentCols =
    "id, order_id, merchant_id, carrier, tracking_no, status, created_at_ms, delivered_at_ms";
constexpr int kEventsShown = 100;  // a shipment shows its newest tracking events, at most this many

Shipment ShipmentFromRow(const Row& row) {
  return Shipment{row.Int(0), row.Int(1), row.Int(2),    row.Str(3),   row.Str(4),
                  row.Str(5), row.Int(6), row.OptInt(7), Json::array()};
}

Json EventJson(const Row& e, size_t col) {
  return Json{{"description", e.Str(col)}, {"at", FormatRfc3339(e.Int(col + 1))}};
}

}  // namespace

Result<std::optional<Shipment>> ShipmentOf(Reader& r, int64_t order_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne(std::string("SELECT ") + kShipmentCols +
                                            " FROM shipments WHERE order_id=?",
                                        {order_id}));
  if (!row) return std::optional<Shipment>();
  Shipment s = ShipmentFromRow(*row);
  ASSIGN_OR_RETURN(Rows events, r.Query("SELECT description, at_ms FROM tracking_events WHERE "
                                        "shipment_id=? ORDER BY id DESC LIMIT ?",
                                        {s.id, kEventsShown}));
  for (auto& e : events) s.events.push_back(EventJson(e, 0));
  return std::optional<Shipment>(std::move(s));
}

Result<std::map<int64_t, Shipment>> ShipmentsOf(Reader& r, const std::vector<int64_t>& order_ids) {
  std::map<int64_t, Shipment> out;
  if (order_ids.empty()) return out;
  const std::string order_list = IdListParam(order_ids);
  ASSIGN_OR_RETURN(Rows rows,
                   r.Query(std::string("SELECT ") + kShipmentCols +
                               " FROM shipments WHERE order_id IN " + r.dialect().IdsIn("?"),
                           {order_list}));
  if (rows.empty()) return out;
  std::map<int64_t, Shipment*> by_id;
  std::vector<int64_t> shipment_ids;
  for (auto& row : rows) {
    Shipment s = ShipmentFromRow(row);
    shipment_ids.push_back(s.id);
    Shipment& placed = out.emplace(s.order_id, std::move(s)).first->second;
    by_id[placed.id] = &placed;
  }
  // The newest kEventsShown events of each shipment, newest first, as ShipmentOf lists them.
  const std::string shipment_list = IdListParam(shipment_ids);
  ASSIGN_OR_RETURN(
      Rows events,
      r.Query("SELECT shipment_id, description, at_ms FROM ("
              "SELECT shipment_id, description, at_ms, id, "
              "ROW_NUMBER() OVER (PARTITION BY shipment_id ORDER BY id DESC) AS n "
              "FROM tracking_events WHERE shipment_id IN " + r.dialect().IdsIn("?") + ") AS t "
              "WHERE n <= ? ORDER BY shipment_id, id DESC",
              {shipment_list, kEventsShown}));
  for (auto& e : events)
    if (auto it = by_id.find(e.Int(0)); it != by_id.end())
      it->second->events.push_back(EventJson(e, 1));
  return out;
}

Result<Shipment> Ship(Tx& tx, trade::TradeService& trade, int64_t merchant_id, int64_t order_id, const std::string& carrier,
                      const std::string& tracking_no) {
  if (carrier.empty() || tracking_no.empty()) return Fail(Msg::SHIPMENT_REQUIRED);
  if (carrier.size() > limits::kMaxCarrierLen || tracking_no.size() > limits::kMaxTrackingNoLen)
    return Fail(Msg::SHIPMENT_TOO_LONG, {{"carrier_max", limits::kMaxCarrierLen}, {"tracking_no_max", limits::kMaxTrackingNoLen}});
  // The shipment first, then the order's move to shipped, so the order.shipped event's
  // snapshot carries it. If the order cannot ship, the command's savepoint takes the rows
  // back; an order that has a shipment already is not paid, so MarkShipped refuses it.
  ASSIGN_OR_RETURN(auto existing, ShipmentOf(tx, order_id));
  if (!existing) {
    int64_t id = tx.NewId();
    RETURN_IF_ERROR(tx.Run("INSERT INTO shipments(id, order_id, merchant_id, carrier, tracking_no, status, created_at_ms) "
                           "SELECT ?,?,?,?,?,'in_transit',? WHERE EXISTS(SELECT 1 FROM orders WHERE id=? AND merchant_id=?)",
                           {id, order_id, merchant_id, carrier, tracking_no, tx.NowMs(), order_id, merchant_id}));
    RETURN_IF_ERROR(tx.Run("INSERT INTO tracking_events(id, shipment_id, merchant_id, description, at_ms) SELECT ?,?,?,?,? "
                           "WHERE EXISTS(SELECT 1 FROM shipments WHERE id=?)",
                           {tx.NewId(), id, merchant_id, "商家已发货 " + carrier + " " + tracking_no, tx.NowMs(), id}));
  }
  RETURN_IF_ERROR(trade.MarkShipped(tx, merchant_id, order_id));
  ASSIGN_OR_RETURN(auto s, ShipmentOf(tx, order_id));
  return *s;
}

Result<Shipment> Track(Tx& tx, trade::TradeService& trade, int64_t merchant_id, int64_t order_id, const std::string& description,
                       bool delivered) {
  if (description.empty() || description.size() > limits::kMaxRemarkLen)
    return Fail(Msg::TRACKING_DESCRIPTION_LENGTH, {{"max", limits::kMaxRemarkLen}});
  ASSIGN_OR_RETURN(auto s, ShipmentOf(tx, order_id));
  if (!s || s->merchant_id != merchant_id) return Fail(Msg::SHIPMENT_NOT_FOUND);
  if (s->status == "delivered") return Fail(Msg::SHIPMENT_DELIVERED);
  RETURN_IF_ERROR(tx.Run("INSERT INTO tracking_events(id, shipment_id, merchant_id, description, at_ms) VALUES(?,?,?,?,?)",
                         {tx.NewId(), s->id, s->merchant_id, description, tx.NowMs()}));
  if (delivered) RETURN_IF_ERROR(tx.Run("UPDATE shipments SET status='delivered', delivered_at_ms=? WHERE id=?", {tx.NowMs(), s->id}));
  ASSIGN_OR_RETURN(auto updated, ShipmentOf(tx, order_id));
  RETURN_IF_ERROR(Emit(tx, ShipmentTracked{*updated, description, delivered}));
  if (delivered) RETURN_IF_ERROR(trade.MarkDelivered(tx, order_id));
  return *updated;
}

namespace {

class ShipmentDescriber final : public trade::OrderObserver {
 public:
  Status Describe(Reader& r, const trade::Order& o, JsonWriter& order_object) override {
    order_object.Key("shipment");
    // An order that never shipped has no shipment: the created and paid events (every paid
    // order's writer work) skip the two queries (bench/README, "Issue 12: before/after").
    if (!o.shipped_at_ms) {
      order_object.Null();
      return Ok();
    }
    ASSIGN_OR_RETURN(auto s, ShipmentOf(r, o.id));
    s ? order_object.Value(ToJson(*s)) : order_object.Null();
    return Ok();
  }
};

}  // namespace

std::shared_ptr<trade::OrderObserver> NewShipmentDescriber() { return std::make_shared<ShipmentDescriber>(); }

}  // namespace xd::logistics
