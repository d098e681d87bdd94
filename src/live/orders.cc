// Orders in a live room: the pricing rule (live price, the room's stock taken by a guarded UPDATE
// and handed to trade's reservation in the same transaction) and the observer (a cancelled unpaid
// order's units back to the room while it is live).
#include <algorithm>

#include "base/id.h"
#include "base/messages.h"
#include "base/money.h"
#include "catalog/catalog.h"
#include "live/internal/live_internal.h"
#include "live/live.h"

namespace xd::live {

namespace {

// Stage 100: a live order's prices and live stock.
class LivePricingRule final : public trade::PricingRule {
 public:
  explicit LivePricingRule(LiveService& live) : live_(live) {}
  int stage() const override { return 100; }

  Status Apply(Reader& r, Tx* tx, trade::PricingContext& ctx) override {
    if (!ctx.activity.is_object() || !ctx.activity.contains("live")) return Ok();
    if (ctx.activity.size() != 1) return Fail(Msg::LIVE_NO_OTHER_ACTIVITY);
    const Json& live = ctx.activity["live"];
    if (!live.is_object()) return Fail(Msg::FIELD_NOT_OBJECT, {Field("live")});
    ObjectReader lr(live, "live.");
    const int64_t room_id = lr.Id("room_id");
    RETURN_IF_ERROR(lr.Finish());
    // In a checkout the room's row is locked first (it takes the order counter below anyway, at
    // the end): ending the room locks it before the room's products and the SKUs' stock, and a
    // checkout taking them in the other order (room last) deadlocked with it on PostgreSQL.
    const std::string room_sql = "SELECT merchant_id, status FROM live_rooms WHERE id=?";
    ASSIGN_OR_RETURN(auto room,
                     tx ? tx->QueryOne(room_sql + std::string(tx->dialect().ForUpdate()), {room_id})
                        : r.QueryOne(room_sql, {room_id}));
    if (!room || room->Str(1) == ToString(RoomStatus::kCancelled))
      return Fail(Msg::LIVE_ROOM_NOT_FOUND);
    // Lines of another shop in the same checkout are not in this room.
    if (room->Int(0) != ctx.merchant_id) return Fail(Msg::LIVE_PRODUCT_NOT_IN_ROOM);
    if (room->Str(1) != ToString(RoomStatus::kLive)) return Fail(Msg::ROOM_NOT_LIVE);
    int64_t off_total = 0;
    // The room's rows and the SKUs' stock ascending by SKU id, the order a cancel locks them in
    // (LiveObserver::LockRows) and trade reserves stock in.
    std::vector<trade::PriceLine*> by_sku;
    for (auto& line : ctx.lines) by_sku.push_back(&line);
    std::ranges::stable_sort(by_sku, {}, &trade::PriceLine::sku_id);
    for (trade::PriceLine* line_ptr : by_sku) {
      trade::PriceLine& line = *line_ptr;
      ASSIGN_OR_RETURN(auto item,
                       r.QueryOne("SELECT live_price_fen, allocated - sold - returned FROM "
                                  "live_room_products WHERE room_id=? AND sku_id=?",
                                  {room_id, line.sku_id}));
      if (!item) return Fail(Msg::LIVE_PRODUCT_NOT_IN_ROOM);
      if (tx) {
        // The room's stock, taken by a guarded UPDATE of its product row: a burst serialises on
        // this row (the single writer; a row lock on PostgreSQL), so it never goes below zero.
        ASSIGN_OR_RETURN(
            int64_t took,
            tx->Exec("UPDATE live_room_products SET sold = sold + ? WHERE room_id=? AND "
                     "sku_id=? AND allocated - sold - returned >= ?",
                     {line.quantity, room_id, line.sku_id, line.quantity}));
        if (took != 1) {
          ASSIGN_OR_RETURN(int64_t left,
                           tx->QueryInt("SELECT allocated - sold - returned FROM "
                                        "live_room_products WHERE room_id=? AND sku_id=?",
                                        {room_id, line.sku_id}));
          return Fail(Msg::LIVE_SOLD_OUT, {{"left", left}});
        }
        // Back to the SKU's available stock, which trade's checkout reserves next, in this
        // transaction: nobody else can take them in between.
        RETURN_IF_ERROR(catalog::Deallocate(*tx, line.sku_id, line.quantity));
      } else if (item->Int(1) < line.quantity) {
        return Fail(Msg::LIVE_SOLD_OUT, {{"left", item->Int(1)}});
      }
      line.unit_price_fen = std::min(item->Int(0), line.list_price_fen);
      ASSIGN_OR_RETURN(Money off,
                       Money::Fen(line.list_price_fen - line.unit_price_fen).Mul(line.quantity));
      off_total += off.fen();
    }
    ctx.AddStep("activity", "直播价", -off_total);
    ctx.order_extra["live"] = Json{{"room_id", IdString(room_id)}};
    return Ok();
  }

