// The buyer's cart.
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

// ---- cart ----

namespace {

Status CheckCartQuantity(int64_t quantity) {
  if (quantity < 1 || quantity > limits::kMaxLineQuantity)
    return Fail(Msg::QUANTITY_RANGE, {{"max", limits::kMaxLineQuantity}});
  return Ok();
}

}  // namespace

Status TradeService::AddToCart(Tx& tx, int64_t buyer_id, int64_t sku_id, int64_t quantity) {
  RETURN_IF_ERROR(CheckCartQuantity(quantity));
  ASSIGN_OR_RETURN(catalog::Sku sku, catalog::GetSku(tx, sku_id));
  RETURN_IF_ERROR(catalog::GetProduct(tx, sku.product_id, true, {}, false));
  RETURN_IF_ERROR(account::LockUser(tx, buyer_id));  // the limit is a count: one node at a time
  ASSIGN_OR_RETURN(int64_t lines, tx.QueryInt("SELECT count(*) FROM cart_items WHERE user_id=?", {buyer_id}));
  if (lines >= limits::kMaxCartLines)
    return Fail(Msg::CART_FULL, {{"max", limits::kMaxCartLines}});
  // (CASE, not SQLite's two-argument MIN: the same text runs on PostgreSQL.)
  RETURN_IF_ERROR(tx.Run("INSERT INTO cart_items(id, user_id, sku_id, quantity, created_at_ms) VALUES(?1,?2,?3,?4,?5) "
                         "ON CONFLICT(user_id, sku_id) DO UPDATE SET quantity = CASE WHEN cart_items.quantity + excluded.quantity > ?6 "
                         "THEN ?6 ELSE cart_items.quantity + excluded.quantity END",
                         {tx.NewId(), buyer_id, sku_id, quantity, tx.NowMs(), limits::kMaxLineQuantity}));
  return Emit(tx, CartAdded{.user_id = buyer_id, .sku_id = sku_id, .product_id = sku.product_id, .merchant_id = sku.merchant_id,
                            .quantity = quantity, .unit_price_fen = sku.price_fen});
}

Status TradeService::SetCartQuantity(Tx& tx, int64_t buyer_id, int64_t cart_item_id, int64_t quantity) {
  RETURN_IF_ERROR(CheckCartQuantity(quantity));
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE cart_items SET quantity=? WHERE id=? AND user_id=?", {quantity, cart_item_id, buyer_id}));
  if (n == 0) return Fail(Msg::CART_ITEM_NOT_FOUND);
  return Ok();
}

Status TradeService::RemoveFromCart(Tx& tx, int64_t buyer_id, int64_t cart_item_id) {
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("DELETE FROM cart_items WHERE id=? AND user_id=?", {cart_item_id, buyer_id}));
  if (n == 0) return Fail(Msg::CART_ITEM_NOT_FOUND);
  return Ok();
}

Result<Json> TradeService::Cart(Reader& r, int64_t buyer_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT c.id, c.sku_id, s.product_id, p.title, s.spec, s.price_fen, c.quantity, p.merchant_id, "
                                      "s.stock, p.images, p.status FROM cart_items c JOIN skus s ON s.id = c.sku_id "
                                      "JOIN products p ON p.id = s.product_id WHERE c.user_id=? ORDER BY c.id DESC",
                                      {buyer_id}));
  Json items = Json::array();
  for (auto& row : rows) {
    Json images = row.JsonAt(9);
    items.push_back(Json{{"id", IdString(row.Int(0))}, {"sku_id", IdString(row.Int(1))}, {"product_id", IdString(row.Int(2))},
                         {"title", row.Str(3)}, {"spec", row.JsonAt(4)}, {"price_fen", row.Int(5)}, {"quantity", row.Int(6)},
                         {"merchant_id", IdString(row.Int(7))}, {"stock", row.Int(8)},
                         {"image", images.is_array() && !images.empty() ? images[0] : Json("")},
                         {"available", row.Str(10) == "on_sale"}});
  }
  return Json{{"items", items}, {"next_cursor", nullptr}};
}

}  // namespace xd::trade
