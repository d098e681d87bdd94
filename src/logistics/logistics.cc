#include "logistics/logistics.h"

#include "base/id.h"

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

Result<std::optional<Shipment>> ShipmentOf(Reader& r, int64_t order_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne("SELECT id, order_id, merchant_id, carrier, tracking_no, status, created_at_ms, delivered_at_ms "
                                        "FROM shipments WHERE order_id=?",
                                        {order_id}));
  if (!row) return std::optional<Shipment>();
  Shipment s{row->Int(0), row->Int(1), row->Int(2), row->Str(3), row->Str(4), row->Str(5), row->Int(6), row->OptInt(7), Json::array()};
  ASSIGN_OR_RETURN(Rows events, r.Query("SELECT description, at_ms FROM tracking_events WHERE shipment_id=? ORDER BY id DESC LIMIT 100", {s.id}));
  for (auto& e : events) s.events.push_back(Json{{"description", e.Str(0)}, {"at", FormatRfc3339(e.Int(1))}});
  return std::optional<Shipment>(std::move(s));
}

Result<Shipment> Ship(Tx& tx, trade::TradeService& trade, int64_t merchant_id, int64_t order_id, const std::string& carrier,
                      const std::string& tracking_no) {
  if (carrier.empty() || tracking_no.empty()) return Fail(ErrorCode::INVALID_FIELD, "carrier and tracking_no are required");
  RETURN_IF_ERROR(trade.MarkShipped(tx, merchant_id, order_id));
  int64_t id = tx.NewId();
  RETURN_IF_ERROR(tx.Run("INSERT INTO shipments(id, order_id, merchant_id, carrier, tracking_no, status, created_at_ms) "
                         "VALUES(?,?,?,?,?,'in_transit',?)",
                         {id, order_id, merchant_id, carrier, tracking_no, tx.NowMs()}));
  RETURN_IF_ERROR(tx.Run("INSERT INTO tracking_events(id, shipment_id, description, at_ms) VALUES(?,?,?,?)",
                         {tx.NewId(), id, "商家已发货 " + carrier + " " + tracking_no, tx.NowMs()}));
  ASSIGN_OR_RETURN(auto s, ShipmentOf(tx, order_id));
  return *s;
}

Result<Shipment> Track(Tx& tx, trade::TradeService& trade, int64_t merchant_id, int64_t order_id, const std::string& description,
                       bool delivered) {
  ASSIGN_OR_RETURN(auto s, ShipmentOf(tx, order_id));
  if (!s || s->merchant_id != merchant_id) return Fail(ErrorCode::NOT_FOUND, "shipment not found");
  if (s->status == "delivered") return Fail(ErrorCode::INVALID_STATE, "shipment already delivered");
  RETURN_IF_ERROR(tx.Run("INSERT INTO tracking_events(id, shipment_id, description, at_ms) VALUES(?,?,?,?)",
                         {tx.NewId(), s->id, description, tx.NowMs()}));
  RETURN_IF_ERROR(tx.AppendEvent("shipment.tracked", Json{{"order_id", IdString(order_id)}, {"description", description}, {"delivered", delivered}}));
  if (delivered) {
    RETURN_IF_ERROR(tx.Run("UPDATE shipments SET status='delivered', delivered_at_ms=? WHERE id=?", {tx.NowMs(), s->id}));
    RETURN_IF_ERROR(trade.MarkDelivered(tx, order_id));
  }
  ASSIGN_OR_RETURN(auto updated, ShipmentOf(tx, order_id));
  return *updated;
}

}  // namespace xd::logistics