  Status AfterOrderCreated(Tx& tx, const trade::PricingContext& ctx, int64_t order_id) override {
    if (!ctx.order_extra.contains("live")) return Ok();
    const int64_t room_id = *ParseId(ctx.order_extra["live"]["room_id"].get<std::string>());
    RETURN_IF_ERROR(
        tx.Run("INSERT INTO live_orders(order_id, merchant_id, room_id, buyer_id, created_at_ms) "
               "VALUES(?,?,?,?,?)",
               {order_id, ctx.merchant_id, room_id, ctx.buyer_id, tx.NowMs()}));
    RETURN_IF_ERROR(tx.Run("UPDATE live_rooms SET orders = orders + 1 WHERE id=?", {room_id}));
    // The stream hub hears of the live_orders row (Store::WatchRows) and shows the ticker's line.
    return Ok();
  }

 private:
  LiveService& live_;
};

class LiveObserver final : public trade::OrderObserver {
 public:
  explicit LiveObserver(LiveService& live) : live_(live) {}

  // A cancel changes the room's row and its rows of the order's SKUs, which a live checkout
  // takes before the SKUs' stock (its pricing stage): locked here in the checkout's order (the
  // room, then its products ascending by SKU id), before trade locks the stock; taken after the
  // stock, a cancel and a checkout in the room deadlocked.
  Status LockRows(Tx& tx, const trade::Order& o, trade::OrderChange change) override {
    if (change != trade::OrderChange::kCancel) return Ok();
    ASSIGN_OR_RETURN(auto lo,
                     tx.QueryOne("SELECT room_id FROM live_orders WHERE order_id=?", {o.id}));
    if (!lo) return Ok();
    RETURN_IF_ERROR(ToStatus(
        tx.QueryOne("SELECT id FROM live_rooms WHERE id=?" + std::string(tx.dialect().ForUpdate()),
                    {lo->Int(0)})));
    std::vector<int64_t> skus;
    for (const trade::OrderItem& it : o.items) skus.push_back(it.sku_id);
    std::ranges::sort(skus);
    for (int64_t sku_id : skus)
      RETURN_IF_ERROR(
          ToStatus(tx.QueryOne("SELECT sold FROM live_room_products WHERE room_id=? AND sku_id=?" +
                                   std::string(tx.dialect().ForUpdate()),
                               {lo->Int(0), sku_id})));
    return Ok();
  }

  // Trade has released the order's units to the SKU's stock: while the room is live they go
  // back to the room (others may buy them there); once it ended they stay, counted returned.
  Status OnCancelled(Tx& tx, const trade::Order& o) override {
    ASSIGN_OR_RETURN(auto lo,
                     tx.QueryOne("SELECT room_id FROM live_orders WHERE order_id=?", {o.id}));
    if (!lo) return Ok();
    const int64_t room_id = lo->Int(0);
    ASSIGN_OR_RETURN(auto room, tx.QueryOne("SELECT status FROM live_rooms WHERE id=?" +
                                                std::string(tx.dialect().ForUpdate()),
                                            {room_id}));
    const bool live = room && room->Str(0) == ToString(RoomStatus::kLive);
    for (const trade::OrderItem& it : o.items) {
      if (live) {
        ASSIGN_OR_RETURN(int64_t took,
                         catalog::Allocate(tx, o.merchant_id, it.sku_id, it.quantity));
        if (took != it.quantity) return Fail(ErrorCode::INTERNAL, "released units not available");
        RETURN_IF_ERROR(
            tx.Run("UPDATE live_room_products SET sold = sold - ? WHERE "
                   "room_id=? AND sku_id=?",
                   {it.quantity, room_id, it.sku_id}));
      } else {
        RETURN_IF_ERROR(
            tx.Run("UPDATE live_room_products SET sold = sold - ?, returned = returned + ? WHERE "
                   "room_id=? AND sku_id=?",
                   {it.quantity, it.quantity, room_id, it.sku_id}));
      }
    }
    return Ok();
  }

 private:
  LiveService& live_;
};

}  // namespace

namespace internal {

std::shared_ptr<trade::PricingRule> NewLivePricingRule(LiveService& live) {
  return std::make_shared<LivePricingRule>(live);
}
std::shared_ptr<trade::OrderObserver> NewLiveObserver(LiveService& live) {
  return std::make_shared<LiveObserver>(live);
}

}  // namespace internal

}  // namespace xd::live
