// What trade's own files share (cart, pricing, checkout, orders, after-sales, the service);
// nothing outside src/trade includes this.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/limits.h"
#include "store/store.h"
#include "trade/states.h"
#include "trade/trade.h"

namespace xd::trade {

// The "items" of a checkout or a return: 1..limits::kMaxOrderLines lines of {sku_id, quantity} (checkout.cc).
Result<std::vector<LineRequest>> ReadLineRequests(const Json& items);

// The status a stored string names (`parse`: one of the tables' FromString functions).
// INTERNAL, naming the column and the text, when the table does not know it: the store was
// written by something else, and guessing would move an order (and its money) on a wrong
// premise.
template <class E>
Result<E> StoredStatus(std::optional<E> (*parse)(std::string_view), const char* column, const std::string& text) {
  if (std::optional<E> s = parse(text)) return *s;
  return Fail(ErrorCode::INTERNAL, std::string("unknown ") + column + " '" + text + "' in the store");
}

// Orders (orders.cc). INTERNAL for a row whose status the tables do not know.
Result<Order> OrderFromRow(const Row& r);
// The order, NOT_FOUND if there is none; its lines too when `with_items`.
Result<Order> LoadOrder(Reader& r, int64_t order_id, bool with_items);

// After-sales (aftersales.cc). INTERNAL for a row whose status the table does not know.
Result<Aftersale> AftersaleFromRow(const Row& r);
// Attaches each request's returned items: one query for all of `list`, whose ids are those
// `ids_sql` selects with `params`.
Status LoadAftersaleItems(Reader& r, std::vector<Aftersale>& list, const std::string& ids_sql, Params params);
// Moves a request along the after-sales table (INVALID_STATE for a move it does not list),
// guarded by the status it moves from.
Status MoveAftersale(Tx& tx, Aftersale& a, AftersaleStatus to);
// Per SKU of the order: units still returnable.
Result<std::map<int64_t, int64_t>> ReturnableUnits(Reader& r, int64_t order_id);

// Pricing (pricing.cc): the built-in last stage, shipping.
std::shared_ptr<PricingRule> NewShippingRule(const TradeConfig& config);
// The shipping stage's work (freight.cc): one "shipping" step per freight template the
// context's lines ship under.
Status PriceShipping(Reader& r, const TradeConfig& config, PricingContext& ctx);

}  // namespace xd::trade
